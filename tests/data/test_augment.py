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
