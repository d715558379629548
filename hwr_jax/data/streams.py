"""Data sets read a chunk at a time, for answering on collections larger than memory.

A folder of 100,000 unlabelled crops cannot be stacked into one array and then scored; a
stream knows every image's name and metadata up front (a few bytes each) and decodes the
pixels one chunk at a time, prepared exactly as the training loaders prepare them. Pages for a
binariser are read one at a time instead, each at its own size (WholeImages).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from hwr_jax.data import folders, images as images_lib, labels_file as labels_lib, page_regions
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.errors import DataError


@dataclasses.dataclass(frozen=True)
class ImageStream:
  """names: (N,) image ids, in order; true_labels: (N,) label names where the data has labels
  (else None); metadata: per-image columns; read: (start, stop) -> uint8 images (n, H, W)."""

  names: np.ndarray
  true_labels: Optional[np.ndarray]
  metadata: dict[str, np.ndarray]
  read: Callable[[int, int], np.ndarray]

  def __len__(self) -> int:
    return len(self.names)

  def chunks(self, size: int) -> Iterator[tuple[int, np.ndarray]]:
    """(start, images) of consecutive chunks of at most `size` images."""
    for start in range(0, len(self), size):
      yield start, self.read(start, min(start + size, len(self)))


def from_dataset(dataset: LetterDataset) -> ImageStream:
  """A data set already in memory (arrays, IDX, an npz export), as a stream; arrays stored
  without labels (every label UNKNOWN_LABEL) have no true labels."""
  names = np.asarray(dataset.vocabulary.labels)[dataset.labels]
  unlabelled = bool(len(names)) and np.all(names == labels_lib.UNKNOWN_LABEL)
  return ImageStream(dataset.names, None if unlabelled else names, dict(dataset.metadata),
                     lambda start, stop: dataset.images[start:stop])


def files_stream(paths: Sequence[str], names: Sequence[str], true_labels: Optional[np.ndarray],
                 metadata: dict[str, np.ndarray], options: dict) -> ImageStream:
  """Image files decoded chunk by chunk with the loaders' `options` (images.read_images)."""
  paths = list(paths)

  def read(start: int, stop: int) -> np.ndarray:
    return folders.stack_images(images_lib.read_images(paths[start:stop], **options),
                                paths[start:stop])

  return ImageStream(np.asarray(names, dtype=str), true_labels, metadata, read)


def folder_stream(folder: str, options: dict, recursive: bool = False) -> ImageStream:
  """An image folder: with a labels file, its rows in order (labels and metadata columns
  kept); without one, every image file in name order (sub-folders only if `recursive`)."""
  index = folders.ImageIndex.scan(folder)
  if any(os.path.isfile(os.path.join(folder, name)) for name in folders.LABELS_FILES):
    labels_path = folders.find_labels_file(folder, None)
    table = labels_lib.read_labels_file(labels_path)
    files = folders.resolve_rows(index, table)
    folders.check_unlabelled(index, set(files), 'report', labels_path)
    return files_stream([index.path(f) for f in files], files,
                        np.asarray([row.label for row in table.rows], dtype=str),
                        labels_lib.metadata_arrays(table.columns, table.rows), options)
  files = unlabelled_files(index, folder, recursive)
  return files_stream([index.path(f) for f in files], files, None, {}, options)


def unlabelled_files(index: folders.ImageIndex, folder: str, recursive: bool) -> list[str]:
  """The image files of a folder read without labels, relative to it, in name order; at
  least one."""
  files = [f for f in index.files if recursive or '/' not in f]
  for relative in files:
    index.check_inside(relative, folder)
  if not files:
    raise DataError(f'{folder}: no image files ({"/".join(images_lib.SUPPORTED_EXTENSIONS)})'
                    + ('' if recursive else '; pass --recursive to read its sub-folders'))
  return files


@dataclasses.dataclass(frozen=True)
class WholeImages:
  """Images read one at a time, each at its own size (pages, for a binariser): names (N,) and
  read_one(i) -> (H_i, W_i) uint8, ink bright."""

  names: np.ndarray
  read_one: Callable[[int], np.ndarray]

  def __len__(self) -> int:
    return len(self.names)

  def images(self) -> Iterator[np.ndarray]:
    for i in range(len(self)):
      yield self.read_one(i)


def whole_images(folder: str, polarity: str, recursive: bool = False) -> WholeImages:
  """Every image file of a folder (sub-folders only if `recursive`; a labels file and
  PAGE-XML or ALTO files beside the images are not images and are passed over), in name
  order, decoded one at a time at its own size and made ink bright by `polarity`."""
  images_lib.check_polarity(polarity)
  index = folders.ImageIndex.scan(folder)
  files = unlabelled_files(index, folder, recursive)
  paths = [index.path(f) for f in files]
  return WholeImages(np.asarray(files, dtype=str),
                     lambda i: images_lib.read_image(paths[i], polarity=polarity))


def page_stream(source: str, folder: str, options: dict, level: str, pad: int) -> ImageStream:
  """The regions of a folder of PAGE-XML or ALTO pages, cut and prepared in memory (at the
  model's size: 1 KB a letter at 32x32); text becomes the true label where every region has
  some."""
  crops = page_regions.read_regions(source, folder, level, pad)
  images = np.stack([images_lib.prepare_gray(crop.image, **options) for crop in crops])
  labels = [crop.label for crop in crops]
  columns = list(crops[0].metadata)
  metadata = {column: np.asarray([str(crop.metadata[column]) for crop in crops], dtype=str)
              for column in columns}
  names = [page_regions.crop_file_name(crop) for crop in crops]
  true_labels = None if any(label is None for label in labels) else np.asarray(labels, dtype=str)
  return ImageStream(np.asarray(names, dtype=str), true_labels, metadata,
                     lambda start, stop: images[start:stop])


def page_folder(folder: str) -> Optional[tuple[str, str]]:
  """(source, folder of the XML files) where `folder`, or its page/ sub-folder as Transkribus
  exports it, holds PAGE-XML or ALTO pages (read from the first file's namespace); else None,
  for a folder of images."""
  for candidate in (folder, os.path.join(folder, 'page')):
    if not os.path.isdir(candidate):
      continue
    xml = sorted(name for name in os.listdir(candidate) if name.lower().endswith('.xml'))
    if not xml:
      continue
    with open(os.path.join(candidate, xml[0]), 'rb') as f:
      head = f.read(4096)
    for source, namespaces in (('pagexml', page_regions.PAGE_NAMESPACES),
                               ('alto', page_regions.ALTO_NAMESPACES)):
      if any(namespace.encode() in head for namespace in namespaces):
        return source, candidate
  return None
