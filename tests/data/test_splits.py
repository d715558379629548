"""Tests for hwr_jax.data.splits: deterministic, disjoint, and whole manuscripts per side."""

import numpy as np
import pytest

from hwr_jax.data import splits
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError, DataError


def _dataset(n=200, metadata=None):
  rng = np.random.default_rng(1)
  return LetterDataset(
      images=rng.integers(0, 256, (n, 4, 4), dtype=np.uint8),
      labels=rng.integers(0, 3, n).astype(np.int32),
      vocabulary=Vocabulary(('a', 'b', 'c')),
      names=np.array([f'{i}.png' for i in range(n)]),
      metadata=metadata or {})


def _manuscripts(n=200):
  # Unequal manuscripts, as in real collections: a few large ones and many small ones.
  sizes = [50, 30, 25, 20, 15, 15, 10, 10, 8, 7, 5, 5]
  groups = np.concatenate([[f'MS{i:02d}'] * s for i, s in enumerate(sizes)])
  return np.random.default_rng(2).permutation(groups)[:n]


def test_random_split_is_deterministic_disjoint_and_sorted():
  train, test = splits.random_split(101, 0.2, seed=7)
  again = splits.random_split(101, 0.2, seed=7)
  np.testing.assert_array_equal(train, again[0])
  np.testing.assert_array_equal(test, again[1])
  assert len(test) == 20 and len(train) == 81
  assert not set(train) & set(test)
  np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(101))
  assert (np.diff(train) > 0).all() and (np.diff(test) > 0).all()
  assert not np.array_equal(splits.random_split(101, 0.2, seed=8)[1], test)


def test_random_split_keeps_both_sides_non_empty():
  assert [len(side) for side in splits.random_split(3, 0.01, seed=0)] == [2, 1]
  assert [len(side) for side in splits.random_split(3, 0.99, seed=0)] == [1, 2]
  assert [len(side) for side in splits.random_split(5, 0.0, seed=0)] == [5, 0]


@pytest.mark.parametrize('seed', range(10))
def test_group_split_keeps_groups_whole(seed):
  groups = _manuscripts()
  train, test = splits.group_split(groups, 0.25, seed)
  assert not set(groups[train]) & set(groups[test])
  assert len(train) + len(test) == len(groups)
  assert 0.15 < len(test) / len(groups) < 0.35


def test_group_split_is_deterministic_and_needs_two_groups():
  groups = _manuscripts()
  np.testing.assert_array_equal(splits.group_split(groups, 0.2, 3)[1],
                                splits.group_split(groups, 0.2, 3)[1])
  with pytest.raises(DataError, match=r"all 5 images belong to \['only'\]"):
    splits.group_split(['only'] * 5, 0.2, 0)


def test_column_split():
  column = ['train', 'TEST', ' valid', 'training', 'test', 'Validation', 'val']
  result = splits.column_split(column)
  assert {k: v.tolist() for k, v in result.items()} == {
      'train': [0, 3], 'test': [1, 4], 'val': [2, 5, 6]}
  assert 'val' not in splits.column_split(['train', 'test'])
  with pytest.raises(DataError, match=r"image 'c.png' has the unknown value 'tset'"):
    splits.column_split(['train', 'test', 'tset'], names=['a.png', 'b.png', 'c.png'])
  with pytest.raises(DataError, match=r"no image is marked 'test'"):
    splits.column_split(['train', 'val'])


def test_make_splits_random_with_val():
  dataset = _dataset()
  result = splits.make_splits(dataset, test_fraction=0.2, val_fraction=0.1, seed=3)
  assert sorted(result) == ['test', 'train', 'val']
  assert [len(result[k]) for k in ('train', 'val', 'test')] == [140, 20, 40]
  names = [set(result[k].names) for k in ('train', 'val', 'test')]
  assert not (names[0] & names[1] or names[0] & names[2] or names[1] & names[2])
  without_val = splits.make_splits(dataset, test_fraction=0.2, seed=3)
  assert sorted(without_val) == ['test', 'train']
  # The test set does not depend on whether a val set is carved out.
  assert without_val['test'].names.tolist() == result['test'].names.tolist()
  assert without_val['test'].names.tolist() == dataset.names[
      splits.random_split(200, 0.2, 3)[1]].tolist()


def test_make_splits_by_manuscript():
  dataset = _dataset(metadata={'manuscript': _manuscripts()})
  result = splits.make_splits(dataset, method='manuscript', test_fraction=0.2, val_fraction=0.15,
                              seed=5)
  sides = [set(result[k].metadata['manuscript']) for k in ('train', 'val', 'test')]
  assert all(sides) and not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
  assert sum(len(s) for s in result.values()) == 200


def test_make_splits_by_column():
  dataset = _dataset(n=6, metadata={'split': np.array(['train', 'test', 'train', 'val', 'train',
                                                       'test'])})
  result = splits.make_splits(dataset, method='column')
  assert {k: v.names.tolist() for k, v in result.items()} == {
      'train': ['0.png', '2.png', '4.png'], 'test': ['1.png', '5.png'], 'val': ['3.png']}
  without_val = _dataset(n=10, metadata={'split': np.array(['train'] * 8 + ['test'] * 2)})
  carved = splits.make_splits(without_val, method='column', val_fraction=0.2)
  assert [len(carved[k]) for k in ('train', 'val', 'test')] == [6, 2, 2]


def test_make_splits_errors():
  dataset = _dataset()
  with pytest.raises(DataError, match=r"'manuscript' column, but the data set has no metadata"):
    splits.make_splits(dataset, method='manuscript')
  with pytest.raises(DataError, match=r"needs a 'split' column"):
    splits.make_splits(dataset, method='column')
  with pytest.raises(ConfigError, match='split method'):
    splits.make_splits(dataset, method='scribe')
  with pytest.raises(ConfigError, match='must be below 1'):
    splits.make_splits(dataset, test_fraction=0.6, val_fraction=0.4)
  with pytest.raises(ConfigError, match='test_fraction'):
    splits.random_split(10, 1.0, 0)


def test_split_by_manuscript_names_an_image_without_one():
  manuscripts = _manuscripts()
  manuscripts[[17, 40]] = ['', ' ']
  with pytest.raises(DataError, match=r"image '17.png' has no manuscript \(2 image\(s\)"):
    splits.make_splits(_dataset(metadata={'manuscript': manuscripts}), method='manuscript')


def _fonts(n=200):
  scripts = np.array(['estrangela', 'serto'])[np.arange(n) % 2]
  fonts = np.array(['Noto Regular', 'Noto Thin', 'Western Regular', 'Western Thin'])[
      np.arange(n) % 4]
  return {'manuscript': _manuscripts(n), 'script': scripts, 'font': fonts}


def test_split_by_font_or_script_holds_out_whole_designs():
  dataset = _dataset(metadata=_fonts())
  for method in ('font', 'script'):
    result = splits.make_splits(dataset, method=method, test_fraction=0.3, seed=1)
    sides = [set(result[k].metadata[method]) for k in ('train', 'test')]
    assert all(sides) and not sides[0] & sides[1], method
    assert len(result['train']) + len(result['test']) == 200


def test_named_test_groups_are_exactly_the_test_side():
  dataset = _dataset(metadata=_fonts())
  result = splits.make_splits(dataset, method='font', test_groups=('Western Thin',),
                              val_fraction=0.1, seed=0)
  assert set(result['test'].metadata['font']) == {'Western Thin'}
  assert len(result['test']) == 50
  assert 'Western Thin' not in set(result['train'].metadata['font'])
  # Validation letters come from whole manuscripts of what the test side left.
  assert not set(result['val'].metadata['manuscript']) & set(
      result['train'].metadata['manuscript'])
  by_script = splits.make_splits(dataset, method='script', test_groups=('serto',))
  assert set(by_script['test'].metadata['script']) == {'serto'}
  assert set(by_script['train'].metadata['script']) == {'estrangela'}


def test_named_test_groups_errors_name_what_is_there():
  dataset = _dataset(metadata=_fonts())
  with pytest.raises(DataError, match=r"names \['Serto'\] but the script column holds "
                                      r"\['estrangela', 'serto'\]"):
    splits.make_splits(dataset, method='script', test_groups=('Serto',))
  with pytest.raises(DataError, match='nothing is left to train on'):
    splits.make_splits(dataset, method='script', test_groups=('serto', 'estrangela'))
  with pytest.raises(ConfigError, match="needs a grouped data.split.*not 'random'"):
    splits.make_splits(dataset, method='random', test_groups=('serto',))
  with pytest.raises(DataError, match=r"split method 'font' needs a 'font' column"):
    splits.make_splits(_dataset(), method='font')


def test_auto_splits_by_manuscript_where_there_are_manuscripts():
  with_manuscripts = _dataset(metadata={'manuscript': _manuscripts()})
  auto = splits.make_splits(with_manuscripts, method='auto', seed=4)
  grouped = splits.make_splits(with_manuscripts, method='manuscript', seed=4)
  assert auto['test'].names.tolist() == grouped['test'].names.tolist()
  plain = splits.make_splits(_dataset(), method='auto', seed=4)
  assert plain['test'].names.tolist() == splits.make_splits(
      _dataset(), method='random', seed=4)['test'].names.tolist()
