"""Tables of the study launchers: spreads over seeds and the rows they fold."""

import math

import pytest

from hwr_jax.evaluation import tables


def test_spread_is_the_mean_and_sample_standard_deviation():
  summary = tables.spread([0.5, 0.7, 0.9])
  assert summary['mean'] == pytest.approx(0.7) and summary['n'] == 3
  assert summary['sd'] == pytest.approx(0.2)  # ddof=1, not the population's 0.163
  assert tables.format_spread(summary) == '0.7000 ± 0.2000 (n=3)'
  single = tables.spread([0.25])
  assert single['sd'] is None and tables.format_spread(single) == '0.2500 (n=1)'


def test_rows_that_differ_only_in_seed_fold_together():
  rows = [{'cell': {'lr': lr, 'seed': seed}, 'workdir': f'{lr}-{seed}',
           'scalars': {'acc': lr + seed, **({'extra': 1.0} if seed == 0 else {})}}
          for lr in (1, 2) for seed in (0, 1, 2)]
  folded = tables.over_seeds(rows)
  assert [group['cell'] for group in folded] == [{'lr': 1}, {'lr': 2}]
  assert folded[1]['workdirs'] == ['2-0', '2-1', '2-2']
  assert folded[1]['scalars']['acc']['mean'] == 3 and folded[1]['scalars']['acc']['sd'] == 1
  # A figure only some seeds have is counted over those.
  assert folded[0]['scalars']['extra']['n'] == 1
  table = tables.figures_table(folded, ['lr'], ['acc', 'extra'])
  assert table.splitlines()[2] == '| 1 | 2.0000 ± 1.0000 (n=3) | 1.0000 (n=1) |'
  assert not math.isnan(folded[0]['scalars']['acc']['sd'])
