"""Data sets as arrays: our own .npz export, and other people's .npy/.npz/.mat files.

`save_npz`/`load_npz` are the exact, self-describing export of a LetterDataset (one file, plus
vocabulary.json beside it so a workdir's vocabulary can be compared by eye). `load_arrays`
is the tolerant reader for arrays made elsewhere: it guesses which array holds the images and
which the labels when only one choice makes sense, and otherwise lists the keys so the user can
say. Pickled objects are never loaded: a .npy/.npz from a stranger must not run code.
"""

from __future__ import annotations

import os
import unicodedata
import zipfile
from typing import Mapping, Optional, Sequence

from absl import logging
import numpy as np
import scipy.io

from hwr_jax.data import images as images_lib
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.idx import encode_class_numbers
from hwr_jax.data.labels_file import UNKNOWN_LABEL
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import DataError
from hwr_jax.io_utils import atomic_file

_METADATA_PREFIX = 'metadata/'
_FORMAT_KEY = 'hwr_jax_npz_version'
_FORMAT_VERSION = 1
# Used to pick among several plausible arrays; a unique plausible array needs no name.
_IMAGE_KEY_NAMES = ('images', 'image', 'imgs', 'x', 'data')
_LABEL_KEY_NAMES = ('labels', 'label', 'y', 'targets', 'target')


def vocabulary_path(npz_path: str) -> str:
  """'letters.npz' -> 'letters.vocabulary.json', next to it."""
  return os.path.splitext(npz_path)[0] + '.vocabulary.json'


def save_npz(dataset: LetterDataset, path: str) -> None:
  """Writes `dataset` to one compressed .npz, atomically, and vocabulary.json beside it.

  The vocabulary is stored inside the .npz too, so the file alone reproduces the data set;
  The vocabulary is also written beside it as <stem>.vocabulary.json, for people and tools.
  """
  arrays = {
      _FORMAT_KEY: np.asarray(_FORMAT_VERSION),
      'images': dataset.images,
      'labels': dataset.labels,
      'vocabulary': np.asarray(dataset.vocabulary.labels, dtype=str),
      'names': np.asarray(dataset.names, dtype=str),
  }
  for key, column in dataset.metadata.items():
    column = np.asarray(column)
    # Object arrays would need pickle to load; metadata is strings or numbers.
    arrays[_METADATA_PREFIX + key] = column.astype(str) if column.dtype == object else column
  if dataset.targets is not None:
    arrays['targets'] = dataset.targets
  with atomic_file(path, 'wb') as f:
    np.savez_compressed(f, **arrays)
  dataset.vocabulary.save_as(vocabulary_path(path))
  logging.info('Saved %d images to %s', len(dataset), path)


def _open_npz(path: str) -> dict[str, np.ndarray]:
  if not os.path.isfile(path):
    what = 'not a regular file' if os.path.exists(path) else 'not found'
    raise DataError(f'array file {path}: {what}')
  try:
    # numpy leaks its own file handle when the archive is corrupt; this one is always closed.
    with open(path, 'rb') as f:
      npz = np.load(f, allow_pickle=False)
      if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataError(f'{path} holds a single array (.npy format), not an .npz archive')
      with npz:
        return {key: npz[key] for key in npz.files}
  except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
    raise DataError(f'cannot read {path}: corrupt, truncated, or holds pickled objects ({e})'
                    ) from e


def is_export(path: str) -> bool:
  """Whether `path` is an .npz written by save_npz (rather than someone else's arrays).

  Only the archive's table of contents is read, so a large file costs nothing to classify.
  """
  try:
    with zipfile.ZipFile(path) as archive:
      return f'{_FORMAT_KEY}.npy' in archive.namelist()
  except (OSError, zipfile.BadZipFile):
    return False


def load_npz(path: str) -> LetterDataset:
  """Reads a file written by save_npz back into the identical LetterDataset."""
  arrays = _open_npz(path)
  for key in (_FORMAT_KEY, 'images', 'labels', 'vocabulary', 'names'):
    if key not in arrays:
      raise DataError(f'{path} lacks the key {key!r}, so it was not written by save_npz; '
                      'use load_arrays for other .npz files')
  if int(arrays[_FORMAT_KEY]) != _FORMAT_VERSION:
    raise DataError(f'{path} has format version {int(arrays[_FORMAT_KEY])}; this code reads '
                    f'version {_FORMAT_VERSION}')
  return LetterDataset(
      images=arrays['images'],
      labels=arrays['labels'],
      vocabulary=Vocabulary(tuple(str(label) for label in arrays['vocabulary'])),
      names=arrays['names'],
      metadata={key[len(_METADATA_PREFIX):]: value for key, value in arrays.items()
                if key.startswith(_METADATA_PREFIX)},
      targets=arrays.get('targets'))


def _read_array_file(path: str) -> dict[str, np.ndarray]:
  """All arrays in a .npy (under the key 'images'), .npz or .mat file."""
  extension = os.path.splitext(path)[1].lower()
  if extension == '.npz':
    return _open_npz(path)
  if not os.path.isfile(path):
    what = 'not a regular file' if os.path.exists(path) else 'not found'
    raise DataError(f'array file {path}: {what}')
  if extension == '.npy':
    try:
      with open(path, 'rb') as f:
        array = np.load(f, allow_pickle=False)
        if not isinstance(array, np.ndarray):
          raise DataError(f'{path} is an .npz archive named .npy; rename it to .npz')
        return {'images': array}
    except (OSError, ValueError, EOFError) as e:
      raise DataError(f'cannot read {path}: corrupt, truncated, or holds pickled objects ({e})'
                      ) from e
  if extension == '.mat':
    try:
      contents = scipy.io.loadmat(path)
    except NotImplementedError as e:
      raise DataError(f'{path} is a MATLAB v7.3 (HDF5) file, which scipy cannot read; save it '
                      "in MATLAB with save(..., '-v7')") from e
    except Exception as e:  # pylint: disable=broad-except
      # scipy's MAT parser reports corrupt input with whatever exception it hits (IndexError,
      # MatReadError, struct.error, ...); to the user they all mean the same thing.
      raise DataError(f'cannot read MATLAB file {path}: corrupt or not a MAT file '
                      f'({type(e).__name__}: {e})') from e
    return {key: value for key, value in contents.items() if not key.startswith('__')}
  raise DataError(f'{path}: unsupported array file; expected .npy, .npz or .mat')


def _describe(arrays: Mapping[str, np.ndarray]) -> str:
  return ', '.join(f'{key} {value.shape} {value.dtype}' for key, value in arrays.items())


def _is_numeric(array: np.ndarray) -> bool:
  return array.dtype.kind in 'biuf'


def _pick(candidates: list[str], preferred: Sequence[str], what: str, path: str,
          arrays: Mapping[str, np.ndarray], hint: str) -> Optional[str]:
  """The one candidate key, or the one with a conventional name; several -> error."""
  if len(candidates) <= 1:
    return candidates[0] if candidates else None
  named = [key for key in candidates if key.lower() in preferred]
  if len(named) == 1:
    return named[0]
  raise DataError(f'{path}: cannot tell which array holds the {what}; candidates: '
                  f'{_describe({k: arrays[k] for k in candidates})}; pass {hint}')


def _looks_like_images(array: np.ndarray, image_size: Optional[tuple[int, int]]) -> bool:
  if not _is_numeric(array):
    return False
  if array.ndim == 3 or (array.ndim == 4 and array.shape[-1] == 1):
    return True
  return (array.ndim == 2 and image_size is not None
          and array.shape[1] == image_size[0] * image_size[1])


def _label_vector(array: np.ndarray) -> np.ndarray:
  """A (N,), (N, 1) or (1, N) array (MATLAB stores vectors as matrices) as (N,)."""
  if array.ndim == 2 and 1 in array.shape:
    return array.reshape(-1)
  return array


def _is_one_hot(array: np.ndarray) -> bool:
  return (array.ndim == 2 and array.shape[1] > 1 and _is_numeric(array)
          and bool(np.isin(array, (0, 1)).all()) and bool((array.sum(axis=1) == 1).all()))


def _looks_like_labels(array: np.ndarray, counts: set[int]) -> bool:
  vector = _label_vector(array)
  if vector.ndim == 1:
    return len(vector) in counts and (_is_numeric(vector) or vector.dtype.kind in 'US')
  return len(array) in counts and _is_one_hot(array)


def _images_to_uint8(images: np.ndarray, key: str, path: str) -> np.ndarray:
  """Scales bool, integer 0..1 or 0..255, and float [0, 1] or [0, 255] images to uint8."""
  if images.dtype == np.uint8:
    return images
  if images.dtype == bool:
    return images.astype(np.uint8) * 255
  if images.dtype.kind == 'f' and not np.isfinite(images).all():
    raise DataError(f'{path}: images key {key!r} holds NaN or infinite values')
  low, high = (float(images.min()), float(images.max())) if images.size else (0.0, 0.0)
  if low < 0 or high > 255:
    raise DataError(f'{path}: images key {key!r} has values in [{low:g}, {high:g}]; expected '
                    '[0, 1] or [0, 255]')
  if high <= 1:
    images = images.astype(np.float32) * 255.0
  elif images.dtype.kind in 'iu':
    return images.astype(np.uint8)
  return np.rint(images).astype(np.uint8)


def _labels_to_ids(labels: np.ndarray, key: str, path: str,
                   label_names: Optional[Sequence[str]]) -> tuple[np.ndarray, Vocabulary]:
  source = f'{path} key {key!r}'
  if labels.dtype.kind in 'US':
    if label_names is not None:
      raise DataError(f'{source} holds label strings; label_names applies to class numbers')
    names = [unicodedata.normalize('NFC', str(label).strip()) for label in labels]
    vocabulary = Vocabulary.from_labels(names)
    return vocabulary.encode(names, source=source), vocabulary
  if labels.ndim == 2:
    labels = labels.argmax(axis=1)
  if labels.dtype.kind == 'f' and not (np.isfinite(labels).all()
                                       and (labels == np.round(labels)).all()):
    raise DataError(f'{source}: labels must be whole class numbers, got e.g. '
                    f'{labels[labels != np.round(labels)][:5]}')
  return encode_class_numbers(labels.astype(np.int64), label_names, source)


def load_arrays(path: str,
                *,
                images_key: Optional[str] = None,
                labels_key: Optional[str] = None,
                label_names: Optional[Sequence[str]] = None,
                image_size: Optional[Sequence[int]] = None,
                resize: str = 'stretch') -> LetterDataset:
  """Reads images and labels from another project's .npy, .npz or MATLAB .mat file.

  Args:
    path: the file. A .npy holds only images, so all of them get the label '?'.
    images_key: the array of images: (N, H, W), (N, H, W, 1), or (N, H*W) in C order with
      image_size given; in .mat files also MATLAB's (H, W, N). Found automatically when only
      one array fits (or only one of those that fit has a conventional name such as 'images').
    labels_key: the labels: class numbers (integers or whole floats, any vector shape),
      one-hot rows, or strings. Found automatically like images_key; if no array fits, every
      image is labelled '?' and a warning says so.
    label_names: names of class numbers 0, 1, ... (see idx.encode_class_numbers).
    image_size: (height, width); reshapes flat images, and resizes others if different.
    resize: 'stretch' or 'pad' (aspect ratio kept; see images.fit_gray).

  Returns:
    A LetterDataset with images as uint8. Float images in [0, 1] are scaled by 255, in [0, 255]
    rounded. Polarity is decided once for the whole array (see images.ink_is_dark), never per
    image, so the odd faint letter is not flipped; dark-on-light arrays are inverted.
    Names are '<file name>:<index>'.

  Raises:
    DataError: unreadable file; keys missing or ambiguous (the keys are listed); images or
      labels of the wrong shape, count or value range (the key is named).
  """
  image_size = images_lib.check_image_size(image_size)
  images_lib.check_resize(resize)
  arrays = _read_array_file(path)
  is_npy = os.path.splitext(path)[1].lower() == '.npy'
  if is_npy and (images_key or labels_key):
    raise DataError(f'{path} is a .npy file holding one array; images_key and labels_key '
                    'apply to .npz and .mat files')
  for key in (images_key, labels_key):
    if key is not None and key not in arrays:
      raise DataError(f'{path} has no key {key!r}; its arrays are: {_describe(arrays)}')
  if images_key is None:
    images_key = _pick([k for k, a in arrays.items() if _looks_like_images(a, image_size)],
                       _IMAGE_KEY_NAMES, 'images', path, arrays, 'images_key')
    if images_key is None:
      raise DataError(f'{path}: no array looks like images ((N, H, W), or (N, H*W) with '
                      f'image_size); its arrays are: {_describe(arrays) or "none"}')
  images = arrays[images_key]
  if not _looks_like_images(images, image_size):
    raise DataError(f'{path}: images key {images_key!r} has shape {images.shape} '
                    f'{images.dtype}; expected numeric (N, H, W), (N, H, W, 1), or (N, H*W) '
                    'with image_size')

  matlab_layout = path.lower().endswith('.mat') and images.ndim == 3
  counts = {len(images), images.shape[-1]} if matlab_layout else {len(images)}
  others = {k: a for k, a in arrays.items() if k != images_key}
  if labels_key is None and not is_npy:
    labels_key = _pick([k for k, a in others.items() if _looks_like_labels(a, counts)],
                       _LABEL_KEY_NAMES, 'labels', path, others, 'labels_key')
  if labels_key is None:
    logging.warning('%s: no labels array found (arrays: %s); every image is labelled %r', path,
                    _describe(others) or 'none', UNKNOWN_LABEL)
    labels = None
  else:
    labels = _label_vector(arrays[labels_key])
    if labels.ndim not in (1, 2) or (labels.ndim == 2 and not _is_one_hot(labels)):
      raise DataError(f'{path}: labels key {labels_key!r} has shape {labels.shape}; expected '
                      'a vector of class numbers or one-hot rows')
    if matlab_layout and len(labels) == images.shape[-1] != len(images):
      images = np.moveaxis(images, -1, 0)
    if len(labels) != len(images):
      raise DataError(f'{path}: labels key {labels_key!r} has {len(labels)} entries but images '
                      f'key {images_key!r} has {len(images)} images')

  if not len(images):
    raise DataError(f'{path}: images key {images_key!r} holds no images')
  if images.ndim == 4:
    images = images[..., 0]
  if images.ndim == 2:
    images = images.reshape(len(images), *image_size)
  images = _images_to_uint8(images, images_key, path)
  if image_size is not None and images.shape[1:] != image_size:
    images = np.stack([images_lib.fit_gray(image, image_size, resize) for image in images])
  if images_lib.ink_is_dark(images):
    logging.info('%s: dark ink on a light background; inverting to ink bright on dark', path)
    images = 255 - images
  if labels is None:
    vocabulary = Vocabulary((UNKNOWN_LABEL,))
    ids = np.zeros(len(images), dtype=np.int32)
  else:
    ids, vocabulary = _labels_to_ids(labels, labels_key, path, label_names)
  basename = os.path.basename(path)
  dataset = LetterDataset(
      images=np.ascontiguousarray(images),
      labels=ids,
      vocabulary=vocabulary,
      names=np.asarray([f'{basename}:{i}' for i in range(len(images))], dtype=str))
  logging.info('Loaded %d images of %dx%d in %d classes from %s', len(dataset),
               *dataset.image_shape, dataset.num_classes, path)
  return dataset
