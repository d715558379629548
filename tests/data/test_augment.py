"""Tests for hwr_jax.data.augment: shifts move letters whole, contrast stays in range, keys
decide everything, and nothing changes when augmentation is off."""

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from hwr_jax.data import augment
from hwr_jax.errors import ConfigError


def letters(batch=8, size=12):
  images = np.zeros((batch, size, size, 1), np.float32)
  images[:, 4:8, 5:7] = 1.0  # away from the border, so a shift of 2 loses nothing
  return jnp.asarray(images)


def settings(max_shift=0, contrast=0.0):
  config = augment.default_config()
  config.update(max_shift=max_shift, contrast=contrast)
  return config


def test_shift_moves_each_letter_whole_by_at_most_max_shift():
  images = letters()
  shifted = np.asarray(augment.shift(images, jax.random.key(0), 2))
  np.testing.assert_array_equal(shifted.sum(axis=(1, 2, 3)), images.sum(axis=(1, 2, 3)))
  offsets = set()
  for image in shifted[..., 0]:
    rows, columns = np.nonzero(image)
    assert rows.min() - 4 in range(-2, 3) and columns.min() - 5 in range(-2, 3)
    offsets.add((rows.min(), columns.min()))
  assert len(offsets) > 1


def test_contrast_scales_ink_within_bounds():
  scaled = np.asarray(augment.scale_contrast(letters() * 0.8, jax.random.key(1), 0.3))
  ink = scaled[:, 5, 5, 0]
  assert np.all(ink >= 0.8 * 0.7 - 1e-6) and np.all(ink <= min(0.8 * 1.3, 1.0) + 1e-6)
  assert len(np.unique(ink)) > 1 and scaled[:, 0, 0, 0].max() == 0.0


def test_same_key_same_batch_and_off_means_unchanged():
  images = letters()
  on = settings(max_shift=2, contrast=0.2)
  np.testing.assert_array_equal(augment.augment(images, jax.random.key(3), on),
                                augment.augment(images, jax.random.key(3), on))
  assert not np.array_equal(augment.augment(images, jax.random.key(3), on),
                            augment.augment(images, jax.random.key(4), on))
  np.testing.assert_array_equal(augment.augment(images, jax.random.key(3), settings()), images)


@pytest.mark.parametrize('bad, needle', [(dict(max_shift=-1), 'max_shift'),
                                         (dict(contrast=1.0), 'contrast')])
def test_bad_settings_are_named(bad, needle):
  with pytest.raises(ConfigError, match=needle):
    augment.check_config(settings(**bad))


def test_a_fractional_shift_is_refused():
  """A config file may build its own block, where ConfigDict's type check does not reach."""
  with pytest.raises(ConfigError, match='max_shift=1.5: must be a whole number'):
    augment.check_config(ml_collections.ConfigDict(dict(max_shift=1.5, contrast=0.0)))


def full_settings(**values):
  config = augment.default_config()
  config.update(values)
  return config


NEW_SETTINGS = dict(rotation=10.0, scale=0.2, thickness=1)


@pytest.mark.parametrize('values', [dict(rotation=10.0), dict(scale=0.2), dict(thickness=2),
                                    dict(max_shift=2, contrast=0.2, **NEW_SETTINGS)])
def test_new_augmentations_keep_shapes_and_follow_the_key(values):
  images = letters(size=16)
  on = full_settings(**values)
  first = augment.augment(images, jax.random.key(3), on)
  assert first.shape == images.shape and first.dtype == images.dtype
  np.testing.assert_array_equal(first, augment.augment(images, jax.random.key(3), on))
  assert not np.array_equal(first, augment.augment(images, jax.random.key(4), on))
  assert float(first.min()) >= 0.0 and float(first.max()) <= 1.0


def test_no_turn_no_resize_and_no_stroke_change_give_the_images_back():
  images = jax.random.uniform(jax.random.key(0), (4, 15, 16, 1))
  np.testing.assert_array_equal(
      augment.rotate_and_scale(images, jnp.zeros(4), jnp.ones(4)), images)
  np.testing.assert_array_equal(
      augment.change_stroke_width(images, jnp.zeros(4, jnp.int32), 2), images)
  np.testing.assert_array_equal(augment.augment(images, jax.random.key(1), full_settings()),
                                images)


def test_a_shift_moves_the_ink_by_the_drawn_offset():
  images = letters()
  key = jax.random.key(5)
  offsets = np.asarray(augment.shift_offsets(key, len(images), 2))
  shifted = np.asarray(augment.shift(images, key, 2))
  assert np.abs(offsets).max() <= 2 and len({tuple(o) for o in offsets}) > 1
  for image, (down, right) in zip(shifted[..., 0], offsets):
    rows, columns = np.nonzero(image)
    assert (rows.min(), rows.max(), columns.min(), columns.max()) == (
        4 + down, 7 + down, 5 + right, 6 + right)


def test_a_quarter_turn_takes_the_top_to_the_right_and_doubling_doubles_the_extent():
  image = np.zeros((1, 9, 9, 1), np.float32)
  image[0, 1, 4] = 1.0  # straight above the centre (4, 4)
  turned = np.asarray(augment.rotate_and_scale(jnp.asarray(image), jnp.array([90.0]),
                                               jnp.ones(1)))[0, ..., 0]
  assert np.unravel_index(np.argmax(turned), turned.shape) == (4, 7)
  np.testing.assert_allclose(turned.max(), 1.0, atol=1e-5)
  bar = np.zeros((1, 17, 17, 1), np.float32)
  bar[0, 8, 6:11] = 1.0  # five pixels wide about the centre
  wider = np.asarray(augment.rotate_and_scale(jnp.asarray(bar), jnp.zeros(1),
                                              jnp.array([2.0])))[0, ..., 0]
  columns = np.flatnonzero(wider[8] > 0.5)
  assert (columns.min(), columns.max()) == (4, 12)


def test_stroke_width_grows_and_shrinks_by_a_pixel():
  image = np.zeros((2, 9, 9, 1), np.float32)
  image[:, 4, 4] = 1.0
  image[1, 2:7, 3:6] = 1.0  # a stroke three pixels wide
  out = np.asarray(augment.change_stroke_width(jnp.asarray(image), jnp.array([1, -1]),
                                               1))[..., 0]
  np.testing.assert_array_equal(np.argwhere(out[0]).min(0), [3, 3])
  np.testing.assert_array_equal(np.argwhere(out[0]).max(0), [5, 5])
  assert out[0].sum() == 9
  np.testing.assert_array_equal(np.argwhere(out[1]), [[3, 4], [4, 4], [5, 4]])


def test_a_recorded_config_without_the_new_settings_augments_as_before():
  images = letters()
  recorded = ml_collections.ConfigDict(dict(max_shift=2, contrast=0.2))
  np.testing.assert_array_equal(augment.augment(images, jax.random.key(2), recorded),
                                augment.augment(images, jax.random.key(2),
                                                full_settings(max_shift=2, contrast=0.2)))
  augment.check_config(recorded)


@pytest.mark.parametrize('bad, needle', [
    (dict(rotation=60.0), r'augment.rotation=60.0: must be in \[0, 45.0\]'),
    (dict(scale=1.0), r'augment.scale=1.0: must be in \[0, 1\)'),
    (dict(thickness=-1), 'augment.thickness=-1: must be a whole number')])
def test_bad_new_settings_are_named(bad, needle):
  with pytest.raises(ConfigError, match=needle):
    augment.check_config(full_settings(**bad))
