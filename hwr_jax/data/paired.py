"""Paired folders for image-to-image work: a gray letter and its clean binary version.

The input folder holds the crops as scanned, the target folder the same letters cleaned by hand
(or by a trusted binariser), saved under the same file names; extensions may differ, e.g.
scans as .jpg and targets as .png. Only names present in both folders are used, and how many
were dropped from each side is logged, because a half-copied target folder is the usual cause.

Pages pair the same way (`load_paired_pages`): a folder of page scans and a folder of their
binary ground truth, each page kept at its own size, as a binariser is scored on them.

Labels are optional: the input folder's labels.csv/labels.txt (or `labels_file`) is used if
there is one, and an image without a row, or every image when there is no labels file, gets
the label '?'. Image-to-image tasks do not need labels, and '?' keeps such images in one
obvious class instead of dropping pairs or inventing letters.
"""

from __future__ import annotations

import os
from typing import Optional, Sequence

from absl import logging
import numpy as np

from hwr_jax.data import images as images_lib
from hwr_jax.data import labels_file as labels_lib
from hwr_jax.data import folders
from hwr_jax.data.dataset import LetterDataset, PageSet
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import DataError

# A binary target saved losslessly is exactly 0/255; the tolerance absorbs light JPEG noise
# without accepting a gray image by mistake.
NEAR_BINARY_TOLERANCE = 32


def _files_by_stem(index: folders.ImageIndex, stems: Sequence[str]) -> list[str]:
  """The single file for each stem; two files with one stem cannot be paired unambiguously."""
  files = []
  for stem in stems:
    group = index.by_stem[stem]
    if len(group) > 1:
      raise DataError(f'{index.root}: {" and ".join(group)} share the name {stem!r}; paired '
                      'folders match files by name without extension, so keep only one')
    files.append(group[0])
  return files


def _log_dropped(side: str, stems: Sequence[str], other: str) -> None:
  if stems:
    logging.warning('%d image(s) in %s have no counterpart in %s and are dropped: %s',
                    len(stems), side, other, folders.list_names(sorted(stems)))


def _labels_for(
    index: folders.ImageIndex, labels_file: Optional[str], files: Sequence[str]
) -> tuple[list[Optional[labels_lib.LabelRow]], tuple[str, ...]]:
  """The labels row of each input file (None where it has none) and the metadata columns."""
  has_default = any(
      os.path.isfile(os.path.join(index.root, name)) for name in folders.LABELS_FILES)
  if labels_file is None and not has_default:
    logging.info('No labels file in %s; every pair is labelled %r', index.root,
                 labels_lib.UNKNOWN_LABEL)
    return [None] * len(files), ()
  table = labels_lib.read_labels_file(folders.find_labels_file(index.root, labels_file))
  row_of_file = dict(zip(folders.resolve_rows(index, table), table.rows))
  rows = [row_of_file.get(f) for f in files]
  missing = [f for f, row in zip(files, rows) if row is None]
  if missing:
    logging.warning('%d paired image(s) have no row in %s and are labelled %r: %s', len(missing),
                    table.path, labels_lib.UNKNOWN_LABEL, folders.list_names(missing))
  return rows, table.columns


def _check_target(target: np.ndarray, path: str) -> None:
  gray = (target > NEAR_BINARY_TOLERANCE) & (target < 255 - NEAR_BINARY_TOLERANCE)
  if gray.any():
    row, col = np.argwhere(gray)[0]
    raise DataError(f'target {path} is not binary: {int(gray.sum())} pixel(s) are neither '
                    f'near 0 nor near 255 (e.g. {int(target[row, col])} at row {row}, '
                    f'column {col}); targets must be clean black-and-white images')


def _pair_files(input_dir: str, target_dir: str
                ) -> tuple[folders.ImageIndex, list[str], list[str], list[str]]:
  """The input folder's index, and the input files, input paths and target paths of the names
  both folders hold, in name order; what is dropped from either side is logged."""
  inputs = folders.ImageIndex.scan(input_dir)
  targets = folders.ImageIndex.scan(target_dir)
  for index in (inputs, targets):
    if not index.files:
      raise DataError(f'{index.root} holds no image '
                      f'({"/".join(images_lib.SUPPORTED_EXTENSIONS)})')
  common = sorted(set(inputs.by_stem) & set(targets.by_stem))
  if not common:
    raise DataError(f'no image in {input_dir} ({len(inputs.files)} files) has a counterpart '
                    f'with the same name in {target_dir} ({len(targets.files)} files)')
  _log_dropped(input_dir, sorted(set(inputs.by_stem) - set(common)), target_dir)
  _log_dropped(target_dir, sorted(set(targets.by_stem) - set(common)), input_dir)

  input_files = _files_by_stem(inputs, common)
  target_files = _files_by_stem(targets, common)
  for index, files in ((inputs, input_files), (targets, target_files)):
    for relative in files:
      index.check_inside(relative, index.root)
  return (inputs, input_files, [inputs.path(f) for f in input_files],
          [targets.path(f) for f in target_files])


def _check_pair(image: np.ndarray, target: np.ndarray, input_path: str,
                target_path: str) -> None:
  if image.shape != target.shape:
    raise DataError(f'target {target_path} is {target.shape[0]}x{target.shape[1]} but its '
                    f'input {input_path} is {image.shape[0]}x{image.shape[1]} '
                    '(height x width); paired images must be the same size')
  _check_target(target, target_path)


def load_paired_folders(input_dir: str,
                        target_dir: str,
                        *,
                        labels_file: Optional[str] = None,
                        image_size: Optional[Sequence[int]] = None,
                        target_threshold: float = 0.5,
                        resize: str = 'stretch',
                        polarity: str = 'auto') -> LetterDataset:
  """Loads input images with aligned binary targets, matched by file name without extension.

  Args:
    input_dir: the gray letter crops.
    target_dir: their clean binary versions, same names (extensions may differ) and sizes.
    labels_file: optional labels for the inputs; defaults to the input folder's labels.csv or
      labels.txt if present (see the module docstring for images without a label).
    image_size: optional (height, width); inputs and targets are resized alike.
    target_threshold: after a resize, which blurs edges, targets are binarised again at this
      fraction of 255. Without a resize targets are only snapped to exact 0/255.
    resize: 'stretch' or 'pad' (aspect ratio kept), for inputs and targets alike.
    polarity: the inputs' 'auto', 'dark_ink' or 'light_ink' (images.normalize_polarity).
      Targets are always guessed: a clean black-and-white image has no stain to mislead the
      guess, and a target folder may be saved in the other polarity than its scans.

  Returns:
    A LetterDataset sorted by name, with `targets` (N, H, W) uint8 in {0, 255}, ink bright
    like the inputs. `names` are the input files' paths relative to input_dir.

  Raises:
    DataError: a missing folder; no name in common (both folders named); two files with one
      name in a folder; a target that is not binary, or whose size differs from its input's
      (the file and both sizes named); mixed sizes without image_size; a corrupt image; a bad
      labels file.
  """
  image_size = images_lib.check_image_size(image_size)
  images_lib.check_threshold(target_threshold, 'target_threshold')
  images_lib.check_resize(resize)
  images_lib.check_polarity(polarity)
  inputs, input_files, input_paths, target_paths = _pair_files(input_dir, target_dir)
  rows, columns = _labels_for(inputs, labels_file, input_files)

  input_images = images_lib.read_images(input_paths, polarity=polarity)
  target_images = images_lib.read_images(target_paths)
  for i, (image, target) in enumerate(zip(input_images, target_images)):
    _check_pair(image, target, input_paths[i], target_paths[i])
    if image_size is None:
      target_images[i] = images_lib.binarize(target, 0.5)
    else:
      input_images[i] = images_lib.fit_gray(image, image_size, resize)
      target_images[i] = images_lib.binarize(
          images_lib.fit_gray(target, image_size, resize), target_threshold)

  labels = [row.label if row is not None else labels_lib.UNKNOWN_LABEL for row in rows]
  vocabulary = Vocabulary.from_labels(labels)
  dataset = LetterDataset(
      images=folders.stack_images(input_images, input_paths),
      labels=vocabulary.encode(labels, source=input_dir),
      vocabulary=vocabulary,
      names=np.asarray(input_files, dtype=str),
      metadata=labels_lib.metadata_arrays(columns, rows),
      targets=folders.stack_images(target_images, target_paths))
  logging.info('Loaded %d image pairs of %dx%d from %s and %s', len(dataset),
               *dataset.image_shape, input_dir, target_dir)
  return dataset


def load_paired_pages(input_dir: str, target_dir: str, *, polarity: str = 'auto') -> PageSet:
  """Pages (or crops) and their binary ground truth, paired by file name as
  load_paired_folders pairs them, each kept at its own size: what a binariser is scored on.

  Inputs are made ink bright by `polarity`; ground truths, whichever polarity they are saved
  in (DIBCO's and this project's pages: black ink on white), become ink 255 on 0.

  Raises:
    DataError: a missing or empty folder; no name in common; two files with one name; a
      ground truth that is not binary or whose size differs from its page's (the files and
      both sizes named); a corrupt image.
  """
  images_lib.check_polarity(polarity)
  _, input_files, input_paths, target_paths = _pair_files(input_dir, target_dir)
  pages, truths = [], []
  for input_path, target_path in zip(input_paths, target_paths):
    page = images_lib.read_image(input_path, polarity=polarity)
    truth = images_lib.read_image(target_path)
    _check_pair(page, truth, input_path, target_path)
    pages.append(page)
    truths.append(images_lib.binarize(truth, 0.5))
  logging.info('Loaded %d pages and their ground truth from %s and %s', len(pages), input_dir,
               target_dir)
  return PageSet(tuple(pages), np.asarray(input_files, dtype=str), tuple(truths))
