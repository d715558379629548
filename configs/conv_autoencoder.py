"""Convolutional autoencoder with tied weights (hwr_jax/models/conv_autoencoder.py, task:
autoencoder).

Strided 4x4 convolutions 16-32-4 down to a 4x4x4 code (64 numbers, at 32x32 and at 28x28),
no pooling, and transposed convolutions back up that reuse the encoder's kernels
(model.tied=False gives the decoder kernels of its own); Xavier initialisation.

Variants (the part after the colon), timed on the 2-core machine beside three other trainings:
  syriac (default)  synthetic Syriac letters at 32x32, 3000 steps of 128; 3m35s. Test
                    reconstruction MSE 0.0025 (context crops 0.0070).
  untied            the same with separate decoder kernels; 3m09s. Test MSE 0.0025.
  fashion_mnist     Fashion-MNIST IDX files at 28x28, 3000 steps of 128; 1m35s. Test MSE 0.0107.
  tiny              a few steps on a small synthetic set, for tests and smoke runs.

  python -m launch.train --config=configs/conv_autoencoder.py --workdir=runs/cae
  python -m launch.encode --workdir=runs/cae
"""

from hwr_jax import config_lib


def get_config(variant: str = 'syriac'):
  variant = variant or 'syriac'
  config = config_lib.autoencoder_config('conv_autoencoder', steps=3000, batch_size=128,
                                         log_every=100, checkpoint_every=1000)
  config.model.update(features=(16, 32, 4), kernel_size=4, tied=True)
  if variant == 'untied':
    config.model.tied = False
  elif variant == 'fashion_mnist':
    config.data = config_lib.fashion_mnist_block()
  elif variant == 'tiny':
    config_lib.make_tiny(config)
    config.model.features = (8, 4)
  elif variant != 'syriac':
    raise ValueError(f'unknown variant {variant!r}: syriac, untied, fashion_mnist or tiny')
  return config
