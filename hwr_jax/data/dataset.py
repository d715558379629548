"""The in-memory data set every loader returns and every task consumes."""

from __future__ import annotations

import dataclasses
from typing import Mapping, Optional

import numpy as np

from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import DataError


@dataclasses.dataclass(frozen=True)
class LetterDataset:
  """Letter images with labels and per-image metadata.

  images:     (N, H, W) uint8, ink bright (255) on a dark (0) background, like MNIST.
  labels:     (N,) int32 ids into `vocabulary`.
  vocabulary: the sorted label names.
  names:      (N,) str, the image id (file name without folder) of each image.
  metadata:   optional per-image columns, each of length N: 'manuscript' (str), 'date'
              (float32 year), 'split' (str), and any others a source provides.
  targets:    optional (N, H, W) uint8 aligned targets for image-to-image work (0 or 255).
  context:    optional (N, H, W) uint8, the same letters with their word neighbours (the
              synthetic source's context crops); training batches show a letter in context
              instead of alone for a share `context_share` of the examples.
  context_share: that share, in [0, 1].
  class_balanced: training batches draw every class alike (`pipeline.balanced_indices`)
              instead of going through the examples epoch by epoch.
  """

  images: np.ndarray
  labels: np.ndarray
  vocabulary: Vocabulary
  names: np.ndarray
  metadata: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)
  targets: Optional[np.ndarray] = None
  context: Optional[np.ndarray] = None
  context_share: float = 0.0
  class_balanced: bool = False

  def __post_init__(self):
    n = len(self.images)
    if self.images.ndim != 3 or self.images.dtype != np.uint8:
      raise DataError(f'images must be (N, H, W) uint8, got {self.images.shape} '
                      f'{self.images.dtype}')
    columns = {'labels': self.labels, 'names': self.names, **self.metadata}
    for key in ('targets', 'context'):
      if getattr(self, key) is not None:
        columns[key] = getattr(self, key)
    for key, column in columns.items():
      if len(column) != n:
        raise DataError(f'{key} has {len(column)} entries for {n} images')
    if n and (self.labels.min() < 0 or self.labels.max() >= len(self.vocabulary)):
      raise DataError(f'label ids outside [0, {len(self.vocabulary)})')

  def __len__(self) -> int:
    return len(self.images)

  @property
  def image_shape(self) -> tuple[int, int]:
    return tuple(self.images.shape[1:3])

  @property
  def num_classes(self) -> int:
    return len(self.vocabulary)

  def subset(self, indices: np.ndarray) -> LetterDataset:
    """The images at `indices`, in that order, with everything aligned to them."""
    indices = np.asarray(indices, dtype=np.int64)
    return dataclasses.replace(
        self,
        images=self.images[indices],
        labels=self.labels[indices],
        names=self.names[indices],
        metadata={k: v[indices] for k, v in self.metadata.items()},
        targets=None if self.targets is None else self.targets[indices],
        context=None if self.context is None else self.context[indices])

  def class_counts(self) -> np.ndarray:
    return np.bincount(self.labels, minlength=self.num_classes)

  def summary(self) -> str:
    """A few lines a user can read: size, image shape and the count of every class."""
    counts = self.class_counts()
    lines = [f'{len(self)} images of {self.image_shape[0]}x{self.image_shape[1]}, '
             f'{self.num_classes} classes']
    lines += [f'  {name}: {count}' for name, count in zip(self.vocabulary.labels, counts)]
    for key, column in sorted(self.metadata.items()):
      if key == 'manuscript':
        lines.append(f'  manuscripts: {len(np.unique(column))}')
    return '\n'.join(lines)


@dataclasses.dataclass(frozen=True)
class PageSet:
  """Whole images, each at its own size: pages, or crops that a binariser reads as they are.

  images:   (N,) tuple of (H_i, W_i) uint8, ink bright (255) on dark, as LetterDataset's.
  names:    (N,) str, the image id (file name) of each image.
  targets:  optional (N,) tuple of (H_i, W_i) uint8 ground truths, ink 255, each aligned with
            its image.
  metadata: optional per-image columns, each of length N.
  """

  images: tuple[np.ndarray, ...]
  names: np.ndarray
  targets: Optional[tuple[np.ndarray, ...]] = None
  metadata: Mapping[str, np.ndarray] = dataclasses.field(default_factory=dict)

  def __post_init__(self):
    n = len(self.images)
    for key, column in {'names': self.names, **self.metadata}.items():
      if len(column) != n:
        raise DataError(f'{key} has {len(column)} entries for {n} pages')
    for i, image in enumerate(self.images):
      if image.ndim != 2 or image.dtype != np.uint8:
        raise DataError(f'page {self.names[i]} must be (H, W) uint8, got {image.shape} '
                        f'{image.dtype}')
      if self.targets is not None and self.targets[i].shape != image.shape:
        raise DataError(f'page {self.names[i]}: ground truth {self.targets[i].shape} and image '
                        f'{image.shape} differ in size')
    if self.targets is not None and len(self.targets) != n:
      raise DataError(f'{len(self.targets)} ground truths for {n} pages')

  def __len__(self) -> int:
    return len(self.images)

  def subset(self, indices: np.ndarray) -> PageSet:
    """The pages at `indices`, in that order, with everything aligned to them."""
    indices = [int(i) for i in indices]
    return PageSet(tuple(self.images[i] for i in indices), self.names[indices],
                   None if self.targets is None else tuple(self.targets[i] for i in indices),
                   {k: v[indices] for k, v in self.metadata.items()})


@dataclasses.dataclass(frozen=True)
class DateSummary:
  """The known dates (years) of the training images: what a dating model scales its targets
  by and what the baseline that always predicts the training mean predicts."""

  mean: float
  std: float
  first: float
  last: float

  @classmethod
  def of(cls, dates: np.ndarray) -> Optional[DateSummary]:
    known = np.asarray(dates, np.float64)
    known = known[np.isfinite(known)]
    if not known.size:
      return None
    return cls(float(known.mean()), float(known.std()), float(known.min()), float(known.max()))


@dataclasses.dataclass(frozen=True)
class DataInfo:
  """What a task may know of its training data; saved in the workdir for later evaluation."""

  vocabulary: Vocabulary
  image_shape: tuple[int, int]
  class_counts: tuple[int, ...]
  dates: Optional[DateSummary] = None

  @classmethod
  def of(cls, dataset: LetterDataset) -> DataInfo:
    dates = dataset.metadata.get('date')
    return cls(dataset.vocabulary, tuple(dataset.image_shape),
               tuple(int(c) for c in dataset.class_counts()),
               None if dates is None else DateSummary.of(dates))

  def to_json(self) -> dict:
    out = {'image_shape': list(self.image_shape), 'class_counts': list(self.class_counts),
           'num_classes': len(self.vocabulary)}
    if self.dates is not None:
      out['dates'] = dataclasses.asdict(self.dates)
    return out

  @classmethod
  def from_json(cls, saved: dict, vocabulary: Vocabulary) -> DataInfo:
    dates = saved.get('dates')
    return cls(vocabulary, tuple(saved['image_shape']), tuple(saved['class_counts']),
               None if dates is None else DateSummary(**dates))
