"""The GAN from the command line: training with its judge, sampling a chosen letter, errors."""

import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from hwr_jax.data.sources import resize_images
from hwr_jax.evaluation.domain_classifier import DomainClassifier
from hwr_jax.tasks.restore import load_trained

GAN = 'configs/gan.py:tiny'
CLASSIFIER = 'configs/cnn_classifier.py:tiny'


@pytest.fixture(scope='module')
def trained(tmp_path_factory, launcher):
  """A tiny classifier, and a tiny GAN judged by it, both trained on the same tiny letters."""
  root = tmp_path_factory.mktemp('gan')
  judge, gan = str(root / 'judge'), str(root / 'gan')
  launcher('train', f'--config={CLASSIFIER}', f'--workdir={judge}')
  result = launcher('train', f'--config={GAN}', f'--workdir={gan}',
                    f'--config.eval.classifier_workdir={judge}')
  return judge, gan, result


def letters_of(workdir):
  with open(os.path.join(workdir, 'vocabulary.json'), encoding='utf-8') as f:
    data = json.load(f)
  return data['labels'] if isinstance(data, dict) else data


def test_training_reports_fidelity_and_frechet_distances(trained):
  _, gan, result = trained
  assert 'test: frechet_distance' in result.stdout and 'label_fidelity' in result.stdout
  with open(os.path.join(gan, 'eval', 'report.json'), encoding='utf-8') as f:
    report = json.load(f)['test']
  assert 0.0 <= report['label_fidelity']['accuracy'] <= 1.0
  assert set(report['label_fidelity']['per_class']) == set(letters_of(gan))
  assert report['frechet_distance'] >= 0 and report['frechet_distance_untrained'] > 0
  assert 'platform cpu' in result.stderr


def test_sample_grids_are_written_during_training_on_fixed_z(trained):
  _, gan, _ = trained
  samples = sorted(os.listdir(os.path.join(gan, 'samples')))
  assert samples == ['classes_000010.png', 'classes_000020.png', 'samples_000010.png',
                     'samples_000020.png']
  classes = Image.open(os.path.join(gan, 'samples', 'classes_000020.png'))
  assert classes.height == len(letters_of(gan)) * 18 + 2


def test_sample_draws_a_chosen_letter(trained, tmp_path, launcher):
  _, gan, _ = trained
  letter = letters_of(gan)[1]
  out = str(tmp_path / 'grid.png')
  result = launcher('sample', f'--workdir={gan}', f'--label={letter}', '--num=12',
                    '--columns=4', f'--out={out}')
  assert f'wrote 12 letters of {letter} from step 20' in result.stdout
  assert Image.open(out).size == (4 * 18 + 2, 3 * 18 + 2)


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
