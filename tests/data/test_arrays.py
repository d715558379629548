"""Tests for hwr_jax.data.arrays: our .npz export and other people's array files."""

import os

import numpy as np
import pytest
import scipy.io

from hwr_jax.data import arrays
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import DataError


def _dataset(with_targets):
  rng = np.random.default_rng(0)
  images = rng.integers(0, 256, (4, 6, 5), dtype=np.uint8)
  return LetterDataset(
      images=images,
      labels=np.array([2, 0, 1, 2], dtype=np.int32),
      vocabulary=Vocabulary(('alaph', 'beth', 'ܬ')),
      names=np.array(['a.png', 'b.png', 'sub/c.png', 'd.png']),
      metadata={'date': np.float32([1100, np.nan, 1200, 1300]),
                'manuscript': np.array(['M1', 'M2', 'M1', 'M3']),
                'scribe': np.array(['x', '', 'y', 'z'], dtype=object)},
      targets=(images > 127).astype(np.uint8) * 255 if with_targets else None)


def _assert_equal(loaded, original):
  np.testing.assert_array_equal(loaded.images, original.images)
  np.testing.assert_array_equal(loaded.labels, original.labels)
  assert loaded.labels.dtype == np.int32
  assert loaded.vocabulary == original.vocabulary
  assert loaded.names.tolist() == original.names.tolist()
  assert sorted(loaded.metadata) == sorted(original.metadata)
  for key, column in original.metadata.items():
    np.testing.assert_array_equal(loaded.metadata[key], column.astype(loaded.metadata[key].dtype))
  assert loaded.metadata['date'].dtype == np.float32
  if original.targets is None:
    assert loaded.targets is None
  else:
    np.testing.assert_array_equal(loaded.targets, original.targets)


@pytest.mark.parametrize('with_targets', [False, True])
def test_npz_round_trip(tmp_path, with_targets):
  original = _dataset(with_targets)
  path = str(tmp_path / 'train.npz')
  arrays.save_npz(original, path)
  assert sorted(os.listdir(tmp_path)) == ['train.npz', 'train.vocabulary.json']
  _assert_equal(arrays.load_npz(path), original)
  assert Vocabulary.load(str(tmp_path / 'train.vocabulary.json')) == original.vocabulary
  assert arrays.is_export(path)


def test_save_overwrites_atomically(tmp_path):
  path = str(tmp_path / 'data.npz')
  arrays.save_npz(_dataset(False), path)
  arrays.save_npz(_dataset(True), path)
  assert arrays.load_npz(path).targets is not None
  assert not [name for name in os.listdir(tmp_path) if name.endswith('.tmp')]


def test_load_npz_errors(tmp_path):
  with pytest.raises(DataError, match='absent.npz: not found'):
    arrays.load_npz(str(tmp_path / 'absent.npz'))
  np.savez(str(tmp_path / 'foreign.npz'), x=np.zeros((2, 3, 3)))
  with pytest.raises(DataError, match="foreign.npz lacks the key .*load_arrays"):
    arrays.load_npz(str(tmp_path / 'foreign.npz'))
  assert not arrays.is_export(str(tmp_path / 'foreign.npz'))
  (tmp_path / 'junk.npz').write_bytes(b'PK\x03\x04 not really a zip')
  with pytest.raises(DataError, match='junk.npz'):
    arrays.load_npz(str(tmp_path / 'junk.npz'))
  assert not arrays.is_export(str(tmp_path / 'junk.npz'))
  np.savez(str(tmp_path / 'pickled.npz'), images=np.array([{'a': 1}], dtype=object))
  with pytest.raises(DataError, match='pickled.npz'):
    arrays.load_arrays(str(tmp_path / 'pickled.npz'))


def _letters(n=6, size=(8, 7)):
  images = np.zeros((n,) + size, dtype=np.uint8)
  for i in range(n):
    images[i, 2:6, 1 + i % 4] = 255
  return images


def test_auto_detected_keys_and_float_images(tmp_path):
  images = _letters()
  labels = np.array([3, 1, 2, 3, 1, 2])
  np.savez(str(tmp_path / 'a.npz'), pixels=images / 255.0, classes=labels)
  dataset = arrays.load_arrays(str(tmp_path / 'a.npz'))
  np.testing.assert_array_equal(dataset.images, images)
  assert dataset.vocabulary.labels == ('1', '2', '3')
  assert dataset.vocabulary.decode(dataset.labels) == ['3', '1', '2', '3', '1', '2']
  assert dataset.names[0] == 'a.npz:0'
  np.savez(str(tmp_path / 'b.npz'), x=images.astype(np.float32), y=labels.astype(np.float64))
  np.testing.assert_array_equal(arrays.load_arrays(str(tmp_path / 'b.npz')).images, images)


def test_flat_images_channel_axis_and_one_hot(tmp_path):
  images = _letters()
  one_hot = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
  np.savez(str(tmp_path / 'flat.npz'), images=images.reshape(6, -1), labels=one_hot)
  dataset = arrays.load_arrays(str(tmp_path / 'flat.npz'), image_size=(8, 7),
                               label_names=['alaph', 'beth', 'gamal'])
  np.testing.assert_array_equal(dataset.images, images)
  assert dataset.vocabulary.decode(dataset.labels) == ['alaph', 'beth', 'gamal'] * 2
  np.savez(str(tmp_path / 'channel.npz'), images=images[..., None], labels=np.arange(6))
  assert arrays.load_arrays(str(tmp_path / 'channel.npz'), image_size=(16, 14)).image_shape == (
      16, 14)


def test_string_labels_and_polarity(tmp_path):
  images = _letters()
  np.savez(str(tmp_path / 's.npz'), images=255 - images, labels=np.array(list('abcabc')))
  dataset = arrays.load_arrays(str(tmp_path / 's.npz'))
  np.testing.assert_array_equal(dataset.images, images)
  assert dataset.vocabulary.labels == ('a', 'b', 'c')


def test_matlab_layout(tmp_path):
  images = _letters()
  path = str(tmp_path / 'letters.mat')
  scipy.io.savemat(path, {'X': np.moveaxis(images, 0, -1).astype(np.float64),
                          'y': np.array([[1, 2, 3, 1, 2, 3]], dtype=np.float64)})
  dataset = arrays.load_arrays(path)
  np.testing.assert_array_equal(dataset.images, images)
  assert dataset.vocabulary.decode(dataset.labels) == ['1', '2', '3'] * 2


def test_npy_holds_unlabelled_images(tmp_path):
  np.save(str(tmp_path / 'only.npy'), _letters())
  dataset = arrays.load_arrays(str(tmp_path / 'only.npy'))
  assert dataset.vocabulary.labels == ('?',) and len(dataset) == 6
  with pytest.raises(DataError, match='holding one array'):
    arrays.load_arrays(str(tmp_path / 'only.npy'), labels_key='y')


def test_ambiguous_keys_list_the_candidates(tmp_path):
  images = _letters()
  np.savez(str(tmp_path / 'two.npz'), train=images, test=images, y=np.arange(6))
  with pytest.raises(DataError, match=r'two.npz: cannot tell .*images.*train.*test.*images_key'):
    arrays.load_arrays(str(tmp_path / 'two.npz'))
  dataset = arrays.load_arrays(str(tmp_path / 'two.npz'), images_key='test')
  assert len(dataset) == 6
  np.savez(str(tmp_path / 'labels2.npz'), images=images, a=np.arange(6), b=np.arange(6))
  with pytest.raises(DataError, match=r'labels.*candidates: a .*b .*labels_key'):
    arrays.load_arrays(str(tmp_path / 'labels2.npz'))


def test_shape_and_value_errors_name_the_key(tmp_path):
  images = _letters()
  cases = {
      'count': ({'images': images, 'labels': np.arange(5)}, {'labels_key': 'labels'},
                r"labels key 'labels' has 5 entries but images key 'images' has 6"),
      'missing': ({'images': images}, {'images_key': 'pixels'}, r"no key 'pixels'.*images \("),
      'flat': ({'images': images.reshape(6, -1)}, {},
               r'no array looks like images.*images \(6, 56\)'),
      'flat_size': ({'images': images.reshape(6, -1)}, {'images_key': 'images',
                                                        'image_size': (7, 7)},
                    r"images key 'images' has shape \(6, 56\)"),
      'range': ({'images': images * 2.0, 'labels': np.arange(6)}, {},
                r"images key 'images' has values in \[0, 510\]"),
      'nan': ({'images': np.full((6, 8, 7), np.nan), 'labels': np.arange(6)}, {},
              r"images key 'images' holds NaN"),
      'fraction': ({'images': images, 'labels': np.arange(6) / 2}, {},
                   r"key 'labels'.*whole class numbers"),
      'negative': ({'images': images, 'labels': np.arange(6) - 1}, {},
                   r"key 'labels'.*negative class number"),
      'matrix': ({'images': images, 'labels': np.ones((6, 2))}, {'labels_key': 'labels'},
                 r"labels key 'labels' has shape \(6, 2\)"),
      'scalar': ({'images': images, 'labels': np.int64(3)}, {'labels_key': 'labels'},
                 r"labels key 'labels' has shape \(\)"),
  }
  for name, (content, kwargs, message) in cases.items():
    path = str(tmp_path / f'{name}.npz')
    np.savez(path, **content)
    with pytest.raises(DataError, match=message):
      arrays.load_arrays(path, **kwargs)


def test_unsupported_and_corrupt_files(tmp_path):
  (tmp_path / 'data.h5').write_bytes(b'\x89HDF')
  with pytest.raises(DataError, match='data.h5: unsupported'):
    arrays.load_arrays(str(tmp_path / 'data.h5'))
  (tmp_path / 'bad.mat').write_bytes(b'MATLAB 5.0 MAT-file' + b'\0' * 10)
  with pytest.raises(DataError, match='bad.mat'):
    arrays.load_arrays(str(tmp_path / 'bad.mat'))
  (tmp_path / 'bad.npy').write_bytes(b'\x93NUMPY garbage')
  with pytest.raises(DataError, match='bad.npy'):
    arrays.load_arrays(str(tmp_path / 'bad.npy'))
  with open(tmp_path / 'archive.npy', 'wb') as f:
    np.savez(f, images=np.zeros((2, 3, 3)))
  with pytest.raises(DataError, match='archive.npy is an .npz archive'):
    arrays.load_arrays(str(tmp_path / 'archive.npy'))
