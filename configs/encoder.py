"""Encoder of a trained conditional GAN (hwr_jax/tasks/encoder.py): letter -> (z, label).

The encoder starts from the GAN's discriminator (grafted) and trains against the frozen
generator. Train it on the GAN's own data: each variant matches one configs/gan.py variant.

Variants (the part after the colon):
  syriac (default)  for configs/gan.py (Syriac letters, 64x64), GAN in runs/gan.
  fashion_mnist     for configs/gan.py:fashion_mnist, GAN in runs/gan_fm.
  icgan_ind         the IcGAN paper's independent encoders E_z and E_y (IND), for
                    configs/gan.py:icgan (64x64 Fashion-MNIST), GAN in runs/icgan: E_z on
                    generated pairs, E_y on real letters, both MSE, Adam 1e-4 / beta1 0.1.
  icgan_sng         the same with one joint encoder (SNG).
  tiny              a few steps on a small synthetic set, for tests and smoke runs (give
                    encoder.gan_workdir: a run of configs/gan.py:tiny).

Settings most studies change:
  --config.encoder.graft=false            start from a fresh encoder (the baseline)
  --config.encoder.trunk_lr_scale=1.0     train the discriminator's layers at the heads' rate
                                          (default 0.1: Adam moves every weight by about the
                                          learning rate, 5e-4, per step, against weights of
                                          about 0.02, so at the full rate the first hundred
                                          steps overwrite what the discriminator learned)
  --config.encoder.objective=icgan        regress z of generated letters instead of rebuilding
                                          real ones
  --config.encoder.gan_workdir=DIR        another GAN run (same data)

  python -m launch.train --config=configs/gan.py --workdir=runs/gan \
      --config.eval.classifier_workdir=runs/cnn64
  python -m launch.train --config=configs/encoder.py --workdir=runs/encoder
"""

import ml_collections

from hwr_jax import config_lib

VARIANTS = ('syriac', 'fashion_mnist', 'icgan_ind', 'icgan_sng', 'tiny')


def get_config(variant: str = 'syriac'):
  variant = variant or 'syriac'
  if variant not in VARIANTS:
    raise ValueError(f'unknown variant {variant!r}: one of {", ".join(VARIANTS)}')
  config = config_lib.gan_follow_on_config('encoder')
  config.encoder = ml_collections.ConfigDict(dict(
      gan_workdir='runs/gan', gan_step=-1, architecture='discriminator', graft=True,
      objective='reconstruction', y_loss='cross_entropy', y_weight=0.1, trunk_lr_scale=0.1))
  config.optimizer.update(learning_rate=5e-4, schedule='constant')
  if variant == 'fashion_mnist':
    config.data = config_lib.fashion_mnist_block()
    config.encoder.gan_workdir = 'runs/gan_fm'
  elif variant in ('icgan_ind', 'icgan_sng'):
    config.data = config_lib.fashion_mnist_block(image_size=64)
    config.encoder.update(gan_workdir='runs/icgan', graft=False, objective='icgan',
                          y_loss='mse', y_weight=1.0, trunk_lr_scale=1.0,
                          architecture='independent' if variant == 'icgan_ind' else 'joint')
    config.optimizer.update(learning_rate=1e-4, b1=0.1)
    config.train.steps = 2000
  elif variant == 'tiny':
    config_lib.make_tiny(config)
    config.encoder.gan_workdir = ''
    config.train.sample_every = 10
    config.eval.batch_size = 64
  return config
