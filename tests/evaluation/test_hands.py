"""Hand identification and dating from letters' vectors (hwr_jax/evaluation/hands.py)."""

import numpy as np
import pytest

from hwr_jax.errors import DataError
from hwr_jax.evaluation import hands


def manuscripts_of(count, letters):
  return np.repeat([f'ms{m:02d}' for m in range(count)], letters)


def test_ranks_follow_the_nearest_letter_with_the_letter_itself_left_out():
  # Every letter's nearest other letter is of the other manuscript.
  features = np.array([[0.0], [10.0], [0.1], [5.2]])
  ids = np.array([0, 0, 1, 1])
  ranks = hands.nearest_letter_ranks(features, ids)
  np.testing.assert_array_equal(ranks, [2, 2, 2, 2])
  ranks = hands.nearest_letter_ranks(np.array([[0.0], [0.2], [5.0], [5.1]]), ids)
  np.testing.assert_array_equal(ranks, [1, 1, 1, 1])


def test_hands_are_found_where_the_vectors_carry_them_and_not_otherwise():
  rng = np.random.default_rng(0)
  manuscripts = manuscripts_of(12, 30)
  ids, _ = hands.manuscript_ids(manuscripts)
  styled = rng.normal(size=(12, 8))[ids] + 0.5 * rng.normal(size=(len(ids), 8))
  noise = rng.normal(size=(len(ids), 8))
  found = hands.hand_figures(styled, manuscripts, None, letters=5, seed=0)
  blind = hands.hand_figures(noise, manuscripts, None, letters=5, seed=0)
  assert found['letter_top1'] > 0.8 and found['5_letters_top1'] > 0.95, found
  # Chance is 1/12 = 0.083 and 5/12 = 0.417.
  assert blind['letter_top1'] < 0.2 and blind['5_letters_top5'] < 0.7, blind
  assert 'date_mae' not in found


def test_few_letter_groups_leave_their_letters_out_of_their_manuscripts_mean():
  # A = [0, 10], B = [3, 3], groups of one letter (the other left over). A's group {10} is
  # 5 from A's mean with itself in it, 7 from B's and 10 from A's without it: rank 2 only when
  # left out. A's group {0} ranks 2 either way, so the draw does not matter.
  features = np.array([[0.0], [10.0], [3.0], [3.0]])
  ids = np.array([0, 0, 1, 1])
  for seed in range(4):
    ranks = hands.few_letter_ranks(features, ids, 1, np.random.default_rng(seed))
    np.testing.assert_array_equal(ranks, [2, 1])
  with pytest.raises(DataError, match='more than 2 letters'):
    hands.few_letter_ranks(features, ids, 2, np.random.default_rng(0))


def test_dating_beats_the_mean_date_only_where_the_vectors_carry_the_date():
  rng = np.random.default_rng(1)
  manuscripts = manuscripts_of(20, 15)
  ids, _ = hands.manuscript_ids(manuscripts)
  years = rng.uniform(500, 1500, size=20)
  dates = years[ids].astype(np.float32)
  direction = rng.normal(size=16)
  dated = (np.outer((years[ids] - 1000) / 300, direction)
           + 2.0 * rng.normal(size=(len(ids), 16)))
  baseline = hands.mean_date_errors(ids, dates).mean()
  assert baseline > 150
  assert hands.dating_errors(hands.standardise(dated), ids, dates).mean() < 0.5 * baseline
  noise = hands.standardise(rng.normal(size=(len(ids), 16)))
  assert hands.dating_errors(noise, ids, dates).mean() > 0.8 * baseline


def test_ridge_leave_one_out_residuals_equal_refitting_without_each_row():
  rng = np.random.default_rng(2)
  x = rng.normal(size=(9, 4))
  y = x @ rng.normal(size=4) + 0.3 * rng.normal(size=9)
  centred = x - x.mean(axis=0)
  shortcut = hands.ridge_loo_errors(centred @ centred.T, y, 2.0)
  for i in range(9):
    keep = np.arange(9) != i
    train = x[keep] - x[keep].mean(axis=0)
    weights = np.linalg.solve(train.T @ train + 2.0 * np.eye(4), train.T @ (y[keep] - y[keep].mean()))
    predicted = y[keep].mean() + (x[i] - x[keep].mean(axis=0)) @ weights
    assert shortcut[i] == pytest.approx(y[i] - predicted, rel=1e-6)


def test_a_manuscript_of_two_dates_and_a_single_manuscript_are_refused():
  with pytest.raises(DataError, match='at least two manuscripts'):
    hands.manuscript_ids(['a', 'a'])
  ids = np.array([0, 0, 1, 1, 2, 2, 3, 3])
  with pytest.raises(DataError, match='several dates'):
    hands.dating_errors(np.zeros((8, 2)), ids, np.array([1, 2, 3, 3, 4, 4, 5, 5.0]))


def test_queries_standing_for_letters_are_ranked_without_their_letter():
  rng = np.random.default_rng(3)
  ids = np.repeat(np.arange(6), 10)
  features = rng.normal(size=(6, 4))[ids] + 0.3 * rng.normal(size=(60, 4))
  np.testing.assert_array_equal(hands.nearest_letter_ranks(features, ids, features.copy()),
                                hands.nearest_letter_ranks(features, ids))


def test_edits_keep_the_hand_only_where_their_codes_stay_near_it():
  rng = np.random.default_rng(4)
  manuscripts = manuscripts_of(10, 20)
  ids, _ = hands.manuscript_ids(manuscripts)
  codes = rng.normal(size=(10, 6))[ids] + 0.3 * rng.normal(size=(len(ids), 6))
  kept = codes + 0.1 * rng.normal(size=codes.shape)
  lost = codes[rng.permutation(len(codes))]
  figures = hands.edit_figures(codes, kept, lost, manuscripts)
  assert figures['real_top1'] > 0.8 and figures['rebuilt_top1'] > 0.8, figures
  assert figures['edited_top1'] < 0.3 and figures['edited_top1'] <= figures['edited_top5']
