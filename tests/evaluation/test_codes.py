"""Nearest neighbours and principal components of codes."""

import numpy as np

from hwr_jax.evaluation import codes


def test_nearest_neighbours_leave_the_query_out_and_sort_by_distance():
  z = np.array([[0.0, 0.0], [3.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
  np.testing.assert_array_equal(codes.nearest_neighbours(z, [0, 1], 3),
                                [[4, 2, 3], [2, 0, 4]])


def test_principal_components_find_the_spread_axis():
  rng = np.random.default_rng(0)
  along = rng.normal(size=200) * 10
  z = np.stack([along, along, rng.normal(size=200) * 0.1], axis=1) + 5.0
  projected = codes.principal_components(z)
  assert projected.shape == (200, 2)
  np.testing.assert_allclose(np.abs(projected[:, 0]), np.abs(along - along.mean()) * np.sqrt(2),
                             rtol=1e-2,
                             atol=0.05)
  assert np.std(projected[:, 1]) < 0.2


def test_scatter_plot_colours_each_class():
  points = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 0.2]])
  picture = codes.scatter_plot(points, np.array([0, 1, 2]), ['alaph', 'beth', 'gamal'])
  assert picture.dtype == np.uint8 and picture.ndim == 3
  for colour in codes.class_colours(3):
    assert np.any(np.all(picture == colour, axis=-1)), colour
