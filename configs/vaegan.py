"""VAE-GAN (hwr_jax/tasks/vaegan.py): a VAE whose decoder is the conditional DCGAN of
configs/gan.py, its reconstruction error measured in the discriminator's features.

Variants (the part after the colon): syriac (default), fashion_mnist, tiny: the data and
networks of the configs/gan.py variant of the same name.

  python -m launch.train --config=configs/vaegan.py --workdir=runs/vaegan
  python -m launch.encode --workdir=runs/vaegan
"""

import ml_collections

from hwr_jax import config_lib

VARIANTS = ('syriac', 'fashion_mnist', 'tiny')


def get_config(variant: str = 'syriac'):
  config = config_lib.joint_encoder_config(
      'vaegan', config_lib.sibling_config(__file__, 'gan.py', variant or 'syriac', VARIANTS))
  config.vaegan = ml_collections.ConfigDict(dict(kl_weight=0.01, gamma=1.0, y_weight=1.0))
  return config
