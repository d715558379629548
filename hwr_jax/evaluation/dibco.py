"""The four measures of the DIBCO binarisation contests: F-measure, pseudo-F, PSNR and DRD.

Each compares one binarised page with its ground truth, both boolean (H, W) with True for ink
(foreground), and DIBCO reports the mean of each measure over the images of a test set
(Pratikakis, Gatos, Ntirogiannis, "ICDAR 2013 Document Image Binarization Contest (DIBCO
2013)"). Ratios are fractions in [0, 1]; the contest tables print them times 100.

- F-measure: 2PR / (P + R) over ink pixels, with P = TP / (TP + FP) and R = TP / (TP + FN).
- Pseudo-F: 2 Rps P / (Rps + P), where the pseudo-recall Rps is the fraction of the ground
  truth's skeleton that the output covers and P is the ordinary precision. This is the
  definition of H-DIBCO 2010 and DIBCO 2011, NOT the one of the DIBCO 2013 tool. Ntirogiannis,
  Gatos, Pratikakis, "Performance evaluation methodology for historical document image
  binarization", IEEE TIP 22(2), 2013, which the 2013 tool follows, weights recall by each
  ink pixel's distance from the contour normalised by the local stroke width, and precision
  by background weights in (1, 2] that grow away from the strokes up to a reach set by the
  stroke width of the nearest component and the gap to its neighbours; the tool reads both
  weight maps from files that a separate program (BinEvalWeights) writes. That normalisation
  is not reproduced here, so this pseudo-F does not equal the figures of DIBCO 2013 and later.
  The skeleton is Zhang-Suen's thinning (with a pixel kept of each component it erases); the
  skeletoniser of the 2010-2011 tools is not documented, so Rps may differ from theirs by
  the few pixels in which two thinnings differ, mostly at stroke ends.
- PSNR: 10 log10(C^2 / MSE), with C = 1 the difference between ink and background and MSE
  the fraction of pixels that differ; infinite for identical images.
- DRD (Lu, Kot, Shi, "Distance-reciprocal distortion measure for binary document images",
  IEEE SPL 11(2), 2004): each flipped pixel k adds DRD_k = sum_ij W_ij |GT_k(i, j) - B_k|,
  the weights W of the ground-truth pixels in its 5x5 neighbourhood GT_k that differ from its
  output value B_k, with W_ij = 1 / sqrt((i - 2)^2 + (j - 2)^2), W_22 = 0, normalised to sum
  to 1. DRD = sum_k DRD_k / NUBN, NUBN the number of 8x8 blocks of the ground truth that hold
  both ink and background. As the DIBCO tool does, neighbours outside the image add nothing
  and only whole blocks are counted (the partial blocks at the right and bottom edges are
  not); this is the behaviour the Doxa library (brandonmpetty/Doxa, DRDM.hpp) reproduces and
  checks against the tool's output.

Where a ratio has nothing to count the output cannot have erred, as in fscore: precision is 1
when it marks no ink, (pseudo-)recall is 1 when there is no ink to find, F is 0 when both are
0. DRD is 0 without flipped pixels and infinite when the ground truth has no non-uniform
block to share out the distortion of flipped pixels.
"""

from __future__ import annotations

import math
import os
from typing import Optional, Sequence

import numpy as np
from absl import logging
from scipy import ndimage

from hwr_jax.evaluation import evaluator
from hwr_jax.evaluation.fscore import above, scores
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.evaluation.tables import markdown_table
from hwr_jax.io_utils import atomic_file

MEASURES = ('f_measure', 'pseudo_f_measure', 'psnr', 'drd')

# Zhang and Suen's P2..P9: north first, then clockwise, as (row, column) offsets.
_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def _pair(output: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """The output and the ground truth as boolean (H, W) arrays of one shape."""
  output, truth = np.asarray(output, bool), np.asarray(truth, bool)
  if output.ndim != 2 or output.shape != truth.shape:
    raise ValueError(f'output {output.shape} and ground truth {truth.shape} must be one '
                     '(H, W) shape')
  return output, truth


def precision_recall(output: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
  """Ink precision TP / (TP + FP) and recall TP / (TP + FN) of one output."""
  output, truth = _pair(output, truth)
  ratios = scores(np.sum(output & truth), np.sum(output & ~truth), np.sum(~output & truth))
  return float(ratios['precision']), float(ratios['recall'])


def _f(precision: float, recall: float) -> float:
  """The harmonic mean 2PR / (P + R), 0 when both are 0."""
  return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


def f_measure(output: np.ndarray, truth: np.ndarray) -> float:
  """The DIBCO F-measure 2PR / (P + R) over ink pixels."""
  return _f(*precision_recall(output, truth))


def _ring(image: np.ndarray) -> np.ndarray:
  """The neighbours P2..P9 of every pixel as (8, H, W) booleans; outside is background."""
  padded = np.pad(image, 1)
  height, width = image.shape
  return np.stack([padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
                   for dy, dx in _RING])


def zhang_suen_thinning(ink: np.ndarray) -> np.ndarray:
  """The Zhang-Suen skeleton of a boolean (H, W) image (Zhang, Suen, "A fast parallel
  algorithm for thinning digital patterns", CACM 27(3), 1984).

  Two sub-iterations alternate until neither deletes a pixel. Each deletes, all at once, the
  ink pixels with 2 to 6 ink neighbours, exactly one background-to-ink step around P2..P9,
  and, in the first, P2.P4.P6 = P4.P6.P8 = 0 (south-east edges and north-west corners), in
  the second, P2.P4.P8 = P2.P6.P8 = 0 (north-west edges and south-east corners).
  """
  skeleton = np.asarray(ink, bool).copy()
  changed = True
  while changed:
    changed = False
    for first in (True, False):
      ring = _ring(skeleton)
      count = ring.sum(axis=0)
      steps = np.sum(~ring & np.roll(ring, -1, axis=0), axis=0)
      p2, p4, p6, p8 = ring[0], ring[2], ring[4], ring[6]
      if first:
        clear = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
      else:
        clear = ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
      delete = skeleton & (count >= 2) & (count <= 6) & (steps == 1) & clear
      if delete.any():
        skeleton &= ~delete
        changed = True
  return skeleton


def ground_truth_skeleton(truth: np.ndarray) -> np.ndarray:
  """The Zhang-Suen skeleton of the ground truth, with one pixel kept of every 8-connected
  ink component that thinning erased.

  Zhang-Suen deletes a 2x2 square whole; without a pixel of its own such a speck would
  weigh nothing in the pseudo-recall. The kept pixel is the component's deepest (the first
  in raster order of those farthest from the background).
  """
  truth = np.asarray(truth, bool)
  skeleton = zhang_suen_thinning(truth)
  labels, count = ndimage.label(truth, structure=np.ones((3, 3)))
  kept = ndimage.sum(skeleton, labels, index=np.arange(1, count + 1))
  lost = np.flatnonzero(np.asarray(kept) == 0) + 1
  if len(lost):
    depth = ndimage.distance_transform_edt(np.pad(truth, 1))[1:-1, 1:-1]
    pixels = np.flatnonzero(np.isin(labels, lost))
    # Sorted by component, then deepest first, then raster order: each component's first
    # pixel is the one to keep.
    order = pixels[np.lexsort((pixels, -depth.flat[pixels], labels.flat[pixels]))]
    _, first = np.unique(labels.flat[order], return_index=True)
    skeleton.flat[order[first]] = True
  return skeleton


def pseudo_recall(output: np.ndarray, truth: np.ndarray) -> float:
  """The fraction of the ground truth's skeleton pixels that the output marks as ink; 1
  when the ground truth has no ink."""
  output, truth = _pair(output, truth)
  skeleton = ground_truth_skeleton(truth)
  total = int(np.sum(skeleton))
  return float(np.sum(output & skeleton)) / total if total else 1.0


def pseudo_f_measure(output: np.ndarray, truth: np.ndarray) -> float:
  """The H-DIBCO 2010 / DIBCO 2011 pseudo-F, 2 Rps P / (Rps + P): skeleton pseudo-recall
  Rps with the ordinary precision P (not the weighted pseudo-precision of DIBCO 2013; see
  the module docstring)."""
  precision, _ = precision_recall(output, truth)
  return _f(precision, pseudo_recall(output, truth))


def psnr(output: np.ndarray, truth: np.ndarray) -> float:
  """10 log10(C^2 / MSE) with C = 1 and MSE the fraction of differing pixels; infinite
  when none differ."""
  output, truth = _pair(output, truth)
  mse = float(np.mean(output != truth))
  return 10 * math.log10(1 / mse) if mse > 0 else math.inf


def drd_weights(radius: int = 2) -> np.ndarray:
  """Lu et al.'s normalised weight matrix, (2r + 1, 2r + 1): the reciprocal distance from the
  centre, 0 at the centre, summing to 1."""
  offsets = np.arange(-radius, radius + 1)
  distance = np.hypot(offsets[:, None], offsets[None, :])
  weights = np.divide(1.0, distance, out=np.zeros_like(distance), where=distance > 0)
  return weights / weights.sum()


def non_uniform_blocks(truth: np.ndarray, block: int = 8) -> int:
  """NUBN: the whole block x block tiles of the ground truth holding both ink and background;
  the partial tiles at the right and bottom edges are left out, as the DIBCO tool does."""
  truth = np.asarray(truth, bool)
  rows, columns = truth.shape[0] // block, truth.shape[1] // block
  tiles = truth[:rows * block, :columns * block].reshape(rows, block, columns, block)
  ink = tiles.sum(axis=(1, 3))
  return int(np.sum((ink > 0) & (ink < block * block)))


def drd(output: np.ndarray, truth: np.ndarray) -> float:
  """The distance-reciprocal distortion: sum over flipped pixels of DRD_k, over NUBN."""
  output, truth = _pair(output, truth)
  if not (output != truth).any():
    return 0.0
  weights = drd_weights()
  # The weight of the ground truth's ink around each pixel, and of every neighbour inside
  # the image: a false positive (output ink) differs from the background around it, a false
  # negative from the ink, and neighbours beyond the edge count for neither.
  ink_around = ndimage.correlate(truth.astype(np.float64), weights, mode='constant')
  inside = ndimage.correlate(np.ones(truth.shape), weights, mode='constant')
  distortion = (np.sum((inside - ink_around)[output & ~truth])
                + np.sum(ink_around[~output & truth]))
  nubn = non_uniform_blocks(truth)
  return float(distortion) / nubn if nubn else math.inf


def dibco_scores(output: np.ndarray, truth: np.ndarray) -> dict[str, float]:
  """{'f_measure', 'pseudo_f_measure', 'psnr', 'drd'} of one output against its ground
  truth."""
  return {'f_measure': f_measure(output, truth),
          'pseudo_f_measure': pseudo_f_measure(output, truth),
          'psnr': psnr(output, truth), 'drd': drd(output, truth)}


def dibco_report(outputs: Sequence[np.ndarray], truths: Sequence[np.ndarray],
                 names: Sequence[str]) -> dict:
  """{'per_image': one row of the four measures per image, in order, 'mean': each measure's
  mean over the images}, as DIBCO ranks. Images may differ in size. A perfect image's PSNR
  is infinite, and so is then the mean PSNR."""
  if not len(outputs) == len(truths) == len(names):
    raise ValueError(f'{len(outputs)} outputs, {len(truths)} ground truths and {len(names)} '
                     'names differ')
  rows = [{'name': str(name), **dibco_scores(output, truth)}
          for output, truth, name in zip(outputs, truths, names)]
  mean = {key: float(np.mean([row[key] for row in rows])) if rows else math.nan
          for key in MEASURES}
  return {'per_image': rows, 'mean': mean}


def overall(rows: Sequence[dict]) -> dict[str, float]:
  """Each measure's mean over the images where it is finite, as DIBCO ranks, and how many
  images it was infinite for: a perfect output has an infinite PSNR (a page never is, a small
  crop may be), and a false ink pixel on a ground truth without a non-uniform 8x8 block (a
  blank crop or tile) an infinite DRD; either would make the plain mean infinite."""
  out = {}
  for key in MEASURES:
    values = np.array([row[key] for row in rows], np.float64)
    finite = values[np.isfinite(values)]
    out[key] = float(finite.mean()) if finite.size else math.nan
  out['perfect_images'] = int(sum(math.isinf(row['psnr']) for row in rows))
  out['infinite_drd_images'] = int(sum(math.isinf(row['drd']) for row in rows))
  return out


def markdown_report(name: str, totals: dict[str, float], count: int) -> str:
  return '\n\n'.join([
      f'## {name}: DIBCO measures, mean over {count} images',
      markdown_table(['F-measure', 'pseudo-F', 'PSNR', 'DRD', 'perfect images',
                      'infinite DRD'],
                     [[f'{totals["f_measure"]:.4f}', f'{totals["pseudo_f_measure"]:.4f}',
                       f'{totals["psnr"]:.2f}', f'{totals["drd"]:.3f}',
                       str(totals['perfect_images']), str(totals['infinite_drd_images'])]]),
      'F-measure and pseudo-F are fractions (DIBCO tables print them times 100); PSNR in dB; '
      'each mean leaves out the images where the measure is infinite.']) + '\n'


def add_scores(name: str, outputs: Sequence[np.ndarray], truths: Sequence[np.ndarray],
               names: Sequence[str], result: EvalResult, out_dir: Optional[str]) -> None:
  """Scores boolean outputs (ink True) against boolean ground truths, image by image (any
  sizes), into `result` under `name`: the four means as scalars, every image's row and the
  means in its report, and dibco_<name>.md in out_dir. The one scoring of the learned
  denoisers (Evaluator) and of the thresholding baselines (launch.evaluate --method)."""
  report = dibco_report(outputs, truths, names)
  totals = overall(report['per_image'])
  result.add(name, totals, {'dibco': {'overall': totals, 'per_image': report['per_image']}})
  logging.info('%s: F-measure %.4f pseudo-F %.4f PSNR %.2f DRD %.3f (mean of %d images)', name,
               totals['f_measure'], totals['pseudo_f_measure'], totals['psnr'], totals['drd'],
               len(outputs))
  if out_dir:
    with atomic_file(os.path.join(out_dir, f'dibco_{name}.md')) as f:
      f.write(markdown_report(name, totals, len(outputs)))


class Evaluator(evaluator.Evaluator):
  """The four DIBCO measures of the task's 'ink_probability' thresholded at
  config.denoiser.threshold, against the data set's binary targets: crops (N, H, W) or pages
  of any sizes."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    if dataset.targets is None:
      logging.warning('%s has no targets: no DIBCO measures for it', name)
      return
    add_scores(name, above(outputs['ink_probability'], self.config.denoiser.threshold),
               above(dataset.targets, 0), dataset.names, result, out_dir)
