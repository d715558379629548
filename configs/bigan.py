"""ALI/BiGAN (hwr_jax/tasks/bigan.py): the conditional DCGAN of configs/gan.py trained with an
encoder against a discriminator of (letter, z) pairs.

Variants (the part after the colon): syriac (default), fashion_mnist, tiny: the data and
networks of the configs/gan.py variant of the same name.

  python -m launch.train --config=configs/bigan.py --workdir=runs/bigan
  python -m launch.encode --workdir=runs/bigan
"""

import ml_collections

from hwr_jax import config_lib

VARIANTS = ('syriac', 'fashion_mnist', 'tiny')


def get_config(variant: str = 'syriac'):
  config = config_lib.joint_encoder_config(
      'bigan', config_lib.sibling_config(__file__, 'gan.py', variant or 'syriac', VARIANTS))
  config.bigan = ml_collections.ConfigDict(dict(y_weight=1.0))
  return config
