"""Bidirectional LSTM letter classifier reading image rows (hwr_jax/models/blstm.py).

Variants (the part after the colon):
  single (default)  one bidirectional layer of 128 units per direction on the synthetic Syriac
                    letters at 32x32 (32 time steps of 32 pixels), 3000 steps. About 5
                    minutes on one core of a 2-core CPU; over seeds 0-2 (split by
                    manuscript, both scripts) test accuracy 0.9213 +- 0.0119, context crops
                    0.6129 +- 0.0655 (docs/studies.md).
  stacked           two stacked bidirectional layers, dropout 0.1 between them; 14 minutes;
                    test 0.9404 +- 0.0159, context 0.6650 +- 0.0504.
  fashion_mnist     single layer on Fashion-MNIST (28 rows of 28 pixels).
  tiny              a few steps on a small synthetic set, for tests and smoke runs.

  python -m launch.train --config=configs/blstm_classifier.py --workdir=runs/blstm
  python -m launch.train --config=configs/blstm_classifier.py:stacked --workdir=runs/blstm2
"""

from hwr_jax import config_lib


def get_config(variant: str = 'single'):
  variant = variant or 'single'
  config = config_lib.classifier_config('blstm', steps=3000, batch_size=128, log_every=100,
                                        checkpoint_every=1000)
  config.model.update(hidden=128, layers=1, dropout=0.0)
  config.optimizer.grad_clip_norm = 1.0
  if variant == 'stacked':
    config.model.layers = 2
    config.model.dropout = 0.1
  elif variant == 'fashion_mnist':
    config.data = config_lib.fashion_mnist_block()
  elif variant == 'tiny':
    config_lib.make_tiny(config)
    config.model.hidden = 16
  elif variant != 'single':
    raise ValueError(f'unknown variant {variant!r}: single, stacked, fashion_mnist or tiny')
  return config
