r"""How well a manuscript's date can be told from its true hand: the limit the generator sets.

The synthetic hands drift with the date in three parameters (slant, pen width, width; see
hwr_jax/data/synthetic/hand.py), each with noise of its own. A least-squares fit of the date on
those three true values, fitted on the training manuscripts of a dating config and scored on its
test manuscripts, is what a model that read the hand perfectly could reach with a linear rule;
the mean predictor (the training manuscripts' mean date) is the floor.

  python -m scripts.dating_limit [--config=configs/dating.py]

Prints both mean absolute errors per test manuscript, in years.
"""

from __future__ import annotations

import json
import os

from absl import app, flags

from hwr_jax.config_lib import load_config_file
from hwr_jax.data import sources, synthetic
from hwr_jax.evaluation.dating import DRIFTING, hand_fit_errors
from launch.common import parse_flags, report_errors

_CONFIG = flags.DEFINE_string('config', 'configs/dating.py', 'A dating config on synthetic data.')


@report_errors
def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  config = load_config_file(_CONFIG.value)
  root = synthetic.ensure_synthetic(sources.synthetic_params(config.data.synthetic),
                                    sources.cache_root(config.data))
  with open(os.path.join(root, 'meta.json'), encoding='utf-8') as f:
    hands = {hand['manuscript']: hand for hand in json.load(f)['manuscripts']}
  data = sources.load_splits(config.data, config.seed)
  train = sorted(set(data.train.metadata['manuscript']))
  test = sorted(set(data.test.metadata['manuscript']))
  fitted, mean = hand_fit_errors(hands, train, test)
  print(f'{len(train)} training and {len(test)} test manuscripts of {_CONFIG.value}')
  print(f'least squares on the true {", ".join(DRIFTING)}: {fitted:.1f} years per manuscript')
  print(f'training mean date: {mean:.1f} years per manuscript')


if __name__ == '__main__':
  app.run(main, flags_parser=parse_flags)
