"""Dating CNN: the year of a letter's manuscript (hwr_jax/models/dating_cnn.py, task: dating).

Data: 400 synthetic Syriac manuscripts of 30 letters each, dated 500-1300 (generated on first
use, about 30 s), at 32x32, split by manuscript into train (240 manuscripts), validation (60)
and test (100). Many manuscripts with few letters, rather than the default 40 of 300: a date is
learnt from a manuscript's hand, so the number of hands seen in training is what the model
generalises from, and the per-manuscript error is a mean over as many hands as the test set
holds. With 200 manuscripts of 60 letters (50 for test) the same recipe scored 0.45-0.47 of
the baseline on validation but 0.65-0.73 on test, a split on which even a least-squares fit of
the date on each manuscript's true slant, pen width and width reached only 0.51; 100 test
manuscripts steady the figure, and 30 letters are still enough for their median. On this split
that fit on the true hand (the limit the generator's noise sets, see
hwr_jax/data/synthetic/hand.py) is 75.1 years off, the training mean 202.2:
`python -m scripts.dating_limit` computes both.

Overfitting control: shifts and contrast changes (never shear or stretch, which carry the
date), dropout 0.3, AdamW weight decay 1e-4, and early stopping on the validation manuscripts'
MAE, evaluated every 100 steps, patience 10 evaluations.

Variants (the part after the colon). Figures on the 100 test manuscripts; the baseline (always
the training mean, 894.5) is 202.2 years off per letter and per manuscript, period accuracy
0.11. "Letter conditioned": the letter's label joins the dense layer.
  syriac (default)  regression in years, letter conditioned. 2000 steps: 16m24s on the 2-core
                    CPU shared with two other trainings (4m48s of CPU time); MAE per
                    manuscript (median of its letters) 97.8 years, 0.48 of the baseline; per
                    letter 119.2; 50-year period accuracy 0.18 per manuscript. On an H200:
                    62 s, 99.0 and 120.4 years, period accuracy 0.16.
  periods           softmax over 50-year periods, letter conditioned. 2000 steps: 7m38s on
                    the shared CPU; MAE per manuscript 102.6 (0.51 of the baseline), per letter
                    123.0; period accuracy 0.17 per manuscript, 0.129 per letter. On an H200:
                    59 s, 101.5 and 121.7 years, period accuracy 0.13.
  plain             regression from the image alone. 2000 steps: 11m35s on the shared CPU;
                    MAE per manuscript 98.5 (0.49 of the baseline), per letter 120.8; period
                    accuracy 0.15 per manuscript: the letter's label adds little here.
                    Over seeds 0-2 (each run about 7 minutes on one core; docs/dating.md) the
                    three variants are level: MAE per manuscript 102.0 +- 4.2 (syriac),
                    102.4 +- 2.3 (periods), 100.7 +- 3.9 (plain), baseline 206.2 +- 6.1.
  plain_periods     periods from the image alone. Measured only on an H200 with patience 5,
                    which stopped it at step 1600: MAE per manuscript 106.9 (0.53), per
                    letter 125.4; period accuracy 0.23 per manuscript, 0.135 per letter.
  tiny              a few steps on 8 small manuscripts, for tests and smoke runs.

  python -m launch.train --config=configs/dating.py --workdir=runs/dating
  python -m launch.train --config=configs/dating.py:periods --workdir=runs/dating_periods
"""

import ml_collections

from hwr_jax import config_lib
from hwr_jax.data import augment

VARIANTS = ('syriac', 'periods', 'plain', 'plain_periods', 'tiny')


def get_config(variant: str = 'syriac'):
  variant = variant or 'syriac'
  if variant not in VARIANTS:
    raise ValueError(f'unknown variant {variant!r}: one of {", ".join(VARIANTS)}')
  config = config_lib.base_config(steps=2000, batch_size=128, log_every=50, checkpoint_every=500,
                                  eval_every=100)
  config.model_name = 'dating_cnn'
  config.task_name = 'dating'
  config.evals = config_lib.evals_block(config.task_name)
  config.model = ml_collections.ConfigDict(dict(
      conditional=not variant.startswith('plain'), features=(16, 32, 64), convs_per_block=2,
      dense=128, dropout=0.3))
  config.data = config_lib.data_block(
      'synthetic', split='manuscript', test_fraction=0.25, val_fraction=0.15,
      synthetic=config_lib.synthetic_block(num_manuscripts=400, letters_per_manuscript=30))
  config.dating = ml_collections.ConfigDict(dict(
      target='periods' if variant.endswith('periods') else 'regression', period_years=50,
      aggregate='median'))
  config.augment = augment.default_config()
  config.augment.update(max_shift=2, contrast=0.2)
  config.optimizer.update(name='adamw', learning_rate=2e-3, weight_decay=1e-4,
                          schedule='warmup_cosine', warmup_steps=100)
  config.train.early_stopping.update(metric='mae_manuscript', mode='min', patience=10)
  if variant == 'tiny':
    config_lib.make_tiny(config)
    config.data.update(split='manuscript', test_fraction=0.25, val_fraction=0.25)
    config.data.synthetic.update(num_manuscripts=8, letters_per_manuscript=30)
    config.train.eval_every = 10
    config.train.early_stopping.patience = 2
    config.model.update(features=(8, 16), convs_per_block=1, dense=32)
  return config
