"""Fixtures for the data-layer tests: small synthetic letters written as real image files."""

from __future__ import annotations

import os
import zlib
from typing import Callable, Iterable, Sequence

import numpy as np
from PIL import Image
import pytest


def synthetic_letter(name: str, size: Sequence[int] = (20, 16)) -> np.ndarray:
  """A binary 'letter' (bright strokes on dark, away from the border), distinct per name."""
  height, width = size
  rng = np.random.default_rng(zlib.crc32(name.encode('utf-8')))
  image = np.zeros((height, width), dtype=np.uint8)
  for _ in range(3):
    top = rng.integers(2, height // 2)
    left = rng.integers(2, width // 2)
    bottom = rng.integers(top + 1, height - 2)
    right = rng.integers(left + 1, width - 2)
    image[top:bottom, left:left + 2] = 255
    image[top:top + 2, left:right] = 255
  return image


def save_image(path: str, image: np.ndarray, *, dark_ink: bool = False, mode: str = 'L',
               **save_kwargs) -> str:
  """Writes an ink-bright (H, W) uint8 image to `path` as gray, RGB or RGBA, either polarity.

  With mode 'RGBA' the background is transparent and the ink opaque, as in cut-outs.
  """
  pixels = 255 - image if dark_ink else image
  if mode == 'L':
    picture = Image.fromarray(pixels)
  elif mode == 'RGB':
    picture = Image.fromarray(np.stack([pixels] * 3, axis=-1))
  elif mode == 'RGBA':
    ink_value = 0 if dark_ink else 255
    rgba = np.zeros(image.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = ink_value
    rgba[..., 3] = image
    picture = Image.fromarray(rgba)
  else:
    raise ValueError(f'unsupported test mode {mode}')
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  picture.save(path, **save_kwargs)
  return path


@pytest.fixture
def letter() -> Callable[..., np.ndarray]:
  return synthetic_letter


@pytest.fixture
def write_image() -> Callable[..., str]:
  return save_image


@pytest.fixture
def write_letters() -> Callable[..., dict[str, np.ndarray]]:
  """Writes one synthetic letter per file name into a folder; returns name -> ink-bright array.

  Odd-numbered files are written dark-on-light, so every folder test also exercises polarity.
  """

  def write(folder: str, file_names: Iterable[str],
            size: Sequence[int] = (20, 16)) -> dict[str, np.ndarray]:
    written = {}
    for i, file_name in enumerate(file_names):
      image = synthetic_letter(file_name, size)
      save_image(os.path.join(folder, file_name), image, dark_ink=bool(i % 2))
      written[file_name] = image
    return written

  return write


@pytest.fixture
def write_text() -> Callable[[str, str], str]:
  """Writes UTF-8 text to a file and returns its path."""

  def write(path: str, text: str) -> str:
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'w', encoding='utf-8', newline='') as f:
      f.write(text)
    return path

  return write
