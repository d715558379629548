"""The denoiser task: paired data in, F-tables and pictures out; bad pairs refused."""

import os

import jax
import numpy as np
import pytest
from PIL import Image

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.data import sources
from hwr_jax.data.dataset import DataInfo, LetterDataset, PageSet
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.io_utils import read_json
from hwr_jax.tasks import get_task_class
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.writers import read_metrics

TINY = 'configs/denoiser.py:tiny'


@pytest.mark.parametrize('conditional', [False, True])
def test_a_short_run_learns_and_scores_every_image(tmp_path, conditional):
  config = load_config_file(TINY)
  config.model.conditional = conditional
  config.train.update(steps=30, log_every=1, checkpoint_every=30)
  result = loop.train_and_evaluate(config, str(tmp_path))
  curve = [r['loss'] for r in read_metrics(str(tmp_path)) if r['split'] == 'train']
  assert np.mean(curve[-5:]) < 0.85 * np.mean(curve[:5]), curve
  report = read_json(os.path.join(tmp_path, 'eval', 'report.json'))['test']
  test = result.scalars['test']
  assert len(report['per_image']) == 48
  assert sum(row['tp'] for row in report['per_image']) == test['tp'] == report['overall']['tp']
  assert test['tp'] + test['fp'] + test['fn'] + test['tn'] == 48 * 16 * 16
  assert report['sweep']['best_f_score'] == max(report['sweep']['f_scores'])
  for name in ('denoise_test.png', 'fscore_test.md'):
    assert os.path.isfile(os.path.join(tmp_path, 'eval', name))
  _, state = load_trained(str(tmp_path))
  assert any('Embed' in name for name in state.params) == conditional


def test_binarized_pairs_come_from_the_images_alone():
  images = np.zeros((2, 6, 6), np.uint8)
  images[:, 2:4, 1:5] = 200
  images[1, 0, 0] = 100
  plain = LetterDataset(images, np.zeros(2, np.int32), Vocabulary(('a',)), np.array(['x', 'y']))
  pairs = sources.binarized_pairs(plain, 0.5, 0.1, 'train.gz')
  np.testing.assert_array_equal(pairs.targets, np.where(images > 127.5, 255, 0))
  assert not np.array_equal(pairs.images, images)
  again = sources.binarized_pairs(plain, 0.5, 0.1, 'train.gz')
  np.testing.assert_array_equal(again.images, pairs.images)


def test_unpaired_data_is_refused_before_anything_is_written(tmp_path):
  config = load_config_file(TINY)
  config.data.targets = ''
  with pytest.raises(ConfigError, match='data.targets is empty'):
    loop.train_and_evaluate(config, str(tmp_path / 'run'))
  assert not (tmp_path / 'run').exists()


def write_pairs(root, count=6, size=(16, 16)):
  """Gray letter-like inputs (dark strokes on paper) and their binary targets, same names."""
  rng = np.random.default_rng(0)
  for folder in ('inputs', 'targets'):
    os.makedirs(root / folder, exist_ok=True)
  for i in range(count):
    ink = np.zeros(size, bool)
    ink[rng.integers(2, size[0] - 2, 3), 2:-2] = True
    gray = np.clip(200 - 150 * ink + rng.normal(0, 10, size), 0, 255).astype(np.uint8)
    Image.fromarray(gray).save(root / 'inputs' / f'l{i}.png')
    Image.fromarray(np.where(ink, 255, 0).astype(np.uint8)).save(root / 'targets' / f'l{i}.png')
  return root / 'inputs', root / 'targets'


def no_common_file(inputs, targets):
  for name in os.listdir(targets):
    os.rename(targets / name, targets / f'other_{name}')
  return 'has a counterpart'


def gray_target(inputs, targets):
  Image.fromarray(np.full((16, 16), 128, np.uint8)).save(targets / 'l2.png')
  return 'l2.png is not binary'


def smaller_target(inputs, targets):
  Image.fromarray(np.zeros((12, 16), np.uint8)).save(targets / 'l3.png')
  return 'l3.png is 12x16 but its input'


def paired_config(inputs, targets):
  config = load_config_file(TINY)
  config.data.update(source='folder', train=str(inputs), targets=str(targets))
  return config


@pytest.mark.parametrize('spoil', [no_common_file, gray_target, smaller_target])
def test_bad_pairs_fail_with_the_culprit_named(tmp_path, spoil):
  inputs, targets = write_pairs(tmp_path)
  needle = spoil(inputs, targets)
  with pytest.raises(DataError, match=needle):
    loop.train_and_evaluate(paired_config(inputs, targets), str(tmp_path / 'run'))
  assert not (tmp_path / 'run').exists()


@pytest.mark.parametrize('settings, error, needle', [
    (lambda i, t: dict(targets=str(t.parent / 'nowhere')), DataError,
     'data.targets=.*nowhere: not found'),
    (lambda i, t: dict(targets='', test=str(i), test_targets=str(t)), ConfigError,
     "data.test_targets=.* is set but data.targets=''"),
    (lambda i, t: dict(targets='binarized', test=str(i), test_targets=str(t)), ConfigError,
     'binarised targets are made for every set'),
])
def test_bad_target_settings_are_named(tmp_path, settings, error, needle):
  inputs, targets = write_pairs(tmp_path)
  config = paired_config(inputs, targets)
  config.data.update(settings(inputs, targets))
  with pytest.raises(error, match=needle):
    loop.train_and_evaluate(config, str(tmp_path / 'run'))
  assert not (tmp_path / 'run').exists()


def test_the_launcher_exits_with_one_error_line_and_writes_nothing(tmp_path, launcher):
  inputs, targets = write_pairs(tmp_path)
  needle = gray_target(inputs, targets)
  workdir = tmp_path / 'run'
  result = launcher('train', f'--config={TINY}', f'--workdir={workdir}',
                    '--config.data.source=folder', f'--config.data.train={inputs}',
                    f'--config.data.targets={targets}', check=False)
  assert result.returncode == 2, result.stderr[-2000:]
  errors = [line for line in result.stderr.splitlines() if line.startswith('error:')]
  assert errors and needle in errors[-1], result.stderr[-2000:]
  assert not workdir.exists()


def test_user_pairs_train(tmp_path):
  inputs, targets = write_pairs(tmp_path, count=40)
  config = paired_config(inputs, targets)
  config.train.update(steps=10, batch_size=8, checkpoint_every=10)
  result = loop.train_and_evaluate(config, str(tmp_path / 'run'))
  assert result.scalars['test']['tp'] + result.scalars['test']['fn'] > 0


def test_a_conditional_denoiser_needs_labelled_letters(tmp_path):
  inputs, targets = write_pairs(tmp_path, count=40)
  config = paired_config(inputs, targets)
  config.model.conditional = True
  with pytest.raises(ConfigError, match='model.conditional=True reads the letter label, but the '
                                        'data have 1 class'):
    loop.train_and_evaluate(config, str(tmp_path / 'run'))
  assert not (tmp_path / 'run').exists()


@pytest.fixture(scope='module')
def untrained():
  """The tiny denoiser's task and its initial state: tiling and wiring need no training."""
  config = load_config_file(TINY)
  task = get_task_class('denoiser')(config, DataInfo(Vocabulary(('?',)), (16, 16), (1,)))
  return task, task.init_state(jax.random.key(0))


def paired_crops(count=5, size=(16, 16)):
  rng = np.random.default_rng(1)
  images = rng.integers(0, 256, (count, *size)).astype(np.uint8)
  targets = np.where(images > 180, 255, 0).astype(np.uint8)
  return LetterDataset(images, np.zeros(count, np.int32), Vocabulary(('?',)),
                       np.array([f'c{i}.png' for i in range(count)]), targets=targets)


def test_a_crop_of_the_model_size_is_binarised_as_the_model_answers_it(untrained):
  task, state = untrained
  crops = paired_crops()
  tiled = list(task.page_probabilities(state, crops.images))
  np.testing.assert_allclose(np.stack(tiled), task.probabilities(state, crops), rtol=1e-5,
                             atol=1e-6)
  answers = task.answers(state, crops)['image'] > 0
  np.testing.assert_array_equal(np.stack(list(task.binarise_pages(state, crops.images))),
                                answers)
  # The same crops as pages are scored exactly as the stacked crops are.
  pages = PageSet(tuple(crops.images), crops.names, tuple(crops.targets))
  as_crops = task.evaluate(state, {'set': crops}, None).scalars['set']
  as_pages = task.evaluate(state, {'set': pages}, None).scalars['set']
  assert as_pages.keys() == as_crops.keys() >= {'f_score', 'f_measure', 'pseudo_f_measure',
                                                'psnr', 'drd'}
  for key, value in as_crops.items():
    assert as_pages[key] == pytest.approx(value, rel=1e-6), key


def test_pages_of_any_size_are_answered_at_their_size_with_a_picture(untrained, tmp_path):
  task, state = untrained
  rng = np.random.default_rng(2)
  shapes = [(40, 37), (9, 30), (16, 16)]
  images = tuple(rng.integers(0, 256, shape).astype(np.uint8) for shape in shapes)
  pages = PageSet(images, np.array(['a.png', 'b.png', 'c.png']),
                  tuple(np.where(image > 200, 255, 0).astype(np.uint8) for image in images))
  probabilities = task.outputs(state, pages)['ink_probability']
  assert [p.shape for p in probabilities] == shapes
  assert all(0.0 <= p.min() and p.max() <= 1.0 for p in probabilities)
  task.evaluate(state, {'pages': pages}, str(tmp_path))
  picture = np.asarray(Image.open(tmp_path / 'denoise_pages.png'))
  assert picture.shape == (40, 3 * 37 + 16)
  report = read_json(str(tmp_path / 'report.json'))['pages']
  assert [row['name'] for row in report['dibco']['per_image']] == ['a.png', 'b.png', 'c.png']
  assert (tmp_path / 'dibco_pages.md').is_file() and (tmp_path / 'fscore_pages.md').is_file()


def test_a_conditional_denoiser_does_not_binarise_pages():
  config = load_config_file(TINY)
  config.model.conditional = True
  task = get_task_class('denoiser')(config, DataInfo(Vocabulary(('a', 'b')), (16, 16), (1, 1)))
  assert not task.binarises_pages
  with pytest.raises(ConfigError, match='conditional denoiser reads each letter'):
    list(task.page_probabilities(task.init_state(jax.random.key(0)), [np.zeros((20, 20),
                                                                                np.uint8)]))
