"""Conditional DCGAN (hwr_jax/models/dcgan.py, task: adversarial).

The judge of generated letters is a letter classifier trained separately on the same data at
the same image size (eval.classifier_workdir): label fidelity is its accuracy on generated
letters with respect to the labels they were generated for, and the Fréchet distance is taken
in its penultimate feature space between real test letters and generated ones (reported beside
that of the untrained generator).

Variants (the part after the colon):
  syriac (default)  the deeper variant (two convolutions per block) on synthetic Syriac letters
                    at 64x64; judge: configs/cnn_classifier.py:syriac64.
  fashion_mnist     the IcGAN architecture at Fashion-MNIST's 28x28 (G 110-128-64-1 from 7x7,
                    D 1-64-[+10]-128-1); judge: configs/cnn_classifier.py:fashion_mnist.
  icgan             the IcGAN reference model exactly, 64x64 Fashion-MNIST (resized);
  icgan32           its 32x32 form; icgan_syriac: the reference model on Syriac letters at 64.
  pooling           the Syriac model with average pooling in D and resize-convolutions in G.
                    At 32x32 and 2000 steps its D does not learn (label fidelity 0.085 +- 0.076
                    over seeds 0-2, against 0.312 +- 0.050 for syriac).
  dcgan             the unconditional DCGAN on Syriac letters (Fréchet distance only: 374 +-
                    47 at 32x32 and 2000 steps over seeds 0-2, against 845 +- 59 for syriac).
  tiny              a few steps on a small synthetic set, for tests and smoke runs.
Figures and times are in docs/gans.md.

  python -m launch.train --config=configs/cnn_classifier.py:syriac64 --workdir=runs/cnn64
  python -m launch.train --config=configs/gan.py --workdir=runs/gan \
      --config.eval.classifier_workdir=runs/cnn64
  python -m launch.sample --workdir=runs/gan --label=alaph --num=64
"""

import ml_collections

from hwr_jax import config_lib

VARIANTS = ('syriac', 'fashion_mnist', 'icgan', 'icgan32', 'icgan_syriac', 'pooling', 'dcgan',
            'tiny')


def get_config(variant: str = 'syriac'):
  variant = variant or 'syriac'
  if variant not in VARIANTS:
    raise ValueError(f'unknown variant {variant!r}: one of {", ".join(VARIANTS)}')
  config = config_lib.base_config(steps=2000, batch_size=64, log_every=100,
                                  checkpoint_every=500, sample_every=500)
  config.model_name = 'dcgan'
  config.task_name = 'adversarial'
  config.evals = config_lib.evals_block(config.task_name)
  config.model = ml_collections.ConfigDict(dict(
      z_dim=100, conditional=True, width=64, convs_per_block=1, upsampling='transpose',
      downsampling='stride', label_position='conv1', bias_before_norm=False))
  config.gan = ml_collections.ConfigDict(dict(label_sampling='empirical', matching_aware=True))
  config.optimizer.update(learning_rate=2e-4, b1=0.5, schedule='constant')
  config.eval.update(classifier_workdir='', num_samples=2000, per_class_samples=50,
                     grid_columns=10)
  syriac64 = config_lib.data_block('synthetic', image_size=64)
  if variant in ('syriac', 'pooling', 'dcgan'):
    config.data = syriac64
    config.model.update(width=32, convs_per_block=2)
  if variant == 'pooling':
    config.model.update(upsampling='resize', downsampling='pool')
  elif variant == 'dcgan':
    config.model.conditional = False
    config.gan.matching_aware = False
  elif variant == 'fashion_mnist':
    config.data = config_lib.fashion_mnist_block()
    config.train.steps = 3000
  elif variant in ('icgan', 'icgan32'):
    config.data = config_lib.fashion_mnist_block(image_size=64 if variant == 'icgan' else 32)
    config.model.bias_before_norm = True
  elif variant == 'icgan_syriac':
    config.data = syriac64
    config.model.bias_before_norm = True
  elif variant == 'tiny':
    config_lib.make_tiny(config)
    config.model.update(width=8, z_dim=16)
    config.train.sample_every = 10
    config.eval.update(num_samples=64, per_class_samples=4, batch_size=64)
  return config
