"""Images of any size through a model of one fixed size: overlapping tiles, blended.

A page is covered by tiles of the model's size whose origins step by `stride` and whose last
one ends flush with the right (bottom) edge, so every pixel is covered whatever the page's
size; a page smaller than a tile is first padded with its background. Each tile's output is
weighted by a window that is largest at the tile's centre and small, never zero, at its
edges, where the model saw least of the context, and every pixel gets the weighted mean of
the tiles that cover it. A page exactly one tile big therefore gets the model's own output.

Tiles of consecutive pages share batches, so a folder of small crops runs in full batches,
and the model only ever holds one batch of tiles, however large the page: memory beyond that
is the page being blended and its output.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Iterable, Iterator

import numpy as np

from hwr_jax.data.dataset import LetterDataset, PageSet
from hwr_jax.data.images import border_median
from hwr_jax.data.labels_file import UNKNOWN_LABEL
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError

Shape = tuple[int, int]


def stride_for(tile: Shape, overlap: float) -> Shape:
  """The step between tile origins for tiles that overlap by `overlap` of their size."""
  if not 0.0 <= overlap < 1.0:
    raise ConfigError(f'tile overlap {overlap!r}: must be in [0, 1)')
  return tuple(max(1, round(side * (1.0 - overlap))) for side in tile)


def origins(length: int, tile: int, stride: int) -> list[int]:
  """Tile origins along one side of `length` pixels: every `stride`, the last flush with the
  end (a side no longer than a tile has one tile, at 0)."""
  if length <= tile:
    return [0]
  return list(range(0, length - tile, stride)) + [length - tile]


def window(tile: Shape) -> np.ndarray:
  """(h, w) float64 blending weights: the product of two tents, 1 / side at the edges and
  largest at the centre."""
  def tent(side: int) -> np.ndarray:
    return 1.0 - np.abs((2.0 * np.arange(side) + 1.0) / side - 1.0)

  return np.outer(tent(tile[0]), tent(tile[1]))


def pad_to(image: np.ndarray, tile: Shape) -> np.ndarray:
  """The image grown at the bottom and right to at least one tile, filled with its
  background (the median of its border)."""
  height, width = image.shape
  if height >= tile[0] and width >= tile[1]:
    return image
  padded = np.full((max(height, tile[0]), max(width, tile[1])), round(border_median(image)),
                   image.dtype)
  padded[:height, :width] = image
  return padded


def tile_boxes(shape: Shape, tile: Shape, stride: Shape) -> list[tuple[int, int]]:
  """(top, left) of every tile of an image of `shape` (after pad_to), row by row."""
  height, width = max(shape[0], tile[0]), max(shape[1], tile[1])
  return [(top, left) for top in origins(height, tile[0], stride[0])
          for left in origins(width, tile[1], stride[1])]


def cut_tiles(image: np.ndarray, tile: Shape, stride: Shape) -> tuple[np.ndarray, list]:
  """(n, h, w) tiles of an image, padded as the blend pads it, and their (top, left)."""
  padded = pad_to(image, tile)
  boxes = tile_boxes(image.shape, tile, stride)
  return np.stack([padded[top:top + tile[0], left:left + tile[1]] for top, left in boxes]), boxes


@dataclasses.dataclass
class _OpenPage:
  shape: Shape
  total: np.ndarray
  weight: np.ndarray
  left: int

  def result(self) -> np.ndarray:
    return (self.total / self.weight)[:self.shape[0], :self.shape[1]].astype(np.float32)


def blend(pages: Iterable[np.ndarray], tile: Shape, stride: Shape,
          predict: Callable[[np.ndarray], np.ndarray], batch_size: int) -> Iterator[np.ndarray]:
  """Yields, page by page in order, the blended float32 output (H, W) of `predict` over
  overlapping tiles of each (H, W) page. `predict` maps (n, h, w) tiles, n <= batch_size, to
  (n, h, w) outputs."""
  weights = window(tile)
  batch: list[np.ndarray] = []
  places: list[tuple[_OpenPage, int, int]] = []
  open_pages: list[_OpenPage] = []

  def run_batch() -> Iterator[np.ndarray]:
    outputs = np.asarray(predict(np.stack(batch)), np.float64)
    for output, (page, top, left) in zip(outputs, places):
      page.total[top:top + tile[0], left:left + tile[1]] += output * weights
      page.weight[top:top + tile[0], left:left + tile[1]] += weights
      page.left -= 1
    batch.clear()
    places.clear()
    while open_pages and not open_pages[0].left:
      yield open_pages.pop(0).result()

  for image in pages:
    padded = pad_to(image, tile)
    boxes = tile_boxes(image.shape, tile, stride)
    page = _OpenPage(image.shape, np.zeros(padded.shape), np.zeros(padded.shape), len(boxes))
    open_pages.append(page)
    for top, left in boxes:
      batch.append(padded[top:top + tile[0], left:left + tile[1]])
      places.append((page, top, left))
      if len(batch) == batch_size:
        yield from run_batch()
  if batch:
    yield from run_batch()


def tile_dataset(pages: PageSet, tile: Shape, stride: Shape) -> LetterDataset:
  """Every tile of every page with the same tile of its ground truth, as a paired data set of
  one unknown label: what a denoiser learns to binarise pages from. Tiles are named
  '<page>_y<top>_x<left>' and keep their page's metadata and name ('page')."""
  images, targets, names, rows = [], [], [], []
  for i, (page, truth) in enumerate(zip(pages.images, pages.targets)):
    page_tiles, boxes = cut_tiles(page, tile, stride)
    # The ground truth is padded with no ink, whatever its border holds.
    truth = np.pad(truth, ((0, max(0, tile[0] - truth.shape[0])),
                           (0, max(0, tile[1] - truth.shape[1]))))
    stem = os.path.splitext(str(pages.names[i]))[0]
    images.append(page_tiles)
    targets.append(np.stack([truth[top:top + tile[0], left:left + tile[1]]
                             for top, left in boxes]))
    names += [f'{stem}_y{top:04d}_x{left:04d}' for top, left in boxes]
    rows += [i] * len(boxes)
  vocabulary = Vocabulary((UNKNOWN_LABEL,))
  metadata = {key: column[rows] for key, column in pages.metadata.items()}
  metadata['page'] = pages.names[rows]
  return LetterDataset(np.concatenate(images), np.zeros(len(names), np.int32), vocabulary,
                       np.asarray(names, dtype=str), metadata, np.concatenate(targets))
