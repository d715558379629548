"""Seeded fuzzing of the image, IDX and labels-file loaders.

Every mutated input must either load or raise DataError naming the file at fault, quickly,
and never read a file outside the data folder: no other exception, no hang.
"""

import io
import os
import time

import numpy as np
import pytest
from PIL import Image

from hwr_jax.data import folders, idx, images
from hwr_jax.errors import DataError

CASES = 60
SECONDS_PER_CASE = 5.0


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
  """One of: truncation, flipped bytes, inserted garbage, or an overwritten header field."""
  data = bytearray(data)
  kind = rng.integers(4)
  if kind == 0:
    return bytes(data[:rng.integers(0, len(data))])
  if kind == 1:
    for position in rng.integers(0, len(data), rng.integers(1, 8)):
      data[position] = rng.integers(256)
    return bytes(data)
  if kind == 2:
    position = rng.integers(0, len(data))
    return bytes(data[:position] + rng.bytes(rng.integers(1, 64)) + data[position:])
  position = rng.integers(0, min(len(data), 16))
  data[position:position + 4] = rng.choice([b'\xff\xff\xff\xff', b'\x7f\xff\xff\xff',
                                            b'\x00\x00\x00\x00', rng.bytes(4)])
  return bytes(data)


def must_load_or_refuse(load, path, culprit):
  """Loads `path`, or is refused with a DataError whose message names `culprit` (the file that
  is wrong), in time."""
  start = time.perf_counter()
  try:
    load(path)
  except DataError as e:
    assert culprit in str(e), str(e)
  assert time.perf_counter() - start < SECONDS_PER_CASE


def png_bytes() -> bytes:
  buffer = io.BytesIO()
  Image.fromarray(np.random.default_rng(0).integers(0, 255, (24, 20), np.uint8)).save(
      buffer, format='PNG')
  return buffer.getvalue()


def idx_bytes(tmp_path) -> bytes:
  path = str(tmp_path / 'seed.idx')
  idx.write_idx(path, np.arange(5 * 6 * 7, dtype=np.uint8).reshape(5, 6, 7))
  with open(path, 'rb') as f:
    return f.read()


@pytest.mark.parametrize('seed', range(CASES))
def test_mutated_png(tmp_path, seed):
  path = tmp_path / 'letter.png'
  path.write_bytes(mutate(png_bytes(), np.random.default_rng(seed)))
  must_load_or_refuse(images.read_image, str(path), str(path))


@pytest.mark.parametrize('seed', range(CASES))
def test_mutated_idx(tmp_path, seed):
  path = tmp_path / 'mutated.idx'
  path.write_bytes(mutate(idx_bytes(tmp_path), np.random.default_rng(seed)))
  must_load_or_refuse(idx.read_idx, str(path), str(path))


HOSTILE_ROWS = ['../../etc/passwd', '/etc/passwd', '..\\..\\secret', 'C:\\x.png', 'a.png',
                'a.png', 'sub/../../b.png', '\x00.png', 'b']


@pytest.mark.parametrize('seed', range(CASES))
def test_mutated_labels_file_never_reads_outside_the_folder(tmp_path, seed, monkeypatch):
  rng = np.random.default_rng(seed)
  root = tmp_path / 'letters'
  root.mkdir()
  for name in ('a', 'b', 'c'):
    Image.fromarray(np.full((8, 8), 200, np.uint8)).save(root / f'{name}.png')
  rows = [f'{rng.choice(HOSTILE_ROWS)},{rng.choice(["alaph", "beth", ""])}'
          for _ in range(rng.integers(1, 6))]
  text = ('image,label\n' + '\n'.join(rows) + '\n').encode()
  (root / 'labels.csv').write_bytes(mutate(text, rng) if rng.integers(2) else text)
  opened = []
  real_open = Image.open
  monkeypatch.setattr(Image, 'open', lambda fp, *a, **k: (opened.append(str(fp)),
                                                          real_open(fp, *a, **k))[1])
  must_load_or_refuse(folders.load_image_folder, str(root), str(root / 'labels.csv'))
  for path in opened:
    assert os.path.realpath(path).startswith(str(root.resolve()) + os.sep), path
