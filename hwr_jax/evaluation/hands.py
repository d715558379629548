"""What a letter's vector says about its manuscript: hand identification and dating.

The research log wanted a "style" vector for every letter of a collection. Any vectors can be
measured here (pixels, a classifier's penultimate features, a GAN encoder's z): each dimension
is standardised over the letters first, so that spaces of different scales compare.

* Hand identification by nearest letter: a letter's distance to a manuscript is the distance
  to that manuscript's nearest letter (itself left out); the manuscripts ranked by it, the rank
  of its own gives top-1 and top-5 accuracy.
* Hand identification by a few letters: the mean of k letters of one manuscript against each
  manuscript's mean vector (its own mean without those k letters).
* Edits that keep the hand: a letter's z drawn again as its own letter and as another, both
  encoded again and identified by their nearest real letter (the letter itself left out).
* Dating: a ridge regression from a manuscript's mean vector to its date, fitted on the other
  manuscripts (leave one manuscript out, so no manuscript is both fitted and scored), its ridge
  strength chosen by leave-one-out on those; scored by the mean absolute error in years per
  manuscript, against the baseline of the other manuscripts' mean date.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from hwr_jax.errors import DataError

# Rows of the distance matrix computed at once: bounds memory for large sets.
_CHUNK = 1024
# Ridge strengths tried, in units of the mean squared norm of the manuscripts' vectors.
RIDGE_GRID = tuple(10.0 ** p for p in range(-4, 5))


def standardiser(features: np.ndarray):
  """standardise's map, fitted on features, to apply to other vectors of the same space."""
  features = np.asarray(features, np.float64).reshape(len(features), -1)
  mean, spread = features.mean(axis=0), features.std(axis=0)
  spread = np.where(spread > 0, spread, 1.0)
  return lambda vectors: (np.asarray(vectors, np.float64).reshape(len(vectors), -1)
                          - mean) / spread


def standardise(features: np.ndarray) -> np.ndarray:
  """Each dimension to zero mean and unit variance over the rows (constant ones to zero)."""
  return standardiser(features)(features)


def manuscript_ids(manuscripts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
  """Integer ids (N,) of each letter's manuscript, and the manuscripts in id order."""
  names, ids = np.unique(np.asarray(manuscripts).astype(str), return_inverse=True)
  if len(names) < 2:
    raise DataError(f'hand identification needs letters of at least two manuscripts, got '
                    f'{len(names)}')
  return ids, list(names)


def squared_distances(queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
  return np.maximum((queries ** 2).sum(1)[:, None] + (keys ** 2).sum(1)[None, :]
                    - 2 * queries @ keys.T, 0.0)


def nearest_letter_ranks(features: np.ndarray, ids: np.ndarray,
                         queries: np.ndarray | None = None) -> np.ndarray:
  """For each letter, the rank (1 = first) of its own manuscript among all, by the distance
  to each manuscript's nearest letter, the letter itself left out.

  queries: other vectors (N, D) to rank instead, one for each letter (an edit of it), each
  compared with every letter but the one it stands for."""
  queries = features if queries is None else queries
  count = ids.max() + 1
  ranks = np.empty(len(queries), np.int64)
  for start in range(0, len(queries), _CHUNK):
    rows = np.arange(start, min(start + _CHUNK, len(queries)))
    distances = squared_distances(queries[rows], features)
    distances[np.arange(len(rows)), rows] = np.inf
    nearest = np.full((len(rows), count), np.inf)
    for manuscript in range(count):
      nearest[:, manuscript] = distances[:, ids == manuscript].min(axis=1)
    own = nearest[np.arange(len(rows)), ids[rows]]
    ranks[rows] = 1 + (nearest < own[:, None]).sum(axis=1)
  return ranks


def edit_figures(codes: np.ndarray, rebuilt_codes: np.ndarray, edited_codes: np.ndarray,
                 manuscripts: Sequence[str]) -> dict[str, float]:
  """Whether letters drawn from a letter's z keep its hand: the codes of its rebuild (same
  label) and of its edit (another label), each ranked among the real letters' codes without
  the letter itself, beside the real letters' own ranks."""
  ids, _ = manuscript_ids(manuscripts)
  scale = standardiser(codes)
  real = scale(codes)
  figures = {}
  for name, queries in (('real', None), ('rebuilt', rebuilt_codes), ('edited', edited_codes)):
    ranks = nearest_letter_ranks(real, ids, None if queries is None else scale(queries))
    figures.update({f'{name}_top1': top_k(ranks, 1), f'{name}_top5': top_k(ranks, 5)})
  return figures


def few_letter_ranks(features: np.ndarray, ids: np.ndarray, letters: int,
                     rng: np.random.Generator) -> np.ndarray:
  """For disjoint groups of `letters` letters of one manuscript (drawn at random; the rest of
  a manuscript left over), the rank of their manuscript by the distance of the group's mean to
  each manuscript's mean, the group's letters left out of their own manuscript's."""
  count = ids.max() + 1
  sums = np.stack([features[ids == m].sum(axis=0) for m in range(count)])
  sizes = np.bincount(ids, minlength=count)
  whole = sums / sizes[:, None]
  ranks = []
  for manuscript in range(count):
    members = rng.permutation(np.flatnonzero(ids == manuscript))
    for start in range(0, len(members) - letters, letters):
      group = features[members[start:start + letters]]
      means = whole.copy()
      means[manuscript] = (sums[manuscript] - group.sum(axis=0)) / (sizes[manuscript] - letters)
      distances = squared_distances(group.mean(axis=0, keepdims=True), means)[0]
      ranks.append(1 + int((distances < distances[manuscript]).sum()))
  if not ranks:
    raise DataError(f'no manuscript has more than {letters} letters: lower the group size')
  return np.asarray(ranks)


def top_k(ranks: np.ndarray, k: int) -> float:
  return float(np.mean(ranks <= k))


def ridge_loo_errors(kernel: np.ndarray, targets: np.ndarray, strength: float) -> np.ndarray:
  """Leave-one-out residuals of kernel ridge regression with an intercept, in closed form."""
  n = len(targets)
  centre = np.eye(n) - 1.0 / n
  hat = centre @ kernel @ centre
  hat = hat @ np.linalg.inv(hat + strength * np.eye(n)) + 1.0 / n
  fitted = hat @ targets
  return (targets - fitted) / (1.0 - np.diag(hat))


def ridge_predict(train: np.ndarray, targets: np.ndarray, queries: np.ndarray) -> np.ndarray:
  """Ridge regression from train (n, D) to targets (n,), its strength chosen by leave-one-out
  among RIDGE_GRID (scaled to the vectors' mean squared norm), applied to queries (q, D)."""
  mean = train.mean(axis=0)
  train, queries = train - mean, queries - mean
  kernel = train @ train.T
  scale = max(float(np.trace(kernel)) / len(train), 1e-12)
  errors = [np.mean(ridge_loo_errors(kernel, targets, a * scale) ** 2) for a in RIDGE_GRID]
  strength = RIDGE_GRID[int(np.argmin(errors))] * scale
  centred = targets - targets.mean()
  weights = np.linalg.solve(kernel + strength * np.eye(len(train)), centred)
  return targets.mean() + queries @ train.T @ weights


def manuscript_dates(ids: np.ndarray, dates: np.ndarray) -> np.ndarray:
  """Each manuscript's date (M,), refusing a manuscript whose letters disagree on it."""
  per_manuscript = []
  for m in range(ids.max() + 1):
    own = np.unique(dates[ids == m])
    if len(own) != 1:
      raise DataError(f'manuscript {m} has letters of several dates: {own[:5]}')
    per_manuscript.append(own[0])
  return np.asarray(per_manuscript, np.float64)


def manuscript_means(features: np.ndarray, ids: np.ndarray) -> np.ndarray:
  """Each manuscript's mean vector (M, D)."""
  return np.stack([features[ids == m].mean(axis=0) for m in range(ids.max() + 1)])


def dating_errors(features: np.ndarray, ids: np.ndarray, dates: np.ndarray) -> np.ndarray:
  """Per manuscript, left out in turn, the absolute error in years of the ridge regression from
  its mean vector fitted on the others."""
  means, years = manuscript_means(features, ids), manuscript_dates(ids, dates)
  if len(years) < 4:
    raise DataError(f'dating from vectors needs at least 4 manuscripts, got {len(years)}')
  errors = []
  for m in range(len(years)):
    others = np.arange(len(years)) != m
    errors.append(abs(ridge_predict(means[others], years[others], means[m:m + 1])[0] - years[m]))
  return np.asarray(errors)


def mean_date_errors(ids: np.ndarray, dates: np.ndarray) -> np.ndarray:
  """The baseline: per manuscript, the absolute error of the other manuscripts' mean date."""
  years = manuscript_dates(ids, dates)
  return np.asarray([abs(np.delete(years, m).mean() - years[m]) for m in range(len(years))])


def hand_figures(features: np.ndarray, manuscripts: Sequence[str], dates: np.ndarray | None,
                 letters: int, seed: int) -> dict[str, float]:
  """Every figure of one vector space: top-1/top-5 by nearest letter and by `letters` letters,
  and, where the letters have dates, the mean dating error per manuscript."""
  ids, _ = manuscript_ids(manuscripts)
  features = standardise(features)
  nearest = nearest_letter_ranks(features, ids)
  groups = few_letter_ranks(features, ids, letters, np.random.default_rng(seed))
  figures = {'letter_top1': top_k(nearest, 1), 'letter_top5': top_k(nearest, 5),
             f'{letters}_letters_top1': top_k(groups, 1),
             f'{letters}_letters_top5': top_k(groups, 5)}
  if dates is not None:
    figures['date_mae'] = float(dating_errors(features, ids, np.asarray(dates)).mean())
  return figures


def baseline_figures(manuscripts: Sequence[str], dates: np.ndarray | None,
                     figures: Sequence[str]) -> dict[str, float]:
  """The row that no vectors should fall below: chance (k of M manuscripts) for every top-k
  figure, the mean date of the other manuscripts for date_mae."""
  ids, names = manuscript_ids(manuscripts)
  baseline = {name: min(1.0, int(name[-1]) / len(names))
              for name in figures if name.endswith(('top1', 'top5'))}
  if dates is not None:
    baseline['date_mae'] = float(mean_date_errors(ids, np.asarray(dates)).mean())
  return baseline
