"""Looking at codes (z vectors): nearest neighbours and a 2-D principal-component scatter."""

from __future__ import annotations

import colorsys
from typing import Sequence

import numpy as np
from absl import logging
from PIL import Image, ImageDraw, ImageFont

from hwr_jax.evaluation import evaluator
from hwr_jax.evaluation.generation import image_grid

# Rows of the nearest-neighbour picture, and the neighbours shown beside each query letter.
NEIGHBOUR_QUERIES, NEIGHBOURS = 8, 9


def principal_components(codes: np.ndarray, count: int = 2) -> np.ndarray:
  """Projections (N, count) of the centred codes on their leading principal axes."""
  centred = codes.astype(np.float64) - codes.mean(axis=0)
  _, _, axes = np.linalg.svd(centred, full_matrices=False)
  return centred @ axes[:count].T


def nearest_neighbours(codes: np.ndarray, queries: Sequence[int], count: int) -> np.ndarray:
  """(Q, count) indices of the codes nearest (Euclidean) to each query's, the query left out;
  ties go to the lower index."""
  codes = codes.astype(np.float64)
  distances = np.sum((codes[np.asarray(queries)][:, None] - codes[None]) ** 2, axis=-1)
  distances[np.arange(len(queries)), queries] = np.inf
  return np.argsort(distances, axis=1, kind='stable')[:, :count]


def class_colours(count: int) -> list[tuple[int, int, int]]:
  """`count` distinct colours around the hue circle, alternating two brightnesses."""
  return [tuple(int(255 * c) for c in colorsys.hsv_to_rgb(i / count, 0.85,
                                                             0.9 if i % 2 else 0.6))
          for i in range(count)]


def scatter_plot(points: np.ndarray, labels: np.ndarray, names: Sequence[str],
                 size: int = 480) -> np.ndarray:
  """uint8 RGB picture of 2-D points coloured by label, with a legend of the label names."""
  colours = class_colours(len(names))
  legend_width = 12 + 7 * max(len(name[:14]) for name in names) + 14
  picture = Image.new('RGB', (size + legend_width, max(size, 14 * len(names) + 8)), 'white')
  draw = ImageDraw.Draw(picture)
  low, high = points.min(axis=0), points.max(axis=0)
  scaled = (points - low) / np.where(high > low, high - low, 1.0) * (size - 16) + 8
  for (x, y), label in zip(scaled, labels):
    draw.ellipse((x - 2, size - y - 2, x + 2, size - y + 2), fill=colours[label])
  font = ImageFont.load_default()
  for index, name in enumerate(names):
    top = 6 + 14 * index
    draw.rectangle((size + 6, top + 2, size + 14, top + 10), fill=colours[index])
    draw.text((size + 18, top), name[:14], fill='black', font=font)
  return np.asarray(picture)


class Evaluator(evaluator.Evaluator):
  """What an encoder's codes ('z') hold: the accuracy of the label it reads off each letter
  ('predicted'), each query letter beside the letters nearest to it in z, and the codes on
  their first two principal components, coloured by letter."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    z = outputs['z']
    if 'predicted' in outputs:
      y_accuracy = float(np.mean(outputs['predicted'] == dataset.labels))
      result.add(name, {'y_accuracy': y_accuracy}, {'y_accuracy': y_accuracy})
      logging.info('%s: y accuracy %.4f', name, y_accuracy)
    queries = np.arange(min(NEIGHBOUR_QUERIES, len(dataset)))
    neighbours = nearest_neighbours(z, queries, min(NEIGHBOURS, len(dataset) - 1))
    rows = np.concatenate([queries[:, None], neighbours], axis=1)
    result.add_image(f'{name}/neighbours',
                     image_grid(dataset.images[rows.reshape(-1)], rows.shape[1]), out_dir,
                     f'neighbours_{name}.png')
    result.add_image(f'{name}/z_pca',
                     scatter_plot(principal_components(z), dataset.labels,
                                  self.data_info.vocabulary.labels), out_dir,
                     f'z_pca_{name}.png')
