"""Fréchet distance, label fidelity and sample grids on inputs whose answers are known."""

import numpy as np
import pytest

from hwr_jax.data.dataset import DataInfo
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.evaluation import generation


def features(n=400, d=6, seed=0):
  rng = np.random.default_rng(seed)
  return rng.normal(size=(n, d)) @ rng.normal(size=(d, d))


def test_identical_sets_are_at_distance_zero():
  x = features()
  assert generation.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)


def test_a_shift_adds_its_squared_length():
  x = features()
  shift = np.array([1.0, -2.0, 0.0, 0.5, 0.0, 3.0])
  assert generation.frechet_distance(x, x + shift) == pytest.approx(np.sum(shift ** 2),
                                                                    rel=1e-6)


def test_one_dimensional_gaussians_match_the_closed_form():
  x = np.random.default_rng(1).normal(size=(1000, 1))
  y = 3 * x + 2
  mu_x, sd_x = x.mean(), x.std(ddof=1)
  mu_y, sd_y = y.mean(), y.std(ddof=1)
  expected = (mu_x - mu_y) ** 2 + (sd_x - sd_y) ** 2
  assert generation.frechet_distance(x, y) == pytest.approx(expected, rel=1e-6)


def test_distance_grows_as_sets_move_apart_and_is_symmetric():
  x, y = features(seed=0), features(seed=3)
  near, far = generation.frechet_distance(x, x + 0.1), generation.frechet_distance(x, x + 1.0)
  assert 0 < near < far
  assert generation.frechet_distance(x, y) == pytest.approx(generation.frechet_distance(y, x),
                                                            rel=1e-5)


def test_fewer_samples_than_dimensions_still_give_a_finite_distance():
  x, y = features(n=5, d=20, seed=0), features(n=5, d=20, seed=1)
  assert np.isfinite(generation.frechet_distance(x, y))


def test_a_single_feature_vector_is_refused():
  with pytest.raises(ValueError, match='at least two'):
    generation.frechet_distance(np.zeros((1, 3)), np.zeros((4, 3)))


def test_label_fidelity_scores_predictions_against_the_conditioned_labels():
  vocabulary = Vocabulary.from_labels(['alaph', 'beth', 'gamal'])
  report = generation.label_fidelity(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0]),
                                     vocabulary)
  assert report['accuracy'] == pytest.approx(3 / 5)
  assert report['per_class']['alaph']['accuracy'] == pytest.approx(0.5)
  assert report['per_class']['beth']['accuracy'] == 1.0
  assert report['per_class']['gamal']['accuracy'] == 0.0


def test_grid_places_images_in_rows_and_names_them():
  images = np.stack([np.full((4, 5), 10 * (i + 1), np.uint8) for i in range(5)])
  grid = generation.image_grid(images, columns=3, pad=1)
  assert grid.shape == (2 * 5 + 1, 3 * 6 + 1)
  assert grid[1, 1] == 10 and grid[1, 7] == 20 and grid[6, 7] == 50
  assert grid[6, 13] == generation.GRID_BACKGROUND  # the empty sixth cell
  assert grid[0, 0] == grid[5, 3] == grid[3, 6] == generation.GRID_BACKGROUND  # the padding
  named = generation.image_grid(images, columns=3, row_names=['alaph', 'beth'])
  assert named.ndim == 3 and named.shape[1] > grid.shape[1]


def test_balanced_fidelity_scores_every_class_alike_and_the_rarest_quarter_apart():
  vocabulary = Vocabulary(tuple('abcdefgh'))
  info = DataInfo(vocabulary, (8, 8), class_counts=(50, 3, 40, 30, 2, 60, 70, 80))
  conditioned = np.repeat(np.arange(8), 4)
  predicted = conditioned.copy()
  predicted[4:7] = 0  # 'b' (3 in training) read right once in four
  predicted[16:20] = 1  # 'e' (2 in training) never
  balanced = generation.balanced_fidelity(conditioned, predicted, info)
  assert balanced['per_class']['b'] == 0.25 and balanced['per_class']['e'] == 0.0
  assert balanced['mean'] == pytest.approx((6 + 0.25) / 8)
  assert balanced['rare'] == {'e': {'fidelity': 0.0, 'training_count': 2},
                              'b': {'fidelity': 0.25, 'training_count': 3}}
  assert balanced['rare_mean'] == pytest.approx(0.125)
