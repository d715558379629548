"""Scores of generated letters: Fréchet distance between feature sets, label fidelity, grids."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
from absl import logging
from PIL import Image, ImageDraw, ImageFont

from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.evaluation import evaluator
from hwr_jax.evaluation.classification import classification_report, format_report


def gaussian_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Mean (D,) and covariance (D, D) of features (N, D), in float64."""
  features = np.asarray(features, np.float64)
  if features.ndim != 2 or len(features) < 2:
    raise ValueError(f'need at least two feature vectors (N, D), got shape {features.shape}')
  return features.mean(axis=0), np.atleast_2d(np.cov(features, rowvar=False))


def psd_sqrt(matrix: np.ndarray) -> np.ndarray:
  """The symmetric square root of a positive semi-definite matrix (rounding negatives to 0)."""
  values, vectors = np.linalg.eigh(matrix)
  return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
  """The Fréchet distance between Gaussians fitted to two feature sets:
  |mu_a - mu_b|^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^(1/2)).

  The last trace is the sum of the square roots of the eigenvalues of the symmetric
  S_a^(1/2) S_b S_a^(1/2), which has the eigenvalues of S_a S_b: symmetric eigensolvers stay
  exact for the singular covariances of collapsed generators, where a general matrix square
  root does not."""
  mu_a, cov_a = gaussian_statistics(features_a)
  mu_b, cov_b = gaussian_statistics(features_b)
  root_a = psd_sqrt(cov_a)
  cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)))
  distance = np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross
  return float(max(distance, 0.0))


def label_fidelity(conditioned: np.ndarray, predicted: np.ndarray,
                   vocabulary: Vocabulary) -> dict:
  """How often a classifier reads generated letters as the class they were generated for:
  the classification report with the conditioned labels as truth ('accuracy' overall,
  'per_class', 'confusion')."""
  return classification_report(conditioned, predicted, vocabulary)


def balanced_fidelity(conditioned: np.ndarray, predicted: np.ndarray, data_info) -> dict:
  """Label fidelity of the same number of generated letters of every class: each class's, their
  mean, and the mean over the rarest quarter of the classes in training (at least one), the
  letters a generator that samples labels as often as they occur sees least."""
  vocabulary = data_info.vocabulary.labels
  per_class = {vocabulary[c]: float(np.mean(predicted[conditioned == c] == c))
               for c in np.unique(conditioned)}
  counts = np.asarray(data_info.class_counts)
  rare = [vocabulary[c] for c in np.argsort(counts, kind='stable')[:max(1, len(counts) // 4)]]
  return {'per_class': per_class, 'mean': float(np.mean(list(per_class.values()))),
          'rare': {name: {'fidelity': per_class[name],
                          'training_count': int(counts[vocabulary.index(name)])}
                   for name in rare},
          'rare_mean': float(np.mean([per_class[name] for name in rare]))}


# The grey between and around the letters of a grid and in its empty cells, so that the cells'
# edges show against both the dark paper and the bright ink of the letters.
GRID_BACKGROUND = 96


def image_grid(images: np.ndarray, columns: int, row_names: Optional[Sequence[str]] = None,
               pad: int = 2) -> np.ndarray:
  """uint8 images (N, H, W) -> one uint8 picture, `columns` per row, rows named on the left
  when row_names is given (then RGB, else gray)."""
  images = np.asarray(images)
  count, height, width = images.shape
  rows = -(-count // columns)
  canvas = np.full((rows * (height + pad) + pad, columns * (width + pad) + pad), GRID_BACKGROUND,
                   np.uint8)
  for index, image in enumerate(images):
    row, column = divmod(index, columns)
    top, left = pad + row * (height + pad), pad + column * (width + pad)
    canvas[top:top + height, left:left + width] = image
  if row_names is None:
    return canvas
  font = ImageFont.load_default()
  margin = 8 + 7 * max(len(name[:12]) for name in row_names)
  picture = Image.new('RGB', (margin + canvas.shape[1], canvas.shape[0]), 'white')
  picture.paste(Image.fromarray(canvas).convert('RGB'), (margin, 0))
  draw = ImageDraw.Draw(picture)
  for row, name in enumerate(row_names):
    draw.text((2, pad + row * (height + pad) + height // 2 - 5), name[:12], fill='black',
              font=font)
  return np.asarray(picture)


class Evaluator(evaluator.Evaluator):
  """Fréchet distance between the judge's features of real and generated letters (and of the
  untrained generator's, for scale); label fidelity where the generator is conditional.

  Reads the outputs 'real_features', 'fake_features', 'untrained_features' and, for
  conditional generators, 'conditioned' labels and the judge's 'fake_predicted'; a task
  without a judge gives none of them, and there is nothing to score."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    if 'fake_features' not in outputs:
      return
    real = outputs['real_features']
    scalars = {'frechet_distance': frechet_distance(real, outputs['fake_features']),
               'frechet_distance_untrained': frechet_distance(real,
                                                              outputs['untrained_features'])}
    report = dict(scalars, count=len(real))
    logging.info('%s: Fréchet distance %.3f (untrained generator %.3f)', name,
                 scalars['frechet_distance'], scalars['frechet_distance_untrained'])
    if 'conditioned' in outputs:
      fidelity = label_fidelity(outputs['conditioned'], outputs['fake_predicted'],
                                self.data_info.vocabulary)
      scalars['label_fidelity'] = fidelity['accuracy']
      report['label_fidelity'] = fidelity
      logging.info('%s', format_report(f'{name} label fidelity', fidelity))
    if 'balanced_conditioned' in outputs:
      balanced = balanced_fidelity(outputs['balanced_conditioned'],
                                   outputs['balanced_predicted'], self.data_info)
      figures = {'label_fidelity_balanced': balanced['mean'],
                 'label_fidelity_rare': balanced['rare_mean']}
      scalars.update(figures)
      report.update(figures, label_fidelity_per_class=balanced)
      logging.info('%s: label fidelity %.4f over all letters alike, %.4f over the rarest %d',
                   name, balanced['mean'], balanced['rare_mean'], len(balanced['rare']))
    result.add(name, scalars, report)
