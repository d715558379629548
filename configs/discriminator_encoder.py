"""Discriminator-encoder GAN (hwr_jax/tasks/discriminator_encoder.py): the conditional DCGAN of
configs/gan.py whose discriminator also returns z (and the label), trained on the difference
between real letters and their rebuilds.

Variants (the part after the colon): syriac (default), fashion_mnist, tiny: the data and
networks of the configs/gan.py variant of the same name.

  python -m launch.train --config=configs/discriminator_encoder.py --workdir=runs/d_encoder
  python -m launch.encode --workdir=runs/d_encoder
"""

import ml_collections

from hwr_jax import config_lib

VARIANTS = ('syriac', 'fashion_mnist', 'tiny')


def get_config(variant: str = 'syriac'):
  gan = config_lib.sibling_config(__file__, 'gan.py', variant or 'syriac', VARIANTS)
  config = config_lib.joint_encoder_config('discriminator_encoder', gan)
  config.discriminator_encoder = ml_collections.ConfigDict(dict(
      recon_weight=1.0, z_weight=1.0, y_weight=1.0))
  return config
