"""Denoiser (hwr_jax/models/denoiser.py, task: denoiser): gray letter crop -> clean binary ink.

By default it learns the synthetic generator's context crops (the letter among its neighbours,
on noisy paper) against their clean targets (the centre letter's ink only), at 64x64; outputs
are ink above denoiser.threshold (0.3). data.targets=PATH with data.source=folder and
data.train=INPUTS trains on a user's own paired folders (same file names).

Variants (the part after the colon); F-scores of ink pixels on the held-out 2400 crops at
threshold 0.3, mean +- sd over seeds 0-2 (docs/autoencoders_denoisers.md), each run on one
core of the 2-core machine:
  syriac (default)  synthetic context crops and clean targets at 64x64, 2000 steps of 32;
                    about 9 minutes. F-score 0.9527 +- 0.0042 (precision 0.9329, recall
                    0.9733); best 0.9560 +- 0.0054 at 0.4-0.5.
  conditional       the same, the model also reading the letter's label; about 8 minutes.
                    F-score 0.9538 +- 0.0009; best 0.9571 +- 0.0029 (no better than syriac:
                    the paired gap is +0.0011 +- 0.0032).
  fashion_mnist     Fashion-MNIST IDX files at 28x28: targets are the images binarised at 0.5,
                    inputs the images at half contrast on gray paper with noise
                    (data.targets='binarized');
                    1m56s. F-score 0.9123; best 0.9178 at 0.5.
  pages             64x64 tiles of 24 synthetic manuscript pages (data.source=synthetic_pages),
                    every 32 pixels, against all the ink of each tile; whole manuscripts held
                    out (4 pages), scored on their tiles and on the whole pages; 1200 steps of
                    16 at 4e-3, threshold 0.4; 13m13s beside other trainings. On 12 held-out
                    pages of another seed: F-measure 0.9557, pseudo-F 0.9782, PSNR 24.32,
                    DRD 0.713 (Sauvola: 0.9524, 0.9540, 23.56, 0.947; Otsu: 0.9635, 0.9651,
                    25.28, 0.720; docs/autoencoders_denoisers.md).
  pages_tiny        a few steps on four small pages, for tests.
  tiny              a few steps on a small synthetic set, for tests and smoke runs.

Every unconditional variant binarises pages of any size tile by tile (denoiser.tile_overlap of a
tile apart), in launch.predict and in launch.evaluate --targets.

  python -m launch.train --config=configs/denoiser.py --workdir=runs/denoiser
  python -m launch.train --config=configs/denoiser.py:conditional --workdir=runs/denoiser_cond
  python -m launch.train --config=configs/denoiser.py:pages --workdir=runs/denoiser_pages
  # both side by side in runs/denoisers/table.md and table.json:
  python -m launch.compare --workdirs=runs/denoiser,runs/denoiser_cond --out=runs/denoisers
"""

from hwr_jax import config_lib


def get_config(variant: str = 'syriac'):
  variant = variant or 'syriac'
  config = config_lib.base_config(steps=2000, batch_size=32, log_every=100,
                                  checkpoint_every=500)
  config.model_name = 'denoiser'
  config.task_name = 'denoiser'
  config.evals = config_lib.evals_block(config.task_name)
  config.model.update(features=(16, 32, 64, 64), conditional=False)
  config.data = config_lib.data_block('synthetic', targets='clean', image_size=64)
  config.optimizer.update(learning_rate=2e-3)
  config.denoiser = dict(threshold=0.3,
                         sweep_thresholds=tuple(round(0.1 * i, 1) for i in range(1, 10)),
                         tile_overlap=0.5)
  config.eval.update(grid_columns=10)
  if variant == 'conditional':
    config.model.conditional = True
  elif variant == 'fashion_mnist':
    config.data = config_lib.fashion_mnist_block(targets='binarized')
  elif variant in ('pages', 'pages_tiny'):
    config.data = config_lib.data_block('synthetic_pages', image_size=64,
                                        pages=config_lib.pages_block())
    config.train.update(steps=1200, batch_size=16, checkpoint_every=600)
    config.optimizer.learning_rate = 4e-3
    config.denoiser.threshold = 0.4
    if variant == 'pages_tiny':
      config_lib.make_tiny(config)
      config.model.features = (8, 16)
      config.data = config_lib.data_block('synthetic_pages', image_size=16, test_fraction=0.4,
                                          pages=config_lib.pages_block(
                                              num_pages=4, pages_per_manuscript=1, width=96,
                                              height=112, body_height=12.0, tile_stride=8))
  elif variant == 'tiny':
    config_lib.make_tiny(config)
    config.data.targets = 'clean'
    config.model.features = (8, 16)
  elif variant != 'syriac':
    raise ValueError(f'unknown variant {variant!r}: syriac, conditional, fashion_mnist, pages, '
                     'pages_tiny or tiny')
  return config
