"""Label vocabulary: letter names <-> integer ids, sorted and saved so ids never change.

The original project lost weeks to a label dictionary rebuilt in random order on every run; here
ids come from the code-point order of the label strings, and the vocabulary travels with every
data export and every workdir.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Iterable, Sequence

import numpy as np

from hwr_jax.errors import DataError, UnknownLabelError
from hwr_jax.io_utils import write_json

VOCABULARY_FILE = 'vocabulary.json'


@dataclasses.dataclass(frozen=True)
class Vocabulary:
  """An ordered tuple of label names; a label's id is its index."""

  labels: tuple[str, ...]

  def __post_init__(self):
    if list(self.labels) != sorted(set(self.labels)):
      raise DataError(f'vocabulary must be sorted and unique, got {list(self.labels)[:10]}...')

  @classmethod
  def from_labels(cls, labels: Iterable[str]) -> Vocabulary:
    return cls(tuple(sorted({str(label) for label in labels})))

  def __len__(self) -> int:
    return len(self.labels)

  def encode(self, labels: Sequence[str], source: str = 'labels') -> np.ndarray:
    """Maps names to ids; every name absent from the vocabulary is listed in the error."""
    index = {name: i for i, name in enumerate(self.labels)}
    unknown = sorted({str(label) for label in labels if str(label) not in index})
    if unknown:
      raise UnknownLabelError(
          f'{source}: {len(unknown)} label(s) not in the vocabulary of {len(self)} letters: '
          f'{unknown[:20]}')
    return np.asarray([index[str(label)] for label in labels], dtype=np.int32)

  def decode(self, ids: Iterable[int]) -> list[str]:
    return [self.labels[int(i)] for i in ids]

  def save(self, directory: str) -> str:
    """Writes `directory`/vocabulary.json atomically and returns its path."""
    return self.save_as(os.path.join(directory, VOCABULARY_FILE))

  def save_as(self, path: str) -> str:
    write_json(path, {'labels': list(self.labels)})
    return path

  @classmethod
  def load(cls, path: str) -> Vocabulary:
    """Reads a vocabulary.json file (or the one inside a directory)."""
    if os.path.isdir(path):
      path = os.path.join(path, VOCABULARY_FILE)
    try:
      with open(path, encoding='utf-8') as f:
        labels = json.load(f)['labels']
    except FileNotFoundError as e:
      raise DataError(f'vocabulary file not found: {path}') from e
    except (ValueError, KeyError, TypeError) as e:
      raise DataError(f'vocabulary file is corrupt: {path} ({e})') from e
    return cls(tuple(str(label) for label in labels))
