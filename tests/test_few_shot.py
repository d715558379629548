"""scripts/few_shot.py run as a user runs it, on the tiny configs: a design held out, k letters
of it per class drawn per seed, a run fine-tuned from the base and one from scratch on them,
and the table over the seeds."""

import csv
import json
import os

import launchers
from hwr_jax.io_utils import read_json

TINY = 'configs/cnn_classifier.py:tiny'
HELD_OUT = 6  # Noto Sans Syriac Western Black: two of the tiny set's five manuscripts


def read_csv(path):
  with open(path, newline='', encoding='utf-8') as f:
    return list(csv.DictReader(f))


def few_shot(out, *args):
  result = launchers.run(['-m', 'scripts.few_shot', f'--out={out}', f'--held_out={HELD_OUT}',
                          f'--base_config={TINY}', f'--tune_config={TINY}', *args])
  assert result.returncode == 0, result.stderr[-4000:]
  return result


def test_each_seed_draws_its_letters_and_the_table_folds_the_seeds(tmp_path):
  result = few_shot(tmp_path, '--shots=1', '--seeds=0,1')
  for seed in (0, 1):
    folder = tmp_path / f'seed={seed}'
    shots, rest = read_csv(folder / 'shots_1.csv'), read_csv(folder / 'rest_1.csv')
    fonts = {row['font'] for row in shots + rest}
    assert len(fonts) == 1 and 'Western Black' in fonts.pop()
    letters = [row['label'] for row in shots]
    assert sorted(letters) == sorted(set(letters))  # one of each letter
    assert {row['label'] for row in rest} <= set(letters)
    assert not {row['image'] for row in shots} & {row['image'] for row in rest}
    with open(folder / 'finetune_1' / 'config.json', encoding='utf-8') as f:
      assert json.load(f)['init']['workdir'] == str(folder / 'base')
    with open(folder / 'scratch_1' / 'config.json', encoding='utf-8') as f:
      assert json.load(f)['init']['workdir'] == ''
  assert read_csv(tmp_path / 'seed=0' / 'shots_1.csv') != read_csv(tmp_path / 'seed=1' /
                                                                     'shots_1.csv')
  rows = read_json(os.path.join(tmp_path, 'table.json'))
  assert [(row['cell']['seed'], row['cell']['k per class']) for row in rows] == [(0, 1), (1, 1)]
  summary = read_json(os.path.join(tmp_path, 'summary.json'))
  assert summary[0]['scalars']['fine-tuned']['values'] == [row['scalars']['fine-tuned']
                                                          for row in rows]
  table = (tmp_path / 'table.md').read_text(encoding='utf-8')
  assert '| k per class | letters | untouched | fine-tuned | from scratch |' in table
  assert '(n=2)' in table and table.strip() in result.stdout
