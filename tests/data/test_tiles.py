"""Tiles of pages of any size: where they go, how their outputs blend, and the paired tiles a
denoiser trains on."""

import numpy as np
import pytest

from hwr_jax.data import tiles
from hwr_jax.data.dataset import PageSet
from hwr_jax.errors import ConfigError

TILE, STRIDE = (16, 16), (8, 8)


def page(shape, seed=0):
  return np.random.default_rng(seed).integers(0, 256, shape).astype(np.uint8)


def identity(batch):
  return batch / 255.0


def test_origins_end_flush_with_a_side_that_is_not_a_multiple_of_the_stride():
  assert tiles.origins(50, 16, 8) == [0, 8, 16, 24, 32, 34]
  assert tiles.origins(16, 16, 8) == [0]
  assert tiles.origins(10, 16, 8) == [0]
  assert tiles.stride_for((64, 64), 0.5) == (32, 32)
  assert tiles.stride_for((64, 48), 0.0) == (64, 48)
  with pytest.raises(ConfigError, match='overlap'):
    tiles.stride_for((64, 64), 1.0)


def test_the_window_is_largest_in_the_centre_and_never_zero():
  weights = tiles.window((16, 10))
  assert weights.min() > 0 and weights.shape == (16, 10)
  assert weights[7:9, 4:6].min() == pytest.approx(weights.max())
  assert weights.max() > 4 * weights[0, 0]


@pytest.mark.parametrize('shape', [(50, 77), (16, 16), (10, 12), (16, 40), (9, 33)])
def test_a_model_that_returns_its_input_gives_the_page_back_at_its_size(shape):
  image = page(shape)
  (blended,) = tiles.blend([image], TILE, STRIDE, identity, batch_size=7)
  assert blended.shape == shape and blended.dtype == np.float32
  np.testing.assert_allclose(blended, image / 255.0, atol=1e-6)


def test_on_a_page_of_exactly_one_tile_the_blend_is_the_model_output():
  image = page(TILE, seed=1)
  ramp = np.linspace(0.2, 1.0, TILE[0] * TILE[1]).reshape(TILE)

  def model(batch):
    return (batch / 255.0) ** 2 * ramp

  (blended,) = tiles.blend([image], TILE, STRIDE, model, batch_size=4)
  np.testing.assert_allclose(blended, model(image[None])[0], rtol=1e-6)


def test_pages_share_batches_never_larger_than_the_batch_size_and_come_back_in_order():
  shapes = [(16, 16), (40, 23), (8, 8), (16, 16), (33, 50)]
  pages = [page(shape, seed) for seed, shape in enumerate(shapes)]
  sizes = []

  def model(batch):
    sizes.append(len(batch))
    return identity(batch)

  blended = list(tiles.blend(iter(pages), TILE, STRIDE, model, batch_size=5))
  assert [b.shape for b in blended] == shapes
  for image, out in zip(pages, blended):
    np.testing.assert_allclose(out, image / 255.0, atol=1e-6)
  expected = sum(len(tiles.tile_boxes(shape, TILE, STRIDE)) for shape in shapes)
  assert max(sizes) == 5 and sum(sizes) == expected


def test_training_tiles_pair_each_tile_of_a_page_with_the_same_tile_of_its_truth():
  images = (page((40, 23), 2), page((10, 12), 3))
  truths = tuple(np.where(image > 200, 255, 0).astype(np.uint8) for image in images)
  pages = PageSet(images, np.array(['a.png', 'b.png']), truths,
                  {'manuscript': np.array(['m1', 'm2'])})
  dataset = tiles.tile_dataset(pages, TILE, STRIDE)
  assert len(dataset) == 4 * 2 + 1 and dataset.image_shape == TILE
  assert dataset.names[1] == 'a_y0000_x0007' and dataset.names[-1] == 'b_y0000_x0000'
  np.testing.assert_array_equal(dataset.images[1], images[0][:16, 7:23])
  np.testing.assert_array_equal(dataset.targets[1], truths[0][:16, 7:23])
  assert dataset.metadata['manuscript'].tolist() == ['m1'] * 8 + ['m2']
  assert dataset.metadata['page'][-1] == 'b.png'
  # The small page is padded with its background, its truth with no ink.
  np.testing.assert_array_equal(dataset.images[-1][:10, :12], images[1])
  assert not dataset.targets[-1][10:].any() and not dataset.targets[-1][:, 12:].any()
  assert dataset.vocabulary.labels == ('?',)
