"""Writing files so that a crash never leaves one half-written."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from typing import IO, Iterator

import numpy as np
from PIL import Image

from hwr_jax.errors import DataError


@contextlib.contextmanager
def atomic_file(path: str, mode: str = 'w') -> Iterator[IO]:
  """Yields a temporary sibling file that is renamed over `path` only if the block succeeds;
  otherwise it is removed, and `path` keeps its old content (or stays absent)."""
  tmp = path + '.tmp'
  try:
    with open(tmp, mode, **({} if 'b' in mode else {'encoding': 'utf-8'})) as f:
      yield f
    os.replace(tmp, path)
  finally:
    if os.path.exists(tmp):
      os.remove(tmp)


def write_json(path: str, payload) -> None:
  with atomic_file(path) as f:
    json.dump(payload, f, ensure_ascii=False, indent=1)


def read_json(path: str):
  with open(path, encoding='utf-8') as f:
    return json.load(f)


def write_png(path: str, image: np.ndarray) -> None:
  """Writes a uint8 (H, W) or (H, W, 3) array as PNG, atomically."""
  with atomic_file(path, 'wb') as f:
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(f, format='PNG')


@contextlib.contextmanager
def atomic_directory(out_dir: str) -> Iterator[str]:
  """Yields a temporary sibling folder that becomes `out_dir` only if the block succeeds.

  A folder that already exists is refused rather than overwritten, and a failure (or a kill)
  leaves no half-written `out_dir` behind.
  """
  if os.path.exists(out_dir):
    raise DataError(f'{out_dir} already exists; choose a new output folder')
  parent = os.path.dirname(os.path.abspath(out_dir))
  os.makedirs(parent, exist_ok=True)
  partial = tempfile.mkdtemp(prefix=f'.{os.path.basename(out_dir)}.partial-', dir=parent)
  os.chmod(partial, 0o755)  # mkdtemp's private mode would stay on the finished folder
  try:
    yield partial
    os.rename(partial, out_dir)
  except BaseException:
    shutil.rmtree(partial, ignore_errors=True)
    raise
