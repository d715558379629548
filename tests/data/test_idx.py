"""Tests for hwr_jax.data.idx: MNIST-format files, including hostile headers."""

import gzip
import os
import shutil
import struct
import time

import numpy as np
import pytest

from hwr_jax.data import idx
from hwr_jax.errors import DataError

FASHION_MNIST = '/usr/share/datasets/fashion-mnist'


def _header(code, shape):
  return bytes([0, 0, code, len(shape)]) + struct.pack(f'>{len(shape)}I', *shape)


@pytest.mark.parametrize('dtype', ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'])
@pytest.mark.parametrize('suffix', ['', '.gz'])
def test_round_trip(tmp_path, dtype, suffix):
  array = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
  path = str(tmp_path / f'data.idx{suffix}')
  idx.write_idx(path, array)
  result = idx.read_idx(path)
  assert result.dtype == np.dtype(dtype) and result.dtype.isnative
  np.testing.assert_array_equal(result, array)
  assert os.listdir(tmp_path) == [os.path.basename(path)]


def test_gzip_is_detected_by_content_not_extension(tmp_path):
  array = np.arange(12, dtype=np.uint8).reshape(3, 4)
  idx.write_idx(str(tmp_path / 'a.gz'), array)
  shutil.move(str(tmp_path / 'a.gz'), str(tmp_path / 'compressed.idx'))
  idx.write_idx(str(tmp_path / 'plain'), array)
  shutil.move(str(tmp_path / 'plain'), str(tmp_path / 'plain.gz'))
  for name in ('compressed.idx', 'plain.gz'):
    np.testing.assert_array_equal(idx.read_idx(str(tmp_path / name)), array)


def test_file_format_is_the_mnist_one(tmp_path):
  path = str(tmp_path / 'labels')
  idx.write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
  with open(path, 'rb') as f:
    assert f.read() == b'\x00\x00\x08\x01\x00\x00\x00\x03\x07\x02\x01'


@pytest.mark.parametrize('content, message', [
    (b'', 'bad magic number'),
    (b'\x1f\x8b\x08', 'cannot read IDX file'),
    (b'PK\x03\x04' + b'\0' * 20, 'bad magic number 504b0304'),
    (_header(0x08, (2,))[:2] + b'\x07\x01' + b'\0' * 6, 'unknown dtype code 0x07'),
    (b'\x00\x00\x08\x00', '0 dimensions'),
    (b'\x00\x00\x08\x03\x00\x00', 'header ends before its 3 dimensions'),
    (_header(0x08, (4, 5)) + b'\0' * 19, 'declares shape'),
    (_header(0x08, (4, 5)) + b'\0' * 21, 'holds more'),
    (_header(0x0C, (4,)) + b'\0' * 8, 'declares shape'),
])
def test_bad_files_name_the_file(tmp_path, content, message):
  path = tmp_path / 'bad-idx'
  path.write_bytes(content)
  with pytest.raises(DataError, match=f'bad-idx.*{message}|{message}.*bad-idx'):
    idx.read_idx(str(path))


def test_truncated_gzip(tmp_path):
  path = str(tmp_path / 'whole.gz')
  idx.write_idx(path, np.random.default_rng(0).integers(0, 255, (50, 28, 28), dtype=np.uint8))
  with open(path, 'rb') as f:
    data = f.read()
  (tmp_path / 'cut.gz').write_bytes(data[:len(data) // 2])
  with pytest.raises(DataError, match='cut.gz'):
    idx.read_idx(str(tmp_path / 'cut.gz'))


@pytest.mark.parametrize('compress', [False, True])
@pytest.mark.parametrize('shape', [(2**31, 2**31, 2**31), (60000, 28, 28), (2**32 - 1,)])
def test_huge_declared_size_fails_fast(tmp_path, compress, shape):
  content = _header(0x0E, shape) + b'\0' * 64
  path = tmp_path / 'huge-idx'
  path.write_bytes(gzip.compress(content) if compress else content)
  start = time.monotonic()
  with pytest.raises(DataError, match='huge-idx'):
    idx.read_idx(str(path))
  assert time.monotonic() - start < 1.0


def test_gzip_payload_shorter_than_declared_within_ratio(tmp_path):
  # Random bytes barely compress, so the 2 MB declared passes the deflate-ratio bound and the
  # short payload must be caught while reading.
  path = tmp_path / 'short.gz'
  path.write_bytes(gzip.compress(_header(0x08, (2000, 1000)) + os.urandom(4000)))
  with pytest.raises(DataError, match='short.gz.*holds 4000'):
    idx.read_idx(str(path))


def test_write_refuses_unsupported_dtypes(tmp_path):
  with pytest.raises(DataError, match='uint16'):
    idx.write_idx(str(tmp_path / 'x'), np.zeros(3, dtype=np.uint16))
  assert os.listdir(tmp_path) == []


def test_missing_file(tmp_path):
  with pytest.raises(DataError, match='absent-idx: not found'):
    idx.read_idx(str(tmp_path / 'absent-idx'))


def _write_pair(tmp_path, labels, size=(6, 5)):
  images = np.random.default_rng(0).integers(0, 256, (len(labels),) + size, dtype=np.uint8)
  images_path, labels_path = str(tmp_path / 'imgs-idx3'), str(tmp_path / 'lbls-idx1.gz')
  idx.write_idx(images_path, images)
  idx.write_idx(labels_path, np.asarray(labels, dtype=np.uint8))
  return images, images_path, labels_path


def test_load_idx_default_names_sort_numerically(tmp_path):
  labels = [11, 0, 2, 10, 2, 1]
  images, images_path, labels_path = _write_pair(tmp_path, labels)
  dataset = idx.load_idx(images_path, labels_path)
  assert dataset.vocabulary.labels == ('00', '01', '02', '10', '11')
  assert dataset.vocabulary.decode(dataset.labels) == ['11', '00', '02', '10', '02', '01']
  np.testing.assert_array_equal(dataset.images, images)
  assert dataset.names.tolist()[:2] == ['imgs-idx3:0', 'imgs-idx3:1']


def test_load_idx_with_label_names_and_resize(tmp_path):
  _, images_path, labels_path = _write_pair(tmp_path, [0, 9, 3])
  dataset = idx.load_idx(images_path, labels_path, label_names=idx.FASHION_MNIST_CLASSES,
                         image_size=(12, 10))
  assert dataset.vocabulary.labels == tuple(sorted(idx.FASHION_MNIST_CLASSES))
  assert dataset.vocabulary.decode(dataset.labels) == ['T-shirt/top', 'Ankle boot', 'Dress']
  assert dataset.images.shape == (3, 12, 10)


def test_load_idx_errors_name_the_files(tmp_path):
  _, images_path, labels_path = _write_pair(tmp_path, [0, 1, 2])
  idx.write_idx(str(tmp_path / 'two-idx1'), np.array([0, 1], dtype=np.uint8))
  with pytest.raises(DataError, match=r'imgs-idx3 holds 3 images but .*two-idx1 holds 2 labels'):
    idx.load_idx(images_path, str(tmp_path / 'two-idx1'))
  with pytest.raises(DataError, match=r'class number 2 but only 2 label_names'):
    idx.load_idx(images_path, labels_path, label_names=['zero', 'one'])
  with pytest.raises(DataError, match=r'IDX images file .*lbls-idx1.gz: expected \(N, H, W\)'):
    idx.load_idx(labels_path, labels_path)


@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST), reason='dataset-fashion-mnist not installed')
def test_real_fashion_mnist():
  dataset = idx.load_idx(os.path.join(FASHION_MNIST, 't10k-images-idx3-ubyte.gz'),
                         os.path.join(FASHION_MNIST, 't10k-labels-idx1-ubyte.gz'),
                         label_names=idx.FASHION_MNIST_CLASSES)
  assert dataset.images.shape == (10000, 28, 28)
  assert dataset.class_counts().tolist() == [1000] * 10
  raw = idx.read_idx(os.path.join(FASHION_MNIST, 't10k-labels-idx1-ubyte.gz'))
  assert dataset.vocabulary.decode(dataset.labels[:5]) == [
      idx.FASHION_MNIST_CLASSES[k] for k in raw[:5]]
  assert dataset.names[0] == 't10k-images-idx3-ubyte.gz:0'
  train_labels = idx.read_idx(os.path.join(FASHION_MNIST, 'train-labels-idx1-ubyte.gz'))
  assert train_labels.shape == (60000,)
  assert np.bincount(train_labels).tolist() == [6000] * 10
