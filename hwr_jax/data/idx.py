"""IDX files, the format of MNIST and Fashion-MNIST, gzipped or not.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number of dimensions),
one big-endian uint32 per dimension, then the values, big-endian, in C order. The header is
validated against the payload before anything is allocated: a corrupt or hostile header that
declares terabytes must fail at once with the file's name, not exhaust memory.
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from typing import Optional, Sequence

from absl import logging
import numpy as np

from hwr_jax.data import images as images_lib
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import DataError
from hwr_jax.io_utils import atomic_file

FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal',
                         'Shirt', 'Sneaker', 'Bag', 'Ankle boot')

_DTYPES = {
    0x08: np.dtype('>u1'),
    0x09: np.dtype('>i1'),
    0x0B: np.dtype('>i2'),
    0x0C: np.dtype('>i4'),
    0x0D: np.dtype('>f4'),
    0x0E: np.dtype('>f8'),
}
_GZIP_MAGIC = b'\x1f\x8b'
# Deflate cannot expand data by more than about 1032:1, so a gzip file whose header declares
# more than this times its compressed size is rejected before decompressing anything.
_MAX_DEFLATE_RATIO = 1032
_READ_CHUNK = 1 << 24
# No real IDX file has more dimensions; the bound keeps a garbage header from reading far.
_MAX_DIMS = 16


def _read_payload(f, expected: int, path: str) -> bytearray:
  """Reads exactly `expected` bytes in chunks, so a short stream never forces a big buffer."""
  buffer = bytearray()
  while len(buffer) <= expected:
    chunk = f.read(min(_READ_CHUNK, expected + 1 - len(buffer)))
    if not chunk:
      break
    buffer += chunk
  if len(buffer) != expected:
    got = 'more' if len(buffer) > expected else len(buffer)
    raise DataError(f'IDX file {path}: header declares {expected} bytes of data but the file '
                    f'holds {got}; the file is truncated or corrupt')
  return buffer


def read_idx(path: str) -> np.ndarray:
  """Reads an IDX file (gzip detected by its magic bytes) into a native-endian array.

  Raises:
    DataError: naming the file, when it is missing, not gzip-decodable, has a wrong magic
      number, an unknown dtype code, zero or too many dimensions, or a payload whose size
      differs from what the header declares.
  """
  if not os.path.isfile(path):
    what = 'not a regular file' if os.path.exists(path) else 'not found'
    raise DataError(f'IDX file {path}: {what}')
  file_size = os.path.getsize(path)
  try:
    with open(path, 'rb') as raw:
      compressed = raw.read(2) == _GZIP_MAGIC
      raw.seek(0)
      f = gzip.GzipFile(fileobj=raw, mode='rb') if compressed else raw
      magic = f.read(4)
      if len(magic) != 4 or magic[:2] != b'\x00\x00':
        raise DataError(f'IDX file {path}: bad magic number {magic.hex() or "(empty)"}; '
                        'expected 0000 followed by a dtype code and the number of dimensions')
      code, ndim = magic[2], magic[3]
      if code not in _DTYPES:
        raise DataError(f'IDX file {path}: unknown dtype code 0x{code:02x}; expected one of '
                        f'{", ".join(f"0x{c:02x}" for c in _DTYPES)}')
      if not 1 <= ndim <= _MAX_DIMS:
        raise DataError(f'IDX file {path}: {ndim} dimensions; expected 1 to {_MAX_DIMS}')
      header = f.read(4 * ndim)
      if len(header) != 4 * ndim:
        raise DataError(f'IDX file {path}: header ends before its {ndim} dimensions')
      shape = struct.unpack(f'>{ndim}I', header)
      dtype = _DTYPES[code]
      expected = math.prod(shape) * dtype.itemsize
      available = file_size - 4 - 4 * ndim
      if compressed:
        available = _MAX_DEFLATE_RATIO * file_size
      if expected > available:
        raise DataError(f'IDX file {path}: header declares shape {shape} ({expected} bytes) but '
                        f'the file can hold at most {max(available, 0)} bytes; it is corrupt')
      payload = _read_payload(f, expected, path)
  except (OSError, EOFError, zlib.error) as e:
    raise DataError(f'cannot read IDX file {path}: {e}') from e
  return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder('='))


def write_idx(path: str, array: np.ndarray) -> None:
  """Writes `array` as IDX, gzipped if `path` ends in .gz, atomically (tmp file, rename)."""
  array = np.asarray(array)
  codes = {dtype.newbyteorder('='): code for code, dtype in _DTYPES.items()}
  code = codes.get(array.dtype.newbyteorder('='))
  if code is None:
    raise DataError(f'cannot write {path}: IDX has no dtype for {array.dtype}; use one of '
                    f'{sorted(str(d) for d in codes)}')
  if not 1 <= array.ndim <= _MAX_DIMS or max(array.shape) >= 2**32:
    raise DataError(f'cannot write {path}: IDX cannot hold shape {array.shape}')
  header = bytes([0, 0, code, array.ndim]) + struct.pack(f'>{array.ndim}I', *array.shape)
  data = header + np.ascontiguousarray(array, dtype=_DTYPES[code]).tobytes()
  with atomic_file(path, 'wb') as f:
    if path.endswith('.gz'):
      # mtime=0 keeps the bytes identical for identical arrays.
      with gzip.GzipFile(fileobj=f, mode='wb', mtime=0) as compressed:
        compressed.write(data)
    else:
      f.write(data)


def encode_class_numbers(numbers: np.ndarray, label_names: Optional[Sequence[str]],
                         source: str) -> tuple[np.ndarray, Vocabulary]:
  """Maps integer class numbers to vocabulary ids.

  Args:
    numbers: (N,) non-negative integer class numbers.
    label_names: label_names[k] names class k. All of them enter the vocabulary, so train and
      test files agree on ids even if one lacks a class. By default the class numbers present,
      zero-padded to equal width, so that sorted (vocabulary) order equals numeric order.
    source: the file (and key) the numbers come from, for messages.

  Returns:
    (ids, vocabulary); ids are int32.
  """
  numbers = np.asarray(numbers, dtype=np.int64)
  if numbers.size and numbers.min() < 0:
    raise DataError(f'{source}: negative class number {numbers.min()}')
  if label_names is None:
    present = np.unique(numbers)
    width = len(str(present.max())) if present.size else 1
    names = {int(k): str(k).zfill(width) for k in present}
  else:
    names = dict(enumerate(str(name) for name in label_names))
    if len(set(names.values())) != len(names):
      raise DataError(f'label_names for {source} repeat a name: {list(names.values())}')
    if numbers.size and numbers.max() >= len(names):
      raise DataError(f'{source}: class number {numbers.max()} but only {len(names)} '
                      'label_names were given')
  vocabulary = Vocabulary.from_labels(names.values())
  lookup = np.zeros(max(names, default=-1) + 1, dtype=np.int32)
  lookup[list(names)] = vocabulary.encode(list(names.values()), source=source)
  return lookup[numbers], vocabulary


def load_idx(images_path: str,
             labels_path: str,
             *,
             label_names: Optional[Sequence[str]] = None,
             image_size: Optional[Sequence[int]] = None,
             resize: str = 'stretch') -> LetterDataset:
  """Loads an MNIST-style pair of IDX files (images (N, H, W) uint8, labels (N,)).

  IDX images are already ink bright on dark, so their polarity is kept as is.

  Args:
    images_path: the idx3 images file.
    labels_path: the idx1 labels file.
    label_names: names of classes 0, 1, ... (e.g. FASHION_MNIST_CLASSES); by default the
      zero-padded class numbers (see encode_class_numbers).
    image_size: optional (height, width) to resize to.
    resize: 'stretch' or 'pad' (aspect ratio kept; see images.fit_gray).

  Returns:
    A LetterDataset whose names are '<images file name>:<index>'.
  """
  image_size = images_lib.check_image_size(image_size)
  images_lib.check_resize(resize)
  images = read_idx(images_path)
  labels = read_idx(labels_path)
  if images.ndim != 3 or images.dtype != np.uint8:
    raise DataError(f'IDX images file {images_path}: expected (N, H, W) uint8, got '
                    f'{images.shape} {images.dtype}')
  if labels.ndim != 1 or labels.dtype.kind not in 'iu':
    raise DataError(f'IDX labels file {labels_path}: expected (N,) integers, got '
                    f'{labels.shape} {labels.dtype}')
  if len(images) != len(labels):
    raise DataError(f'{images_path} holds {len(images)} images but {labels_path} holds '
                    f'{len(labels)} labels')
  if not len(images):
    raise DataError(f'IDX images file {images_path} holds no images')
  ids, vocabulary = encode_class_numbers(labels, label_names, labels_path)
  if image_size is not None and images.shape[1:] != image_size:
    images = np.stack([images_lib.fit_gray(image, image_size, resize) for image in images])
  basename = os.path.basename(images_path)
  dataset = LetterDataset(
      images=images,
      labels=ids,
      vocabulary=vocabulary,
      names=np.asarray([f'{basename}:{i}' for i in range(len(images))], dtype=str))
  logging.info('Loaded %d images of %dx%d in %d classes from %s', len(dataset),
               *dataset.image_shape, dataset.num_classes, images_path)
  return dataset
