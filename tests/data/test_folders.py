"""Tests for hwr_jax.data.folders: the user's own image folders."""

import logging
import os

import numpy as np
from PIL import Image
import pytest

from hwr_jax.data import folders
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError, DataError, UnknownLabelError


@pytest.fixture
def csv_folder(tmp_path, write_letters, write_text):
  """Five letters, listed out of alphabetical order, with manuscript and date columns."""
  folder = str(tmp_path / 'letters')
  images = write_letters(folder, ['e.png', 'b.png', 'd.png', 'a.png', 'c.png'])
  write_text(os.path.join(folder, 'labels.csv'),
             'image,label,manuscript,date,split\n'
             'e.png,taw,M1,1150,train\n'
             'b.png,alaph,M2,1200.5,test\n'
             'd.png,beth,M1,,train\n'
             'a.png,alaph,M3,900,train\n'
             'c.png,taw,M2,1201,test\n')
  return folder, images


def test_loads_in_labels_file_order_with_metadata(csv_folder):
  folder, images = csv_folder
  dataset = folders.load_image_folder(folder)
  assert dataset.names.tolist() == ['e.png', 'b.png', 'd.png', 'a.png', 'c.png']
  assert dataset.vocabulary.labels == ('alaph', 'beth', 'taw')
  assert dataset.vocabulary.decode(dataset.labels) == ['taw', 'alaph', 'beth', 'alaph', 'taw']
  assert dataset.labels.dtype == np.int32
  assert dataset.images.shape == (5, 20, 16) and dataset.images.dtype == np.uint8
  for name, image in zip(dataset.names, dataset.images):
    np.testing.assert_array_equal(image, images[name])
  assert dataset.metadata['date'].dtype == np.float32
  np.testing.assert_array_equal(dataset.metadata['date'],
                                np.float32([1150, 1200.5, np.nan, 900, 1201]))
  assert dataset.metadata['manuscript'].tolist() == ['M1', 'M2', 'M1', 'M3', 'M2']
  assert dataset.metadata['split'].dtype.kind == 'U'


def test_loading_is_deterministic(csv_folder):
  folder, _ = csv_folder
  first, second = folders.load_image_folder(folder), folders.load_image_folder(folder)
  np.testing.assert_array_equal(first.images, second.images)
  np.testing.assert_array_equal(first.labels, second.labels)


def test_text_labels_with_bare_ids_and_subfolders(tmp_path, write_text, letter, write_image):
  folder = str(tmp_path)
  write_image(os.path.join(folder, 'p1', '001.png'), letter('1'))
  write_image(os.path.join(folder, '002.bmp'), letter('2'), dark_ink=True)
  write_image(os.path.join(folder, '003.TIF'), letter('3'))
  write_text(os.path.join(folder, 'labels.txt'), 'p1/001 alaph\n002 beth\n003.TIF gamal\n')
  dataset = folders.load_image_folder(folder)
  assert dataset.names.tolist() == ['p1/001.png', '002.bmp', '003.TIF']
  np.testing.assert_array_equal(dataset.images[1], letter('2'))
  assert dataset.metadata == {}


def test_labels_csv_is_preferred_and_labels_file_may_live_elsewhere(tmp_path, write_letters,
                                                                   write_text):
  folder = str(tmp_path / 'images')
  write_letters(folder, ['a.png'])
  write_text(os.path.join(folder, 'labels.txt'), 'a from_txt\n')
  assert folders.load_image_folder(folder).vocabulary.labels == ('from_txt',)
  write_text(os.path.join(folder, 'labels.csv'), 'image,label\na.png,from_csv\n')
  assert folders.load_image_folder(folder).vocabulary.labels == ('from_csv',)
  elsewhere = write_text(str(tmp_path / 'other.csv'), 'image,label\na,from_elsewhere\n')
  dataset = folders.load_image_folder(folder, elsewhere)
  assert dataset.vocabulary.labels == ('from_elsewhere',)


def test_image_size_and_binarize(tmp_path, write_text, letter, write_image):
  write_image(str(tmp_path / 'small.png'), letter('s', (20, 16)))
  write_image(str(tmp_path / 'large.png'), letter('l', (40, 30)))
  write_text(str(tmp_path / 'labels.csv'), 'image,label\nsmall.png,a\nlarge.png,b\n')
  with pytest.raises(DataError) as error:
    folders.load_image_folder(str(tmp_path))
  assert 'small.png is 20x16' in str(error.value) and 'large.png is 40x30' in str(error.value)
  dataset = folders.load_image_folder(str(tmp_path), image_size=(28, 28), binarize_threshold=0.5)
  assert dataset.images.shape == (2, 28, 28)
  assert set(np.unique(dataset.images)) == {0, 255}


def test_vocabulary_stability(tmp_path, write_letters, write_text):
  one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
  write_letters(one, ['x.png', 'y.png', 'z.png'])
  write_letters(two, ['x.png', 'y.png', 'z.png'])
  write_text(os.path.join(one, 'labels.csv'), 'image,label\nx.png,taw\ny.png,alaph\nz.png,beth\n')
  write_text(os.path.join(two, 'labels.csv'), 'image,label\nz.png,beth\nx.png,taw\ny.png,alaph\n')
  first, second = folders.load_image_folder(one), folders.load_image_folder(two)
  assert first.vocabulary == second.vocabulary
  ids = lambda d: dict(zip(d.vocabulary.decode(d.labels), d.labels.tolist()))
  assert ids(first) == ids(second) == {'alaph': 0, 'beth': 1, 'taw': 2}
  first.vocabulary.save(str(tmp_path))
  assert Vocabulary.load(str(tmp_path)) == first.vocabulary


def test_given_vocabulary_maps_labels_and_lists_unknown_ones(csv_folder):
  folder, _ = csv_folder
  vocabulary = Vocabulary(('alaph', 'beth', 'dalath', 'taw'))
  dataset = folders.load_image_folder(folder, vocabulary=vocabulary)
  assert dataset.vocabulary is vocabulary
  assert dataset.labels.tolist() == [3, 0, 1, 0, 3]
  with pytest.raises(UnknownLabelError, match=r"labels.csv: 2 label\(s\).*\['beth', 'taw'\]"):
    folders.load_image_folder(folder, vocabulary=Vocabulary(('alaph',)))


def test_unlabelled_images(csv_folder, write_letters, caplog):
  folder, _ = csv_folder
  write_letters(folder, ['extra1.png', 'extra2.png', '.hidden.png', '.ipynb_checkpoints/a.png'])
  with pytest.raises(DataError, match=r'2 image\(s\) in .* no row in .*extra1.png, extra2.png'):
    folders.load_image_folder(folder, unlabelled='error')
  with caplog.at_level(logging.WARNING):
    assert len(folders.load_image_folder(folder)) == 5
  assert '2 image(s)' in caplog.text and 'extra1.png' in caplog.text
  caplog.clear()
  with caplog.at_level(logging.WARNING):
    assert len(folders.load_image_folder(folder, unlabelled='skip')) == 5
  assert 'extra1.png' not in caplog.text
  with pytest.raises(ConfigError, match='unlabelled'):
    folders.load_image_folder(folder, unlabelled='ignore')


def test_missing_folder_and_labels_file(tmp_path, write_letters):
  with pytest.raises(DataError, match='nowhere: not found'):
    folders.load_image_folder(str(tmp_path / 'nowhere'))
  write_letters(str(tmp_path), ['a.png'])
  with pytest.raises(DataError, match=r'no labels file in .*labels.csv or labels.txt'):
    folders.load_image_folder(str(tmp_path))
  with pytest.raises(DataError, match=r'labels file .*given.csv: not found'):
    folders.load_image_folder(str(tmp_path), str(tmp_path / 'given.csv'))


def test_row_without_image_names_row_and_file(csv_folder):
  folder, _ = csv_folder
  os.remove(os.path.join(folder, 'd.png'))
  with pytest.raises(DataError, match=r"labels.csv line 4: image file 'd.png' not found"):
    folders.load_image_folder(folder)


def test_ambiguous_bare_id(tmp_path, write_letters, write_text):
  write_letters(str(tmp_path), ['a.png', 'a.bmp'])
  write_text(str(tmp_path / 'labels.txt'), 'a alaph\n')
  with pytest.raises(DataError, match=r"labels.txt line 1: image 'a' is ambiguous.*a.bmp.*a.png"):
    folders.load_image_folder(str(tmp_path))


def test_two_rows_naming_one_file(tmp_path, write_letters, write_text):
  write_letters(str(tmp_path), ['a.png'])
  write_text(str(tmp_path / 'labels.csv'), 'image,label\na,alaph\na.png,beth\n')
  with pytest.raises(DataError, match=r"lines 2 and 3 both name the image file 'a.png'"):
    folders.load_image_folder(str(tmp_path))


def test_empty_labels_file(tmp_path, write_letters, write_text):
  write_letters(str(tmp_path), ['a.png'])
  write_text(str(tmp_path / 'labels.csv'), 'image,label\n')
  with pytest.raises(DataError, match='no rows'):
    folders.load_image_folder(str(tmp_path))


def test_corrupt_image_is_named(csv_folder):
  folder, _ = csv_folder
  with open(os.path.join(folder, 'c.png'), 'r+b') as f:
    f.truncate(60)
  with pytest.raises(DataError, match=r'c.png'):
    folders.load_image_folder(folder)


def test_path_traversal_is_refused_without_reading(tmp_path, write_letters, write_text,
                                                   monkeypatch):
  folder = str(tmp_path / 'data')
  write_letters(folder, ['a.png'])
  write_letters(str(tmp_path), ['secret.png'])
  opened = []
  real_open = Image.open
  monkeypatch.setattr(Image, 'open', lambda path, *a, **k: opened.append(path) or real_open(
      path, *a, **k))
  for name in ('../secret.png', '../../etc/passwd', '/etc/passwd'):
    write_text(os.path.join(folder, 'labels.csv'), f'image,label\na.png,alaph\n{name},beth\n')
    with pytest.raises(DataError, match=r'labels.csv line 3: image name .*(outside|absolute)'):
      folders.load_image_folder(folder)
  assert opened == []


def test_symlink_leading_outside_is_refused(tmp_path, write_letters, write_text):
  folder = str(tmp_path / 'data')
  write_letters(folder, ['a.png'])
  write_letters(str(tmp_path), ['secret.png'])
  os.symlink(str(tmp_path / 'secret.png'), os.path.join(folder, 'link.png'))
  write_text(os.path.join(folder, 'labels.csv'), 'image,label\na.png,alaph\nlink.png,beth\n')
  with pytest.raises(DataError, match=r'labels.csv line 3: .*link.png.* outside'):
    folders.load_image_folder(folder)


def test_hundreds_of_images_keep_their_labels(tmp_path, write_text):
  image = np.zeros((64, 64), dtype=np.uint8)
  image[10:50, 30:34] = 255
  rows = ['image,label']
  for i in range(300):
    Image.fromarray(image).save(str(tmp_path / f'{i:04d}.png'))
    rows.append(f'{i:04d}.png,{"ab"[i % 2]}')
  write_text(str(tmp_path / 'labels.csv'), '\n'.join(rows) + '\n')
  dataset = folders.load_image_folder(str(tmp_path))
  assert dataset.images.shape == (300, 64, 64)
  assert dataset.class_counts().tolist() == [150, 150]
