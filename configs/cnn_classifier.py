"""CNN letter classifier (hwr_jax/models/cnn.py, task: classification).

Variants (the part after the colon):
  syriac (default)  synthetic Syriac letters (22 classes, generated on first use, 32x32),
                    800 steps; test accuracy 0.9962, context crops 0.8125. 2m14s in all
                    (40 s of it generating the data) on the faster 2-core CPU of the
                    README's Benchmark section.
  syriac64          the same at 64x64: the judge of the GAN of configs/gan.py.
  fashion_mnist     Fashion-MNIST IDX files of Debian's dataset-fashion-mnist, 6000 steps.
                    About 30 minutes on a 2-core CPU; test accuracy 0.9384.
  tiny              a few steps on a small synthetic set, for tests and smoke runs.

  python -m launch.train --config=configs/cnn_classifier.py --workdir=runs/cnn
  python -m launch.train --config=configs/cnn_classifier.py:fashion_mnist --workdir=runs/cnn_fm
"""

from hwr_jax import config_lib


def get_config(variant: str = 'syriac'):
  variant = variant or 'syriac'
  config = config_lib.classifier_config('cnn', steps=800, batch_size=128, log_every=50,
                                        checkpoint_every=200)
  config.model.update(features=(16, 32, 64), convs_per_block=2, dense=128, dropout=0.3)
  if variant == 'fashion_mnist':
    config.data = config_lib.fashion_mnist_block()
    config.model.features = (32, 64, 128)
    config.model.dense = 256
    config.train.steps = 6000
    config.train.checkpoint_every = 1000
    config.train.label_smoothing = 0.1
    config.model.dropout = 0.4
  elif variant == 'syriac64':
    config.data.image_size = 64
  elif variant == 'tiny':
    config_lib.make_tiny(config)
    config.model.features = (8, 16)
    config.model.convs_per_block = 1
    config.model.dense = 32
  elif variant != 'syriac':
    raise ValueError(f'unknown variant {variant!r}: syriac, syriac64, fashion_mnist or tiny')
  return config
