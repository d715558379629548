"""launch.hands: hand identification and dating from pixels, codes and classifier features."""

import json

import numpy as np
import pytest

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.data.sources import named_letters
from hwr_jax.evaluation.hands import hand_figures
from hwr_jax.io_utils import write_json
from scripts.hands_over_seeds import folded


def train_tiny(name, workdir, steps):
  config = load_config_file(f'configs/{name}.py:tiny')
  config.train.update(steps=steps, checkpoint_every=steps)
  loop.train_and_evaluate(config, str(workdir))
  return config


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
  root = tmp_path_factory.mktemp('hands')
  config = train_tiny('conv_autoencoder', root / 'cae', 8)
  train_tiny('cnn_classifier', root / 'cnn', 8)
  train_tiny('gan', root / 'gan', 8)
  encoder = load_config_file('configs/encoder.py:tiny')
  encoder.encoder.gan_workdir = str(root / 'gan')
  encoder.train.update(steps=8, checkpoint_every=8)
  loop.train_and_evaluate(encoder, str(root / 'encoder'))
  return root, config


def test_every_space_gets_its_row_and_the_baseline_is_chance(runs, launcher):
  root, config = runs
  result = launcher('hands', f'--workdirs={root / "cae"},{root / "encoder"}',
                    f'--classifier={root / "cnn"}', '--set=all', '--letters=4',
                    '--edit_letters=100', f'--out={root / "out"}')
  assert result.stdout.startswith('240 letters of 5 manuscripts (set all)')
  with open(root / 'out' / 'table.json', encoding='utf-8') as f:
    rows = json.load(f)
  assert [row['cell']['space'] for row in rows] == ['pixels', 'z cae', 'z encoder',
                                                    'features cnn', 'baseline']
  letters = named_letters(config, 'all')
  assert rows[0]['cell']['size'] == 16 * 16 and rows[1]['cell']['size'] == 64
  # The pixels' row is the library's figures of the same letters, as printed.
  expected = hand_figures(letters.images, letters.metadata['manuscript'],
                          letters.metadata['date'], letters=4, seed=0)
  assert rows[0]['scalars'] == pytest.approx(expected)
  assert rows[4]['scalars']['letter_top1'] == 0.2 and rows[4]['scalars']['letter_top5'] == 1.0
  for row in rows[:4]:
    assert set(row['scalars']) == {'letter_top1', 'letter_top5', '4_letters_top1',
                                   '4_letters_top5', 'date_mae'}
    assert 0 <= row['scalars']['letter_top1'] <= row['scalars']['letter_top5'] <= 1
    assert np.isfinite(row['scalars']['date_mae'])
  # Edits only for the run with a generator: 100 letters, each figure a share.
  with open(root / 'out' / 'edits.json', encoding='utf-8') as f:
    (edits,) = json.load(f)
  assert edits['cell'] == {'run': 'encoder', 'letters': 100}
  assert set(edits['scalars']) == {'real_top1', 'real_top5', 'rebuilt_top1', 'rebuilt_top5',
                                   'edited_top1', 'edited_top5', 'rebuilt_fidelity',
                                   'edited_fidelity'}
  assert all(0 <= value <= 1 for value in edits['scalars'].values())
  assert 'Letters drawn again from their z (chance: 0.2000 top-1' in result.stdout


def test_a_set_without_enough_manuscripts_or_unknown_is_refused(runs, launcher):
  root, _ = runs
  unknown = launcher('hands', f'--workdirs={root / "cae"}', '--set=valid', check=False)
  assert unknown.returncode == 2
  assert "no data set 'valid': the data has sets" in unknown.stderr
  # The tiny split by manuscript holds out one manuscript: nothing to tell apart.
  one = launcher('hands', f'--workdirs={root / "cae"}', '--set=test', check=False)
  assert one.returncode == 2
  assert 'at least two manuscripts, got 1' in one.stderr
  nothing = launcher('hands', check=False)
  assert nothing.returncode == 2 and '--workdirs' in nothing.stderr


def test_tables_of_several_seeds_fold_into_one(tmp_path):
  folders = []
  for seed, value in ((0, 0.5), (1, 0.7)):
    folder = tmp_path / f'seed={seed}'
    folder.mkdir()
    write_json(str(folder / 'table.json'), [
        {'cell': {'space': 'pixels', 'size': 4}, 'scalars': {'letter_top1': value}, 'workdir': ''},
        {'cell': {'space': f'z seed={seed}.grafted', 'size': 2},
         'scalars': {'letter_top1': 1 - value}, 'workdir': ''}])
    folders.append(str(folder))
  lines = folded(folders, 'table.json', ['space', 'size']).splitlines()
  assert lines[2] == '| pixels | 4 | 0.6000 ± 0.1414 (n=2) |'
  assert lines[3] == '| z seed=*.grafted | 2 | 0.4000 ± 0.1414 (n=2) |'
