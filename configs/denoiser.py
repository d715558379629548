"""Denoiser (hwr_jax/models/denoiser.py, task: denoiser): gray letter crop -> clean binary ink.

By default it learns the synthetic generator's context crops (the letter among its neighbours,
on noisy paper) against their clean targets (the centre letter's ink only), at 64x64; outputs
are ink above denoiser.threshold (0.3). data.targets=PATH with data.source=folder and
data.train=INPUTS trains on a user's own paired folders (same file names).

Variants (the part after the colon), timed on the 2-core machine beside three other trainings;
F-scores of ink pixels on the held-out 2400 crops at threshold 0.3:
  syriac (default)  synthetic context crops and clean targets at 64x64, 2000 steps of 32;
                    7m14s. F-score 0.9592 (precision 0.9389, recall 0.9803); best 0.9631 at 0.5.
  conditional       the same, the model also reading the letter's label; 7m31s. F-score
                    0.9604 (precision 0.9401, recall 0.9816); best 0.9646 at 0.5.
  fashion_mnist     Fashion-MNIST IDX files at 28x28: targets are the images binarised at 0.5,
                    inputs the images at half contrast on gray paper with noise
                    (data.targets='binarized');
                    1m56s. F-score 0.9123; best 0.9178 at 0.5.
  tiny              a few steps on a small synthetic set, for tests and smoke runs.

  python -m launch.train --config=configs/denoiser.py --workdir=runs/denoiser
  python -m launch.train --config=configs/denoiser.py:conditional --workdir=runs/denoiser_cond
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
                         sweep_thresholds=tuple(round(0.1 * i, 1) for i in range(1, 10)))
  config.eval.update(grid_columns=10)
  if variant == 'conditional':
    config.model.conditional = True
  elif variant == 'fashion_mnist':
    config.data = config_lib.fashion_mnist_block(targets='binarized')
  elif variant == 'tiny':
    config_lib.make_tiny(config)
    config.data.targets = 'clean'
    config.model.features = (8, 16)
  elif variant != 'syriac':
    raise ValueError(f'unknown variant {variant!r}: syriac, conditional, fashion_mnist or tiny')
  return config
