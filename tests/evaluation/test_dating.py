"""Tests for hwr_jax.evaluation.dating: per-manuscript combination, errors, periods, baseline."""

import numpy as np
import pytest

from hwr_jax.evaluation import dating


def test_periods_are_fixed_bins_counted_from_year_zero():
  np.testing.assert_array_equal(dating.period_of([1099.9, 1100, 1149, 1150], 50),
                                [21, 22, 22, 23])


@pytest.mark.parametrize('aggregate, expected', [('median', [700.0, 1010.0]),
                                                 ('mean', [700.0, 1040.0])])
def test_letters_combine_into_one_date_per_manuscript(aggregate, expected):
  manuscripts = np.array(['b', 'a', 'b', 'b'])
  dates = np.array([1000.0, 650.0, 1000.0, 1000.0])
  predicted = np.array([1000.0, 700.0, 1010.0, 1110.0])
  names, true, combined = dating.per_manuscript(manuscripts, dates, predicted, aggregate)
  assert names.tolist() == ['a', 'b']
  np.testing.assert_allclose(true, [650.0, 1000.0])
  np.testing.assert_allclose(combined, expected)


def test_report_scores_letters_manuscripts_and_the_mean_baseline():
  manuscripts = np.array(['a', 'a', 'b', 'b'])
  dates = np.array([600.0, 600.0, 1000.0, 1000.0])
  predicted = np.array([640.0, 700.0, 990.0, 1200.0])
  report = dating.dating_report(manuscripts, dates, predicted, baseline_date=800.0,
                                period_years=50, aggregate='median')
  assert report['letter']['mae'] == pytest.approx((40 + 100 + 10 + 200) / 4)
  # Medians 670 and 1095: 70 and 95 years off.
  assert report['manuscript']['mae'] == pytest.approx(82.5)
  assert report['manuscript']['count'] == 2
  # Only 640 falls in its true period (600-649); 990 is in 950-999, not 1000-1049.
  assert report['letter']['period_accuracy'] == pytest.approx(0.25)
  assert report['manuscript']['period_accuracy'] == 0.0
  assert report['baseline']['manuscript']['mae'] == pytest.approx(200.0)
  assert report['baseline']['letter']['period_accuracy'] == 0.0
  assert [m['manuscript'] for m in report['manuscripts']] == ['a', 'b']
  scalars = dating.summary_scalars(report)
  assert scalars['mae_manuscript'] == pytest.approx(82.5)
  assert scalars['baseline_mae_manuscript'] == pytest.approx(200.0)


def test_scatter_draws_one_dot_per_manuscript_inside_the_frame():
  picture = dating.date_scatter([600.0, 900.0, 1200.0], [650.0, 900.0, 1100.0], 900.0)
  assert picture.dtype == np.uint8 and picture.shape == (528, 528, 3)
  blue = np.all(picture == (30, 80, 200), axis=-1)
  assert blue.sum() > 3 * 20
  _, columns = np.nonzero(blue)
  assert columns.min() > 48  # right of the year labels
  constant = dating.date_scatter([800.0, 800.0], [800.0, 800.0], 800.0)
  assert constant.shape == (528, 528, 3)


def hand(date, slant, pen_width, width):
  return {'date': date, 'slant': slant, 'pen_width': pen_width, 'width': width}


def test_a_date_linear_in_the_hand_is_fitted_exactly_and_the_mean_is_scored_by_hand():
  rng = np.random.default_rng(0)
  hands = {}
  for i in range(12):
    slant, pen, width = rng.normal(size=3)
    hands[f'ms{i}'] = hand(900 + 100 * slant - 50 * pen + 20 * width, slant, pen, width)
  train, test = [f'ms{i}' for i in range(8)], [f'ms{i}' for i in range(8, 12)]
  fitted, mean = dating.hand_fit_errors(hands, train, test)
  assert fitted < 1e-6
  train_mean = np.mean([hands[n]['date'] for n in train])
  assert np.isclose(mean, np.mean([abs(hands[n]['date'] - train_mean) for n in test]))


def test_noise_in_the_date_is_what_the_fit_cannot_remove():
  hands = {'a': hand(100, 0, 0, 0), 'b': hand(300, 0, 0, 0), 'c': hand(200, 1, 0, 0),
           'd': hand(200, 0, 1, 0), 'e': hand(200, 0, 0, 1), 'f': hand(260, 0, 0, 0)}
  fitted, _ = dating.hand_fit_errors(hands, ['a', 'b', 'c', 'd', 'e'], ['f'])
  # a and b share a hand; the fit takes their mean date, 200, for f's identical hand.
  assert np.isclose(fitted, 60.0)
