"""A folder of letter images plus a labels file -> LetterDataset.

This is how users bring their own manuscripts: crops saved as image files, one labels file
naming the letter of each (see labels_file.py). The loader is strict because a silently dropped
or mislabelled image is far more expensive than an error: every row must find its image, every
image must be the same size (or be resized), and images without a row are reported.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from typing import Optional, Sequence

from absl import logging
import numpy as np

from hwr_jax.data import images as images_lib
from hwr_jax.data import labels_file as labels_lib
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError, DataError

LABELS_FILES = ('labels.csv', 'labels.txt')
UNLABELLED_POLICIES = ('error', 'report', 'skip')
# How many file names an error or warning lists before saying "and N more".
_NAMES_SHOWN = 10


def list_names(names: Sequence[str]) -> str:
  """The first few names and a count of the rest, for messages about many files."""
  shown = ', '.join(names[:_NAMES_SHOWN])
  rest = len(names) - _NAMES_SHOWN
  return f'{shown} and {rest} more' if rest > 0 else shown


@dataclasses.dataclass(frozen=True)
class ImageIndex:
  """The supported image files under a folder, found once so rows resolve without probing.

  Hidden files and folders (names starting with '.', such as .ipynb_checkpoints) are skipped
  and symlinked folders are not followed, so the index never reaches outside `root`.

  root:     the folder.
  files:    relative paths with forward slashes, sorted.
  symlinks: the subset of `files` that are symlinks (checked before reading).
  by_stem:  relative path without extension -> the files with that stem.
  """

  root: str
  files: tuple[str, ...]
  symlinks: frozenset[str]
  by_stem: dict[str, tuple[str, ...]]

  @classmethod
  def scan(cls, root: str) -> ImageIndex:
    if not os.path.isdir(root):
      what = 'not a folder' if os.path.exists(root) else 'not found'
      raise DataError(f'image folder {root}: {what}')
    files, symlinks = [], set()
    pending = ['']
    while pending:
      relative_dir = pending.pop()
      try:
        with os.scandir(os.path.join(root, relative_dir)) as entries:
          for entry in entries:
            if entry.name.startswith('.'):
              continue
            relative = posixpath.join(relative_dir, entry.name)
            if entry.is_dir(follow_symlinks=False):
              pending.append(relative)
            elif os.path.splitext(entry.name)[1].lower() in images_lib.SUPPORTED_EXTENSIONS:
              files.append(relative)
              if entry.is_symlink():
                symlinks.add(relative)
      except OSError as e:
        raise DataError(f'cannot list image folder {os.path.join(root, relative_dir)}: {e}') from e
    files.sort()
    by_stem: dict[str, list[str]] = {}
    for relative in files:
      by_stem.setdefault(os.path.splitext(relative)[0], []).append(relative)
    return cls(root=root, files=tuple(files), symlinks=frozenset(symlinks),
               by_stem={stem: tuple(group) for stem, group in by_stem.items()})

  def path(self, relative: str) -> str:
    return os.path.join(self.root, relative)

  def check_inside(self, relative: str, where: str) -> None:
    """Refuses a symlinked image whose target lies outside the folder."""
    if relative not in self.symlinks:
      return
    root = os.path.realpath(self.root)
    target = os.path.realpath(self.path(relative))
    if os.path.commonpath([root, target]) != root:
      raise DataError(f'{where}: image {relative!r} is a symlink to {target}, outside '
                      f'{self.root}; refusing to read it')

  def resolve(self, key: str, where: str) -> str:
    """The file a labels-file image name refers to, with or without its extension.

    Args:
      key: the normalised image name (LabelRow.key).
      where: '<labels file> line <n>' for messages.

    Raises:
      DataError: no such file, several files share the bare name, or a symlink leads outside.
    """
    files = self.by_stem.get(key, ())
    if key in self.by_stem.get(os.path.splitext(key)[0], ()):
      relative = key
    elif len(files) == 1:
      relative = files[0]
    elif files:
      raise DataError(f'{where}: image {key!r} is ambiguous in {self.root}: {list(files)}; '
                      'write the name with its extension')
    else:
      extensions = '/'.join(images_lib.SUPPORTED_EXTENSIONS)
      raise DataError(f'{where}: image file {key!r} not found in {self.root} '
                      f'(tried the name as written and with {extensions})')
    self.check_inside(relative, where)
    return relative


def find_labels_file(images_dir: str, labels_file: Optional[str]) -> str:
  """The labels file to use: the one given, else labels.csv, else labels.txt in the folder."""
  if labels_file is not None:
    if not os.path.isfile(labels_file):
      what = 'not a regular file' if os.path.exists(labels_file) else 'not found'
      raise DataError(f'labels file {labels_file}: {what}')
    return labels_file
  for name in LABELS_FILES:
    candidate = os.path.join(images_dir, name)
    if os.path.isfile(candidate):
      return candidate
  raise DataError(f'no labels file in {images_dir}: expected {" or ".join(LABELS_FILES)} '
                  '(or pass labels_file)')


def stack_images(images: Sequence[np.ndarray], paths: Sequence[str]) -> np.ndarray:
  """Stacks same-sized images; different sizes name the first two files that disagree."""
  first = images[0].shape
  for image, path in zip(images, paths):
    if image.shape != first:
      raise DataError(
          f'images differ in size: {paths[0]} is {first[0]}x{first[1]} but {path} is '
          f'{image.shape[0]}x{image.shape[1]} (height x width); pass image_size to resize them')
  return np.stack(images)


def resolve_rows(index: ImageIndex, table: labels_lib.LabelsTable) -> list[str]:
  """The image file of each row of `table`, in row order (see ImageIndex.resolve).

  Raises:
    DataError: as ImageIndex.resolve, or two rows name one file (as 'a' and 'a.png').
  """
  files, line_of_file = [], {}
  for row in table.rows:
    relative = index.resolve(row.key, table.where(row))
    if relative in line_of_file:
      raise DataError(f'{table.path}: lines {line_of_file[relative]} and {row.line} both name '
                      f'the image file {relative!r}')
    line_of_file[relative] = row.line
    files.append(relative)
  return files


def check_unlabelled(index: ImageIndex, used: set[str], policy: str, labels_path: str) -> None:
  unlabelled = [f for f in index.files if f not in used]
  if not unlabelled or policy == 'skip':
    return
  message = (f'{len(unlabelled)} image(s) in {index.root} have no row in {labels_path}: '
             f'{list_names(unlabelled)}')
  if policy == 'error':
    raise DataError(message + " (pass unlabelled='report' or 'skip' to ignore them)")
  logging.warning('%s; they are skipped', message)


def load_image_folder(images_dir: str,
                      labels_file: Optional[str] = None,
                      *,
                      image_size: Optional[Sequence[int]] = None,
                      binarize_threshold: Optional[float] = None,
                      resize: str = 'stretch',
                      polarity: str = 'auto',
                      unlabelled: str = 'report',
                      vocabulary: Optional[Vocabulary] = None) -> LetterDataset:
  """Loads the images a labels file lists, in the labels file's order.

  Args:
    images_dir: the folder; images may sit in subfolders if the labels file says so.
    labels_file: defaults to images_dir/labels.csv, else images_dir/labels.txt. Its image
      column holds names relative to images_dir, with or without extension.
    image_size: (height, width) to resize every image to; required if sizes differ.
    binarize_threshold: optional threshold in [0, 1] (see images.read_image).
    resize: 'stretch' or 'pad' (aspect ratio kept), how images reach image_size.
    polarity: 'auto', 'dark_ink' or 'light_ink' (see images.normalize_polarity).
    unlabelled: what to do with image files that no row names: 'error', 'report' (skip them
      and log a warning with their count and first names) or 'skip' (silently).
    vocabulary: the vocabulary of a trained model, to evaluate on new data with the same ids;
      by default one is built from the labels present.

  Returns:
    A LetterDataset; `names` are the image files' paths relative to images_dir, and the
    metadata columns are those of the labels file ('date' as float32, NaN where empty).

  Raises:
    ConfigError: an invalid `unlabelled`, `image_size`, `binarize_threshold`, `resize` or
      `polarity`.
    UnknownLabelError: `vocabulary` lacks some labels; all of them are listed.
    DataError: missing folder or labels file, a bad labels file (see read_labels_file), a row
      whose image is missing or ambiguous, two rows for one file, unlabelled images with
      unlabelled='error', a corrupt image, or mixed sizes without image_size.
  """
  if unlabelled not in UNLABELLED_POLICIES:
    raise ConfigError(f'unlabelled must be one of {UNLABELLED_POLICIES}, got {unlabelled!r}')
  image_size = images_lib.check_image_size(image_size)
  images_lib.check_threshold(binarize_threshold)
  images_lib.check_resize(resize)
  images_lib.check_polarity(polarity)
  index = ImageIndex.scan(images_dir)
  labels_path = find_labels_file(images_dir, labels_file)
  table = labels_lib.read_labels_file(labels_path)

  files = resolve_rows(index, table)
  check_unlabelled(index, set(files), unlabelled, labels_path)

  labels = [row.label for row in table.rows]
  if vocabulary is None:
    vocabulary = Vocabulary.from_labels(labels)
  label_ids = vocabulary.encode(labels, source=labels_path)

  paths = [index.path(f) for f in files]
  images = stack_images(
      images_lib.read_images(paths, size=image_size, binarize_threshold=binarize_threshold,
                             resize=resize, polarity=polarity),
      paths)
  dataset = LetterDataset(
      images=images,
      labels=label_ids,
      vocabulary=vocabulary,
      names=np.asarray(files, dtype=str),
      metadata=labels_lib.metadata_arrays(table.columns, table.rows))
  logging.info('Loaded %d images of %dx%d in %d classes from %s', len(dataset),
               *dataset.image_shape, dataset.num_classes, images_dir)
  return dataset
