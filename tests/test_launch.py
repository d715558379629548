"""The command-line entry points, run as a user runs them: python -m launch.<name> ...

Each bad input must end with exit status 2, one 'error:' line naming the culprit, and no new
or changed files in the workdir.
"""

import csv
import os

import numpy as np
import pytest
from PIL import Image

from hwr_jax.benchmarks import torch_eager

TINY = 'configs/cnn_classifier.py:tiny'


def write_folder(root, rows, size=(16, 16), seed=0):
  """Letter-like PNGs (dark strokes on light paper) and a labels.csv of (image, label) rows."""
  rng = np.random.default_rng(seed)
  os.makedirs(root, exist_ok=True)
  with open(os.path.join(root, 'labels.csv'), 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(['image', 'label'])
    for name, label in rows:
      writer.writerow([name, label])
      image = np.full(size, 230, np.uint8)
      image[rng.integers(0, size[0], 6), :] = 20
      Image.fromarray(image).save(os.path.join(root, name))
  return str(root)


def letters(n, labels=('alaph', 'beth', 'gamal')):
  return [(f'img{i:03d}.png', labels[i % len(labels)]) for i in range(n)]


def folder_args(path, *extra):
  return [f'--config={TINY}', '--config.data.source=folder', f'--config.data.train={path}',
          '--config.train.batch_size=8', *extra]


def assert_user_error(result, *needles):
  assert result.returncode == 2, result.stderr[-3000:]
  last = [line for line in result.stderr.splitlines() if line.startswith('error:')]
  assert last, result.stderr[-3000:]
  for needle in needles:
    assert needle in last[-1], last[-1]


@pytest.fixture(scope='module')
def trained(tmp_path_factory, launcher):
  workdir = str(tmp_path_factory.mktemp('trained') / 'run')
  result = launcher('train', f'--config={TINY}', f'--workdir={workdir}')
  assert 'test: accuracy' in result.stdout
  with open(os.path.join(workdir, 'train.log'), 'w') as f:
    f.write(result.stderr)
  return workdir


def test_train_logs_platform_progress_and_accuracy(trained):
  with open(os.path.join(trained, 'train.log')) as f:
    log = f.read()
  assert 'on platform cpu; devices: cpu:0' in log
  assert 'step 20/20' in log and 'steps/s' in log and 'ETA' in log
  with open(os.path.join(trained, 'metrics.jsonl')) as f:
    assert sum(1 for _ in f) > 2
  assert os.path.exists(os.path.join(trained, 'eval', 'confusion_context.png'))


def test_evaluate_on_a_users_folder_through_the_saved_vocabulary(trained, tmp_path, launcher):
  data = write_folder(tmp_path / 'mine', letters(12), size=(40, 30))
  result = launcher('evaluate', f'--workdir={trained}', f'--data={data}', '--name=mine')
  assert 'mine: accuracy' in result.stdout
  assert os.path.exists(os.path.join(trained, 'eval', 'mine', 'report.json'))


def test_evaluate_refuses_a_label_the_model_never_saw(trained, tmp_path, launcher):
  data = write_folder(tmp_path / 'odd', letters(4, labels=('alaph', 'not_a_letter')))
  result = launcher('evaluate', f'--workdir={trained}', f'--data={data}', check=False)
  assert_user_error(result, 'not_a_letter')
  assert not os.path.exists(os.path.join(trained, 'eval', 'odd'))


@pytest.mark.parametrize('override, needle', [
    ('--config.train.no_such_key=1', 'train.no_such_key'),
    ('--config.train.steps=many', 'train.steps'),
    ('--config.model_name=no_such_model', 'no_such_model'),
])
def test_bad_config_fails_before_any_work(tmp_path, override, needle, launcher):
  workdir = tmp_path / 'run'
  result = launcher('train', f'--config={TINY}', f'--workdir={workdir}', override,
                        check=False)
  assert_user_error(result, needle)
  assert not workdir.exists()


def corrupt_image(root):
  with open(os.path.join(root, 'img002.png'), 'wb') as f:
    f.write(b'\x89PNG\r\n\x1a\n broken')
  return 'img002.png'


def missing_image(root):
  os.remove(os.path.join(root, 'img003.png'))
  return 'img003.png'


def unlabelled_image(root):
  Image.fromarray(np.zeros((16, 16), np.uint8)).save(os.path.join(root, 'stray.png'))
  return 'stray.png'


def mixed_sizes(root):
  Image.fromarray(np.zeros((20, 16), np.uint8)).save(os.path.join(root, 'img004.png'))
  return 'img004.png'


def empty_labels(root):
  with open(os.path.join(root, 'labels.csv'), 'w') as f:
    f.write('image,label\n')
  return 'labels.csv'


@pytest.mark.parametrize('damage, extra', [
    (corrupt_image, []),
    (missing_image, []),
    (unlabelled_image, ['--config.data.unlabelled=error']),
    (mixed_sizes, ['--config.data.image_size=0']),
    (empty_labels, []),
])
def test_bad_data_is_named_and_nothing_is_written(tmp_path, damage, extra, launcher):
  data = write_folder(tmp_path / 'letters', letters(40))
  culprit = damage(data)
  workdir = tmp_path / 'run'
  result = launcher('train', *folder_args(data, *extra), f'--workdir={workdir}', check=False)
  assert_user_error(result, culprit)
  assert not workdir.exists()


def test_missing_data_folder_is_named(tmp_path, launcher):
  missing = str(tmp_path / 'nowhere')
  result = launcher('train', *folder_args(missing), f'--workdir={tmp_path / "run"}',
                        check=False)
  assert_user_error(result, missing)


def test_unlabelled_images_are_reported_and_skipped_by_default(tmp_path, launcher):
  data = write_folder(tmp_path / 'letters', letters(40))
  unlabelled_image(data)
  result = launcher('train', *folder_args(data, '--config.train.steps=2'),
                        f'--workdir={tmp_path / "run"}')
  assert 'stray.png' in result.stderr


def test_workdir_of_another_model_is_refused_unchanged(trained, launcher):
  before = {f: os.path.getmtime(os.path.join(trained, f)) for f in os.listdir(trained)}
  result = launcher('train', '--config=configs/blstm_classifier.py:tiny',
                        f'--workdir={trained}', check=False)
  assert_user_error(result, 'model_name')
  assert {f: os.path.getmtime(os.path.join(trained, f)) for f in os.listdir(trained)} == before


def test_prepare_data_writes_synthetic_folders_and_npz(tmp_path, launcher):
  out = tmp_path / 'syriac'
  result = launcher('prepare_data', '--source=synthetic', f'--out={out}',
                        '--num_manuscripts=2', '--letters_per_manuscript=30',
                        '--synthetic_size=32')
  assert '60 images of 32x32' in result.stdout
  assert {'letters', 'context', 'clean'} <= set(os.listdir(out))
  npz = tmp_path / 'letters.npz'
  launcher('prepare_data', '--source=folder', f'--data={out / "letters"}',
               '--image_size=16', '--format=npz', f'--out={npz}')
  assert npz.exists() and (tmp_path / 'letters.vocabulary.json').exists()
  again = launcher('prepare_data', '--source=synthetic', f'--out={out}', check=False)
  assert_user_error(again, 'already exists')


def test_bench_prints_a_row_per_config_and_steps_per_call_and_fails_loudly(launcher):
  result = launcher('bench', f'--config={TINY}', '--steps=4', '--warmup=1', '--rounds=1',
                    '--peak_size=256', '--steps_per_call=1,2')
  rows = [line.split() for line in result.stdout.splitlines() if line.startswith(TINY)]
  assert [row[4] for row in rows] == ['1', '2']  # the K column
  assert all(float(row[5]) > 0 for row in rows)  # images/s
  assert 'float32 256x256 matrix product' in result.stdout  # the peak of the GFLOP/s columns
  if not torch_eager.available():
    assert 'pip install -r requirements-torch.txt' in result.stdout
  broken = launcher('bench', '--config=configs/no_such_config.py', '--steps=1', check=False)
  assert_user_error(broken, 'no_such_config.py')


def test_missing_config_file_is_one_clear_line(tmp_path, launcher):
  result = launcher('train', '--config=configs/no_such_config.py', f'--workdir={tmp_path}/w',
                    check=False)
  assert_user_error(result, 'no_such_config.py')
  assert 'Traceback' not in result.stderr
