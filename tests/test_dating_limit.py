"""scripts/dating_limit.py: the least-squares limit on the true hand, against hand-made hands."""

import numpy as np

from scripts.dating_limit import hand_fit_errors


def hand(date, slant, pen_width, width):
  return {'date': date, 'slant': slant, 'pen_width': pen_width, 'width': width}


def test_a_date_linear_in_the_hand_is_fitted_exactly_and_the_mean_is_scored_by_hand():
  rng = np.random.default_rng(0)
  hands = {}
  for i in range(12):
    slant, pen, width = rng.normal(size=3)
    hands[f'ms{i}'] = hand(900 + 100 * slant - 50 * pen + 20 * width, slant, pen, width)
  train, test = [f'ms{i}' for i in range(8)], [f'ms{i}' for i in range(8, 12)]
  fitted, mean = hand_fit_errors(hands, train, test)
  assert fitted < 1e-6
  train_mean = np.mean([hands[n]['date'] for n in train])
  assert np.isclose(mean, np.mean([abs(hands[n]['date'] - train_mean) for n in test]))


def test_noise_in_the_date_is_what_the_fit_cannot_remove():
  hands = {'a': hand(100, 0, 0, 0), 'b': hand(300, 0, 0, 0), 'c': hand(200, 1, 0, 0),
           'd': hand(200, 0, 1, 0), 'e': hand(200, 0, 0, 1), 'f': hand(260, 0, 0, 0)}
  fitted, _ = hand_fit_errors(hands, ['a', 'b', 'c', 'd', 'e'], ['f'])
  # a and b share a hand; the fit takes their mean date, 200, for f's identical hand.
  assert np.isclose(fitted, 60.0)
