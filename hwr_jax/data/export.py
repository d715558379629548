"""Writing a LetterDataset as an image folder with labels.csv, the layout users bring."""

from __future__ import annotations

import csv
import os

import numpy as np
from PIL import Image

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.images import SUPPORTED_EXTENSIONS
from hwr_jax.errors import DataError
from hwr_jax.io_utils import atomic_directory


def _file_name(name: str) -> str:
  """A flat PNG file name for an image id (ids of IDX sets look like 'file.gz:12')."""
  stem = os.path.splitext(name)[0] if name.lower().endswith(SUPPORTED_EXTENSIONS) else name
  return ''.join(c if c.isalnum() or c in '-_.' else '_' for c in stem) + '.png'


def write_image_folder(dataset: LetterDataset, out_dir: str) -> str:
  """Writes PNGs and labels.csv (image, label and every metadata column) to `out_dir`.

  The folder appears complete or not at all; an existing `out_dir` is refused.
  """
  files = [_file_name(str(name)) for name in dataset.names]
  if len(set(files)) != len(files):
    raise DataError('image ids collide once made into file names; export to npz instead')
  columns = sorted(dataset.metadata)
  with atomic_directory(out_dir) as partial:
    with open(os.path.join(partial, 'labels.csv'), 'w', newline='', encoding='utf-8') as f:
      writer = csv.writer(f)
      writer.writerow(['image', 'label', *columns])
      for i, (file, label) in enumerate(zip(files, dataset.vocabulary.decode(dataset.labels))):
        writer.writerow([file, label, *(_cell(dataset.metadata[c][i]) for c in columns)])
    for file, image in zip(files, dataset.images):
      Image.fromarray(image).save(os.path.join(partial, file))
    dataset.vocabulary.save(partial)
  return out_dir


def _cell(value) -> str:
  if isinstance(value, (float, np.floating)):
    return '' if np.isnan(value) else f'{value:g}'
  return str(value)
