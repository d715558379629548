"""F-tables of ink pixels, their scores and the threshold sweep."""

import numpy as np
import pytest

from hwr_jax.evaluation import fscore


def masks():
  target = np.array([[[1, 1, 0],
                      [0, 1, 0]],
                     [[0, 0, 0],
                      [0, 0, 0]]], bool)
  predicted = np.array([[[1, 0, 1],
                         [0, 1, 1]],
                        [[0, 0, 0],
                         [0, 0, 0]]], bool)
  return predicted, target


def test_f_table_counts_hand_made_masks():
  predicted, target = masks()
  counts = fscore.f_table(predicted, target)
  assert {k: v.tolist() for k, v in counts.items()} == {
      'tp': [2, 0], 'fp': [2, 0], 'fn': [1, 0], 'tn': [1, 6]}


def test_report_per_image_and_pooled():
  predicted, target = masks()
  report = fscore.fscore_report(predicted, target, ['a', 'b'])
  first, blank = report['per_image']
  assert first['name'] == 'a' and first['precision'] == pytest.approx(0.5)
  assert first['recall'] == pytest.approx(2 / 3)
  assert first['f_score'] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
  # Nothing to find and nothing found: no error was made.
  assert blank['precision'] == blank['recall'] == blank['f_score'] == 1.0
  overall = report['overall']
  assert (overall['tp'], overall['fp'], overall['fn'], overall['tn']) == (2, 2, 1, 7)
  assert overall['f_score'] == pytest.approx(first['f_score'])
  assert overall['mean_image_f_score'] == pytest.approx((first['f_score'] + 1) / 2)


def test_no_ink_predicted_where_ink_is_scores_zero():
  target = np.ones((1, 2, 2), bool)
  totals = fscore.fscore_report(np.zeros_like(target), target, ['x'])['overall']
  assert (totals['precision'], totals['recall'], totals['f_score']) == (1.0, 0.0, 0.0)


def test_sweep_finds_the_threshold_that_separates_ink():
  target = np.array([[[1, 1, 0, 0]]], bool)
  probabilities = np.array([[[0.9, 0.6, 0.4, 0.1]]])
  sweep = fscore.threshold_sweep(probabilities, target, [0.3, 0.5, 0.7])
  assert sweep['f_scores'] == pytest.approx([0.8, 1.0, 2 / 3])
  assert (sweep['best_threshold'], sweep['best_f_score']) == (0.5, 1.0)


def test_mismatched_shapes_are_refused():
  with pytest.raises(ValueError, match='differ'):
    fscore.f_table(np.zeros((1, 2, 2), bool), np.zeros((1, 2, 3), bool))
