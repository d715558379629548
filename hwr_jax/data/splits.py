"""Train/test(/val) splits: random, by group (manuscript, font, script), or as a labels file's
'split' column says.

Every split is a deterministic function of its seed (a numpy Generator, never global state),
so a run can be repeated and two runs compared on the same test images. Index arrays come back
sorted: the order within each side is the data set's, and shuffling per epoch is the input
pipeline's job, not this module's.

Splitting by manuscript matters for letter recognition: letters from one scribe's hand look
alike, so a random split leaks the hand into the test set and flatters the accuracy. Splitting by
font (the design a synthetic hand's letter shapes come from) or by script (Estrangela, Serto)
asks more: letters of a design or a script the model never saw. A grouped split holds out
either groups drawn at random up to test_fraction of the images, or the groups a user names.
"""

from __future__ import annotations

from typing import Optional, Sequence

from absl import logging
import numpy as np

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.errors import ConfigError, DataError

# Methods that keep every group of a metadata column (named like the method) on one side.
GROUP_METHODS = ('manuscript', 'font', 'script')
SPLIT_METHODS = ('random',) + GROUP_METHODS + ('column',)
# The data block's default: by manuscript where the data records manuscripts.
AUTO = 'auto'
# Values a 'split' column may hold (case-insensitive), and the split each one means.
SPLIT_VALUES = {
    'train': 'train', 'training': 'train',
    'test': 'test', 'testing': 'test',
    'val': 'val', 'valid': 'val', 'validation': 'val',
}

Indices = tuple[np.ndarray, np.ndarray]


def _check_fraction(fraction: float, name: str) -> None:
  if not 0.0 <= fraction < 1.0:
    raise ConfigError(f'{name} must be in [0, 1), got {fraction!r}')


def _held_out_count(n: int, fraction: float) -> int:
  """round(n * fraction), but at least one and never all, so neither side is empty."""
  count = int(round(n * fraction))
  if fraction > 0 and n > 1:
    count = min(max(count, 1), n - 1)
  return count


def _random_split(n: int, fraction: float, rng: np.random.Generator) -> Indices:
  order = rng.permutation(n)
  count = _held_out_count(n, fraction)
  return np.sort(order[count:]), np.sort(order[:count])


def random_split(n: int, test_fraction: float, seed: int) -> Indices:
  """(train_idx, test_idx), sorted, with round(n * test_fraction) test images (at least one)."""
  _check_fraction(test_fraction, 'test_fraction')
  return _random_split(n, test_fraction, np.random.default_rng(seed))


def _group_split(groups: np.ndarray, fraction: float, rng: np.random.Generator) -> Indices:
  names, inverse, sizes = np.unique(groups, return_inverse=True, return_counts=True)
  if fraction > 0 and len(names) < 2:
    raise DataError(f'cannot split by group: all {len(groups)} images belong to '
                    f'{names.tolist()}; at least two groups are needed')
  target = fraction * len(groups)
  held_out = np.zeros(len(names), dtype=bool)
  count = 0
  # Visiting groups in random order and taking each one that brings the held-out count closer
  # to the target gives a random split whose size stays near the target even when group sizes
  # vary widely.
  for g in rng.permutation(len(names)):
    if abs(count + sizes[g] - target) < abs(count - target):
      held_out[g] = True
      count += sizes[g]
  if fraction > 0 and not held_out.any():
    held_out[np.argmin(sizes)] = True
  if held_out.all():
    held_out[np.argmin(sizes)] = False
  in_held_out = held_out[inverse]
  return np.flatnonzero(~in_held_out), np.flatnonzero(in_held_out)


def group_split(groups: Sequence[str], test_fraction: float, seed: int) -> Indices:
  """(train_idx, test_idx) keeping every group (e.g. manuscript) whole on one side.

  The test side gets roughly `test_fraction` of the images, not of the groups; with few,
  unequal groups it can only be approximate. When test_fraction > 0 both sides get at least
  one group.
  """
  _check_fraction(test_fraction, 'test_fraction')
  return _group_split(np.asarray(groups), test_fraction, np.random.default_rng(seed))


def column_split(split_column: Sequence[str],
                 names: Optional[Sequence[str]] = None) -> dict[str, np.ndarray]:
  """Indices per split named in a 'split' column: train, test, and val if any row says so.

  Values are matched case-insensitively: train/training, test/testing, val/valid/validation.

  Args:
    split_column: one value per image.
    names: the image names, only to name the culprit in errors.

  Raises:
    DataError: a value is none of those (the first image with it is named), or no image is
      marked train or none test.
  """
  values = np.char.lower(np.char.strip(np.asarray(split_column, dtype=str)))
  splits: dict[str, np.ndarray] = {}
  for value in np.unique(values):
    rows = np.flatnonzero(values == value)
    if value not in SPLIT_VALUES:
      culprit = f'image {str(names[rows[0]])!r}' if names is not None else f'image {rows[0]}'
      raise DataError(f'split column: {culprit} has the unknown value {str(value)!r} ({len(rows)} '
                      f'image(s) do); expected one of {sorted(SPLIT_VALUES)}')
    name = SPLIT_VALUES[value]
    splits[name] = np.union1d(splits.get(name, rows[:0]), rows)
  for required in ('train', 'test'):
    if required not in splits:
      raise DataError(f'split column: no image is marked {required!r}')
  return splits


def _check_groups_named(groups: np.ndarray, names: np.ndarray, column: str) -> None:
  """An image without a group would form a group of its own with every other such image and
  could land on either side, so a grouped split refuses it, naming the first one."""
  empty = np.flatnonzero(np.char.strip(np.asarray(groups, dtype=str)) == '')
  if len(empty):
    raise DataError(f'split by {column}: image {str(names[empty[0]])!r} has no {column} '
                    f'({len(empty)} image(s) have none); fill in its {column} column or use '
                    'another data.split')


def named_group_split(groups: np.ndarray, test_groups: Sequence[str], column: str) -> Indices:
  """(train_idx, test_idx) with exactly the images of `test_groups` on the test side."""
  present = np.unique(groups)
  unknown = [name for name in test_groups if name not in present]
  if unknown:
    raise DataError(f'data.test_groups names {unknown} but the {column} column holds '
                    f'{present.tolist()}')
  held_out = np.isin(groups, list(test_groups))
  if held_out.all():
    raise DataError(f'data.test_groups holds out every {column} ({present.tolist()}): nothing '
                    'is left to train on')
  return np.flatnonzero(~held_out), np.flatnonzero(held_out)


def resolved_method(method: str, dataset: LetterDataset) -> str:
  """'auto' -> 'manuscript' when the data set records manuscripts (the synthetic letters do),
  else 'random'; any other method as it is."""
  if method != AUTO:
    return method
  return 'manuscript' if 'manuscript' in dataset.metadata else 'random'


def make_splits(dataset: LetterDataset,
                *,
                method: str = 'random',
                test_fraction: float = 0.2,
                val_fraction: float = 0.0,
                seed: int = 0,
                test_groups: Sequence[str] = ()) -> dict[str, LetterDataset]:
  """Splits a data set into 'train', 'test' and, when asked for, 'val'.

  Args:
    dataset: the data set to split.
    method: 'random'; 'manuscript', 'font' or 'script' (whole groups of that metadata column
      per side); 'auto' (by manuscript when the data set has a manuscript column, else random); or 'column' (the 'split' column decides, and the fractions are not used,
      except that val_fraction > 0 carves a random val set out of train when the column marks
      none).
    test_fraction: share of the images held out for test (grouped methods without
      test_groups).
    val_fraction: share of all images held out for validation, taken from what test left,
      drawn separately so that the test set does not change with val_fraction; whole
      manuscripts when the data set has a manuscript column and the method is grouped.
    seed: the seed every random choice derives from.
    test_groups: for a grouped method, the groups to hold out for test (e.g. a font's name);
      empty = groups drawn at random.

  Returns:
    {'train': ..., 'test': ...} plus 'val' when val_fraction > 0 or the column marks val rows.

  Raises:
    ConfigError: an unknown method or fractions outside [0, 1) or summing to 1 or more.
    DataError: the column the method needs is missing (the data set's columns are listed), an
      image has no manuscript for a split by manuscript, or the split cannot be made (see
      group_split and column_split).
  """
  method = resolved_method(method, dataset)
  if method not in SPLIT_METHODS:
    raise ConfigError(f'split method must be one of {SPLIT_METHODS + (AUTO,)}, got {method!r}')
  _check_fraction(test_fraction, 'test_fraction')
  _check_fraction(val_fraction, 'val_fraction')
  if test_fraction + val_fraction >= 1.0:
    raise ConfigError(f'test_fraction + val_fraction must be below 1, got {test_fraction} + '
                      f'{val_fraction}')
  if test_groups and method not in GROUP_METHODS:
    raise ConfigError(f'data.test_groups={list(test_groups)} needs a grouped data.split '
                      f'({", ".join(GROUP_METHODS)}), not {method!r}')
  column = 'split' if method == 'column' else method if method in GROUP_METHODS else None
  if column is not None and column not in dataset.metadata:
    raise DataError(f"split method {method!r} needs a {column!r} column, but the data set has "
                    f'{sorted(dataset.metadata) or "no metadata columns"}')

  if method in GROUP_METHODS:
    _check_groups_named(dataset.metadata[method], dataset.names, method)

  # The test split uses the seed itself, so it equals random_split/group_split with that seed;
  # val draws from a child seed, independent of it.
  test_rng = np.random.default_rng(seed)
  val_rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
  if method == 'column':
    indices = column_split(dataset.metadata['split'], dataset.names)
  elif method in GROUP_METHODS:
    groups = np.asarray(dataset.metadata[method])
    train, test = (named_group_split(groups, test_groups, method) if test_groups else
                   _group_split(groups, test_fraction, test_rng))
    indices = {'train': train, 'test': test}
  else:
    train, test = _random_split(len(dataset), test_fraction, test_rng)
    indices = {'train': train, 'test': test}

  if val_fraction > 0 and 'val' not in indices:
    train = indices['train']
    share_of_train = val_fraction * len(dataset) / max(len(train), 1)
    if share_of_train >= 1.0:
      raise DataError(f'cannot hold out val_fraction={val_fraction} of {len(dataset)} images: '
                      f'only {len(train)} training images remain')
    if method in GROUP_METHODS and 'manuscript' in dataset.metadata:
      keep, val = _group_split(np.asarray(dataset.metadata['manuscript'])[train],
                               share_of_train, val_rng)
    else:
      keep, val = _random_split(len(train), share_of_train, val_rng)
    indices['train'], indices['val'] = train[keep], train[val]

  splits = {name: dataset.subset(idx) for name, idx in indices.items()}
  logging.info('Split %d images by %s: %s', len(dataset), method,
               ', '.join(f'{name} {len(split)}' for name, split in splits.items()))
  return splits
