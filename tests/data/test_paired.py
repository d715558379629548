"""Tests for hwr_jax.data.paired: gray inputs with clean binary targets."""

import logging
import os

import numpy as np
from PIL import Image
import pytest

from hwr_jax.data import paired
from hwr_jax.errors import DataError


def _gray(letter_image, seed):
  """A scan-like version of a letter: gray levels and noise, dark ink on light parchment."""
  rng = np.random.default_rng(seed)
  noisy = 200 - letter_image * (150 / 255) + rng.normal(0, 8, letter_image.shape)
  return np.clip(noisy, 0, 255).astype(np.uint8)


@pytest.fixture
def pair_folders(tmp_path, letter):
  inputs, targets = tmp_path / 'scans', tmp_path / 'clean'
  inputs.mkdir()
  targets.mkdir()
  for i, stem in enumerate(['c', 'a', 'b', 'only_input']):
    Image.fromarray(_gray(letter(stem), i)).save(str(inputs / f'{stem}.jpg'), quality=95)
  for stem in ['a', 'b', 'c', 'only_target1', 'only_target2']:
    Image.fromarray(255 - letter(stem)).save(str(targets / f'{stem}.png'))
  return str(inputs), str(targets)


def test_pairs_by_name_and_logs_dropped(pair_folders, letter, caplog):
  inputs, targets = pair_folders
  before = sorted(os.listdir(inputs)) + sorted(os.listdir(targets))
  with caplog.at_level(logging.WARNING):
    dataset = paired.load_paired_folders(inputs, targets)
  assert dataset.names.tolist() == ['a.jpg', 'b.jpg', 'c.jpg']
  for i, stem in enumerate('abc'):
    np.testing.assert_array_equal(dataset.targets[i], letter(stem))
    assert dataset.images[i][letter(stem) > 0].mean() > dataset.images[i][letter(stem) == 0].mean()
  assert set(np.unique(dataset.targets)) == {0, 255}
  assert dataset.vocabulary.labels == ('?',)
  assert '1 image(s) in' in caplog.text and 'only_input' in caplog.text
  assert '2 image(s) in' in caplog.text and 'only_target1' in caplog.text
  assert sorted(os.listdir(inputs)) + sorted(os.listdir(targets)) == before


def test_labels_file_in_input_folder(pair_folders, write_text):
  inputs, targets = pair_folders
  write_text(os.path.join(inputs, 'labels.csv'),
             'image,label,manuscript\nb.jpg,beth,M1\na,alaph,M2\nonly_input.jpg,he,M3\n')
  dataset = paired.load_paired_folders(inputs, targets)
  assert dataset.vocabulary.decode(dataset.labels) == ['alaph', 'beth', '?']
  assert dataset.metadata['manuscript'].tolist() == ['M2', 'M1', '']


def test_resize_rebinarises_targets(pair_folders):
  inputs, targets = pair_folders
  dataset = paired.load_paired_folders(inputs, targets, image_size=(13, 11), target_threshold=0.3)
  assert dataset.images.shape == dataset.targets.shape == (3, 13, 11)
  assert set(np.unique(dataset.targets)) == {0, 255}


def test_no_common_names_names_both_folders(tmp_path, letter, write_image):
  write_image(str(tmp_path / 'in' / 'x.png'), letter('x'))
  write_image(str(tmp_path / 'out' / 'y.png'), letter('y'))
  with pytest.raises(DataError, match=r'no image in .*in \(1 files\) .* in .*out \(1 files\)'):
    paired.load_paired_folders(str(tmp_path / 'in'), str(tmp_path / 'out'))


def test_gray_target_is_refused(pair_folders):
  inputs, targets = pair_folders
  Image.fromarray(np.full((20, 16), 128, dtype=np.uint8)).save(os.path.join(targets, 'b.png'))
  with pytest.raises(DataError, match=r'target .*clean/b.png is not binary'):
    paired.load_paired_folders(inputs, targets)


def test_size_mismatch_names_file_and_sizes(pair_folders, letter):
  inputs, targets = pair_folders
  Image.fromarray(letter('c', (24, 16))).save(os.path.join(targets, 'c.png'))
  with pytest.raises(DataError, match=r'target .*c.png is 24x16 but its input .*c.jpg is 20x16'):
    paired.load_paired_folders(inputs, targets, image_size=(10, 10))


def test_two_files_with_one_name(pair_folders, letter, write_image):
  inputs, targets = pair_folders
  write_image(os.path.join(targets, 'a.bmp'), letter('a'))
  with pytest.raises(DataError, match=r'a.bmp and a.png share the name'):
    paired.load_paired_folders(inputs, targets)


def test_missing_folder(tmp_path):
  with pytest.raises(DataError, match='absent: not found'):
    paired.load_paired_folders(str(tmp_path / 'absent'), str(tmp_path))
