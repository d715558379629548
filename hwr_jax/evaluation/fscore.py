"""Ink-pixel scores of binary images: the F-table, precision, recall and F-score.

A pixel is positive when it is ink. Counting over an image gives its F-table (true and false
positives and negatives); pooling the counts of every image gives the overall one. Images are
crops of one size (N, H, W) or pages of any sizes (sequences of (H, W)). Where a
ratio has nothing to count, the model cannot have erred: precision is 1 when it predicts no
ink, recall is 1 when there is no ink to find, and the F-score is 0 when both are 0.
"""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import numpy as np
from absl import logging

from hwr_jax.evaluation import evaluator
from hwr_jax.evaluation.tables import markdown_table
from hwr_jax.io_utils import atomic_file

COUNTS = ('tp', 'fp', 'fn', 'tn')


def f_table(predicted: Sequence[np.ndarray], target: Sequence[np.ndarray]
            ) -> dict[str, np.ndarray]:
  """Per-image counts (N,) of 'tp', 'fp', 'fn', 'tn' for boolean ink masks: (N, H, W)
  arrays, or sequences of N masks of any sizes (pages), each the size of its target."""
  if len(predicted) != len(target):
    raise ValueError(f'{len(predicted)} predicted masks and {len(target)} targets differ')
  counts = {name: np.zeros(len(target), np.int64) for name in COUNTS}
  for i, (p, t) in enumerate(zip(predicted, target)):
    if p.shape != t.shape:
      raise ValueError(f'predicted mask {p.shape} and target {t.shape} of image {i} differ')
    p, t = np.asarray(p, bool), np.asarray(t, bool)
    tp, positives, ink = int(np.sum(p & t)), int(np.sum(p)), int(np.sum(t))
    counts['tp'][i], counts['fp'][i], counts['fn'][i] = tp, positives - tp, ink - tp
    counts['tn'][i] = t.size - positives - ink + tp
  return counts


def above(probabilities: Sequence[np.ndarray], threshold: float) -> Sequence[np.ndarray]:
  """The masks probabilities > threshold, for an (N, H, W) array or a sequence of images."""
  if isinstance(probabilities, np.ndarray):
    return probabilities > threshold
  return [p > threshold for p in probabilities]


def scores(tp, fp, fn) -> dict[str, np.ndarray]:
  """Precision, recall and F-score (F1) of counts (scalars or arrays)."""
  tp, fp, fn = (np.asarray(v, np.float64) for v in (tp, fp, fn))
  with np.errstate(divide='ignore', invalid='ignore'):
    precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
    recall = np.where(tp + fn > 0, tp / (tp + fn), 1.0)
    f_score = np.where(precision + recall > 0,
                       2 * precision * recall / (precision + recall), 0.0)
  return {'precision': precision, 'recall': recall, 'f_score': f_score}


def overall(counts: Mapping[str, np.ndarray]) -> dict[str, float]:
  """The pooled F-table of every image and its scores, plus the mean of the images'
  F-scores."""
  pooled = {name: int(np.sum(counts[name])) for name in COUNTS}
  totals = {name: float(value) for name, value in scores(pooled['tp'], pooled['fp'],
                                                         pooled['fn']).items()}
  per_image = scores(counts['tp'], counts['fp'], counts['fn'])['f_score']
  return {**pooled, **totals,
          'mean_image_f_score': float(np.mean(per_image)) if len(per_image) else 0.0}


def fscore_report(predicted: Sequence[np.ndarray], target: Sequence[np.ndarray],
                  names: Sequence[str]) -> dict:
  """{'overall': pooled counts and scores, 'per_image': one row per image, in order}."""
  counts = f_table(predicted, target)
  per_image = scores(counts['tp'], counts['fp'], counts['fn'])
  rows = [{'name': str(name), **{key: int(counts[key][i]) for key in COUNTS},
           **{key: float(per_image[key][i]) for key in per_image}}
          for i, name in enumerate(names)]
  return {'overall': overall(counts), 'per_image': rows}


def threshold_sweep(probabilities: Sequence[np.ndarray], target: Sequence[np.ndarray],
                    thresholds: Sequence[float]) -> dict:
  """The overall F-score of the masks probabilities > t at each threshold t, and the best
  (the lowest threshold of the highest score)."""
  f_scores = [overall(f_table(above(probabilities, t), target))['f_score'] for t in thresholds]
  best = int(np.argmax(f_scores))
  return {'thresholds': [float(t) for t in thresholds], 'f_scores': f_scores,
          'best_threshold': float(thresholds[best]), 'best_f_score': f_scores[best]}


def markdown_report(name: str, threshold: float, totals: Mapping[str, float],
                    sweep: Mapping) -> str:
  """The overall F-table and scores at `threshold`, then the F-score at every threshold."""
  ratios = ('precision', 'recall', 'f_score', 'mean_image_f_score')
  counts_table = markdown_table(
      ['tp', 'fp', 'fn', 'tn', 'precision', 'recall', 'F-score', 'mean image F'],
      [[str(totals[key]) for key in COUNTS] + [f'{totals[key]:.4f}' for key in ratios]])
  sweep_table = markdown_table(['threshold', *(f'{t:g}' for t in sweep['thresholds'])],
                               [['F-score', *(f'{f:.4f}' for f in sweep['f_scores'])]])
  return '\n\n'.join([
      f'## {name}: ink pixels at threshold {threshold:g}', counts_table, sweep_table,
      f'Best threshold {sweep["best_threshold"]:g}: F-score {sweep["best_f_score"]:.4f}']) + '\n'


class Evaluator(evaluator.Evaluator):
  """The F-table of the task's 'ink_probability' thresholded at config.denoiser.threshold
  against the data set's binary targets, and the F-score at every threshold of
  config.denoiser.sweep_thresholds."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    if dataset.targets is None:
      logging.warning('%s has no targets: no denoising scores for it', name)
      return
    settings = self.config.denoiser
    probabilities = outputs['ink_probability']
    ink = above(dataset.targets, 0)
    report = fscore_report(above(probabilities, settings.threshold), ink, dataset.names)
    report['threshold'] = settings.threshold
    report['sweep'] = threshold_sweep(probabilities, ink, settings.sweep_thresholds)
    totals, sweep = report['overall'], report['sweep']
    result.add(name, {**{key: int(totals[key]) for key in COUNTS},
                      'precision': totals['precision'], 'recall': totals['recall'],
                      'f_score': totals['f_score'], 'best_threshold': sweep['best_threshold'],
                      'best_f_score': sweep['best_f_score']}, report)
    logging.info('%s: precision %.4f recall %.4f F-score %.4f at threshold %g; best %.4f at '
                 '%g', name, totals['precision'], totals['recall'], totals['f_score'],
                 settings.threshold, sweep['best_f_score'], sweep['best_threshold'])
    if out_dir:
      with atomic_file(os.path.join(out_dir, f'fscore_{name}.md')) as f:
        f.write(markdown_report(name, settings.threshold, totals, sweep))
