"""The GAN from the command line: training with its judge, sampling a chosen letter, errors."""

import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from hwr_jax.data.sources import resize_images
from hwr_jax.evaluation.domain_classifier import DomainClassifier
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.tasks.restore import load_trained

GAN = 'configs/gan.py:tiny'
CLASSIFIER = 'configs/cnn_classifier.py:tiny'
# Longer than the tiny configs' 20 steps: a judge of 20 steps has no features to speak of, and
# a GAN of 20 (or 100) steps is no nearer the real letters than its untrained generator. After
# 200 steps each, the trained generator's Fréchet distance is 0.37 of the untrained one's.
JUDGE_STEPS = 200
GAN_STEPS = 200
# A GAN draws the hands it learned from: the tiny set's split by manuscript would test it on one
# hand it never saw, possibly of the other script (the same GAN is then at 1.16 of its untrained
# distance), so both runs split the letters at random.
SPLIT = '--config.data.split=random'
SAMPLE_EVERY = 100


@pytest.fixture(scope='module')
def trained(tmp_path_factory, launcher):
  """A tiny classifier, and a tiny GAN judged by it, both trained on the same tiny letters."""
  root = tmp_path_factory.mktemp('gan')
  judge, gan = str(root / 'judge'), str(root / 'gan')
  launcher('train', f'--config={CLASSIFIER}', f'--workdir={judge}', SPLIT,
           f'--config.train.steps={JUDGE_STEPS}', f'--config.train.checkpoint_every={JUDGE_STEPS}')
  result = launcher('train', f'--config={GAN}', f'--workdir={gan}', SPLIT,
                    f'--config.eval.classifier_workdir={judge}',
                    f'--config.train.steps={GAN_STEPS}', '--config.train.log_every=50',
                    f'--config.train.checkpoint_every={SAMPLE_EVERY}',
                    f'--config.train.sample_every={SAMPLE_EVERY}')
  return judge, gan, result


def letters_of(workdir):
  with open(os.path.join(workdir, 'vocabulary.json'), encoding='utf-8') as f:
    data = json.load(f)
  return data['labels'] if isinstance(data, dict) else data


def read_json(*path):
  with open(os.path.join(*path), encoding='utf-8') as f:
    return json.load(f)


def grid_size(workdir, count, columns):
  """(width, height) of the grid of `count` letters of the run's size, `columns` to a row."""
  side = read_json(workdir, 'config.json')['data']['image_size']
  height, width = image_grid(np.zeros((count, side, side), np.uint8), columns).shape
  return width, height


def test_training_reports_fidelity_and_frechet_distances(trained):
  judge, gan, result = trained
  assert 'test: frechet_distance' in result.stdout and 'label_fidelity' in result.stdout
  report = read_json(gan, 'eval', 'report.json')['test']
  # The trained generator's letters are nearer the real ones than its untrained start's.
  assert report['frechet_distance'] < 0.8 * report['frechet_distance_untrained']
  # Fidelity is scored on one generated letter for each test letter, with that letter's label.
  # (It is not asserted above chance: a tiny GAN draws every class alike for its first
  # thousand steps, so its fidelity is chance's, 1/22, give or take the draw of 48 letters.)
  test_letters = read_json(judge, 'eval', 'report.json')['test']['per_class']
  assert {name: scores['count'] for name, scores in report['label_fidelity']['per_class'].items()
          } == {name: scores['count'] for name, scores in test_letters.items()}
  assert 'platform cpu' in result.stderr
  # Every letter generated as often (configs/gan.py:tiny: 4 each), the rarest quarter apart.
  balanced = report['label_fidelity_per_class']
  assert set(balanced['per_class']) == set(test_letters)
  counts = read_json(gan, 'data_info.json')['class_counts']
  rarest = sorted(counts)[:len(counts) // 4]
  assert sorted(r['training_count'] for r in balanced['rare'].values()) == rarest
  assert report['label_fidelity_rare'] == pytest.approx(
      np.mean([r['fidelity'] for r in balanced['rare'].values()]))
  # The spectra evaluator scores the same generated letters against as many real ones.
  assert report['period'] == 2
  assert 0 < report['checkerboard_share'] < 1 and 0 < report['checkerboard_share_real'] < 1
  assert report['checkerboard_ratio'] == pytest.approx(
      report['checkerboard_share'] / report['checkerboard_share_real'])


def test_sample_grids_are_written_during_training_on_fixed_z(trained):
  _, gan, _ = trained
  samples = sorted(os.listdir(os.path.join(gan, 'samples')))
  steps = [f'{step:06d}' for step in range(SAMPLE_EVERY, GAN_STEPS + 1, SAMPLE_EVERY)]
  assert samples == [f'classes_{step}.png' for step in steps] + [
      f'samples_{step}.png' for step in steps]
  columns = read_json(gan, 'config.json')['eval']['grid_columns']
  with Image.open(os.path.join(gan, 'samples', f'classes_{steps[-1]}.png')) as classes:
    # One row per letter of the vocabulary, its name on the left of the grid.
    _, height = grid_size(gan, len(letters_of(gan)) * columns, columns)
    assert classes.height == height


def test_sample_draws_a_chosen_letter(trained, tmp_path, launcher):
  _, gan, _ = trained
  letter = letters_of(gan)[1]
  out = str(tmp_path / 'grid.png')
  result = launcher('sample', f'--workdir={gan}', f'--label={letter}', '--num=12',
                    '--columns=4', f'--out={out}')
  assert f'wrote 12 letters of {letter} from step {GAN_STEPS}' in result.stdout
  with Image.open(out) as grid:
    assert grid.size == grid_size(gan, 12, 4)


def test_sample_refuses_a_letter_not_in_the_vocabulary(trained, launcher):
  _, gan, _ = trained
  result = launcher('sample', f'--workdir={gan}', '--label=omega', check=False)
  assert result.returncode == 2
  assert "error: --label='omega' is not a letter of this run" in result.stderr
  assert letters_of(gan)[0] in result.stderr


def test_sample_refuses_a_classifier_workdir(trained, launcher):
  judge, _, _ = trained
  result = launcher('sample', f'--workdir={judge}', '--label=alaph', check=False)
  assert result.returncode == 2
  assert 'not a GAN' in result.stderr


def test_sample_refuses_a_checkpoint_of_another_model(trained, tmp_path, launcher):
  _, gan, _ = trained
  other = str(tmp_path / 'other')
  shutil.copytree(gan, other)
  with open(os.path.join(other, 'config.json'), encoding='utf-8') as f:
    config = json.load(f)
  config['model']['width'] = 4
  with open(os.path.join(other, 'config.json'), 'w', encoding='utf-8') as f:
    json.dump(config, f)
  result = launcher('sample', f'--workdir={other}', f'--label={letters_of(gan)[0]}',
                    check=False)
  assert result.returncode == 2
  assert 'does not fit' in result.stderr


def test_a_judge_of_another_image_size_reads_resized_letters(trained):
  judge, _, _ = trained
  task, _ = load_trained(judge)
  vocabulary, shape = task.data_info.vocabulary, task.data_info.image_shape
  letters = np.random.default_rng(0).integers(0, 256, (5, 32, 32), dtype=np.uint8)
  at_own_size = DomainClassifier(judge, *load_trained(judge), vocabulary, shape).judge(
      resize_images(letters, shape))
  resized = DomainClassifier(judge, *load_trained(judge), vocabulary, (32, 32)).judge(letters)
  np.testing.assert_array_equal(resized[0], at_own_size[0])
  np.testing.assert_array_equal(resized[1], at_own_size[1])
