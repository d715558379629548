"""The dating task on tiny configs: it trains and scores per manuscript, the launcher refuses
leaking splits and undated or unassigned letters, naming the image, and writes nothing."""

import csv
import json
import os
import re

import numpy as np
import pytest
from PIL import Image

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.sources import load_splits
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import DataError
from hwr_jax.evaluation import dating as dating_metrics
from hwr_jax.loop import train_and_evaluate
from hwr_jax.tasks.restore import load_trained
from configs import dating as dating_config

TINY = 'configs/dating.py:tiny'


def write_dated_folder(root, rows, size=(16, 16)):
  """Letter-like PNGs and a labels.csv of (image, label, manuscript, date) rows, as text."""
  rng = np.random.default_rng(0)
  os.makedirs(root, exist_ok=True)
  with open(os.path.join(root, 'labels.csv'), 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(['image', 'label', 'manuscript', 'date'])
    for row in rows:
      writer.writerow(row)
      image = np.full(size, 230, np.uint8)
      image[rng.integers(0, size[0], 6), :] = 20
      Image.fromarray(image).save(os.path.join(root, row[0]))
  return str(root)


def dated_rows(manuscripts=6, letters=8):
  return [[f'ms{m}_{i:02d}.png', 'alaph' if i % 2 else 'beth', f'MS{m}', str(600 + 100 * m)]
          for m in range(manuscripts) for i in range(letters)]


def folder_args(path, *extra):
  return [f'--config={TINY}', '--config.data.source=folder', f'--config.data.train={path}',
          '--config.data.test_fraction=0.34', '--config.data.val_fraction=0.0',
          '--config.train.early_stopping.metric=', '--config.train.batch_size=8', *extra]


def tiny_config(target='regression', conditional=False):
  config = dating_config.get_config('tiny')
  config.dating.target = target
  config.model.conditional = conditional
  return config


def test_trains_and_scores_each_manuscript_against_the_baseline(tmp_path):
  result = train_and_evaluate(tiny_config(), str(tmp_path / 'run'))
  test = result.scalars['test']
  assert set(test) >= {'mae_letter', 'mae_manuscript', 'period_accuracy_manuscript',
                       'baseline_mae_manuscript'}
  assert all(np.isfinite(v) for v in test.values())
  report = json.loads((tmp_path / 'run' / 'eval' / 'report.json').read_text())
  assert len(report['test']['manuscripts']) == report['test']['manuscript']['count'] >= 1
  assert set(report) == {'test', 'context', 'context_binary'}
  assert (tmp_path / 'run' / 'eval' / 'dates_test.png').exists()
  # The training dates saved in the workdir rebuild the same task for evaluation.
  task, _ = load_trained(str(tmp_path / 'run'))
  assert task.dates.first >= 500 and task.dates.last <= 1300 and task.dates.std > 0


def test_conditional_periods_are_deterministic(tmp_path):
  reports = []
  for name in ('a', 'b'):
    train_and_evaluate(tiny_config('periods', conditional=True), str(tmp_path / name))
    reports.append(json.loads((tmp_path / name / 'eval' / 'report.json').read_text()))
  assert reports[0] == reports[1]
  assert reports[0]['test']['period_years'] == 50


@pytest.mark.parametrize('seed', range(5))
def test_no_manuscript_is_on_two_sides_of_the_default_split(seed):
  """The default config splits by manuscript, and the task itself refuses any overlap."""
  config = dating_config.get_config('tiny')
  data = load_splits(config.data, seed)
  sides = [set(s.metadata['manuscript']) for s in (data.train, data.val, data.test)]
  assert all(sides)
  assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])


def test_a_leaking_split_is_refused_naming_a_manuscript(tmp_path, launcher):
  folder = write_dated_folder(tmp_path / 'data', dated_rows())
  workdir = tmp_path / 'run'
  result = launcher('train', *folder_args(folder, '--config.data.split=random'),
                    f'--workdir={workdir}', check=False)
  assert result.returncode == 2
  assert "error: manuscript 'MS" in result.stderr and 'train and the test set' in result.stderr
  assert not workdir.exists()


@pytest.mark.parametrize('damage, needle', [
    (lambda rows: rows[5].__setitem__(3, 'about 1100'),
     r"labels.csv line 7: date 'about 1100' is not a number"),
    (lambda rows: rows[9].__setitem__(3, ''), r"image 'ms1_01.png' has no date"),
    (lambda rows: rows[12].__setitem__(2, ''), r"image 'ms1_04.png' has no manuscript"),
])
def test_bad_dates_and_manuscripts_are_named(tmp_path, launcher, damage, needle):
  rows = dated_rows()
  damage(rows)
  folder = write_dated_folder(tmp_path / 'data', rows)
  workdir = tmp_path / 'run'
  result = launcher('train', *folder_args(folder), f'--workdir={workdir}', check=False)
  assert result.returncode == 2, result.stderr
  assert re.search(needle, result.stderr), result.stderr
  assert not workdir.exists()


def test_missing_columns_are_named():
  rows = dated_rows(manuscripts=2, letters=2)
  dataset = LetterDataset(images=np.zeros((4, 4, 4), np.uint8), labels=np.zeros(4, np.int32),
                          vocabulary=Vocabulary(('a',)), names=np.array([r[0] for r in rows]),
                          metadata={'date': np.full(4, 900.0, np.float32)})
  with pytest.raises(DataError,
                     match=r"needs a 'manuscript' column, but the test set has \['date'\]"):
    dating_metrics.check_dated(dataset, 'test')
