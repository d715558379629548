"""Label-preserving random changes to training batches, on device and from a key.

Only changes that keep what a task learns from are offered: a letter's identity and its
manuscript's date live in its shape, slant, width and stroke width, so the augmentations move
the letter and change its contrast, and never shear, stretch or thicken it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections

from hwr_jax.errors import ConfigError


def default_config() -> ml_collections.ConfigDict:
  """max_shift: largest translation, pixels, each axis (0: none); contrast: largest relative
  change of ink intensity (0: none)."""
  return ml_collections.ConfigDict(dict(max_shift=0, contrast=0.0))


def check_config(settings: ml_collections.ConfigDict) -> None:
  if not isinstance(settings.max_shift, int) or settings.max_shift < 0:
    raise ConfigError(f'augment.max_shift={settings.max_shift!r}: must be a whole number of '
                      'pixels, 0 or more')
  if not 0.0 <= settings.contrast < 1.0:
    raise ConfigError(f'augment.contrast={settings.contrast}: must be in [0, 1)')


def shift(images: jax.Array, rng: jax.Array, max_shift: int) -> jax.Array:
  """Moves each image (B, H, W, C) by its own whole-pixel offset in [-max_shift, max_shift]
  per axis; what comes in at the edges is background (0)."""
  if not max_shift:
    return images
  batch, height, width, _ = images.shape
  padded = jnp.pad(images, ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0)))
  offsets = jax.random.randint(rng, (batch, 2), 0, 2 * max_shift + 1)

  def crop(image, offset):
    return jax.lax.dynamic_slice(image, (offset[0], offset[1], 0),
                                 (height, width, image.shape[-1]))

  return jax.vmap(crop)(padded, offsets)


def scale_contrast(images: jax.Array, rng: jax.Array, contrast: float) -> jax.Array:
  """Multiplies each image (in [0, 1], ink bright) by its own factor in [1 - contrast,
  1 + contrast], clipped to [0, 1]: fainter or stronger ink on the same background."""
  if not contrast:
    return images
  factors = jax.random.uniform(rng, (images.shape[0], 1, 1, 1), images.dtype,
                               1.0 - contrast, 1.0 + contrast)
  return jnp.clip(images * factors, 0.0, 1.0)


def augment(images: jax.Array, rng: jax.Array, settings: ml_collections.ConfigDict) -> jax.Array:
  """Float images (B, H, W, C) in [0, 1], shifted and contrast-scaled as `settings` says."""
  shift_rng, contrast_rng = jax.random.split(rng)
  return scale_contrast(shift(images, shift_rng, settings.max_shift), contrast_rng,
                        settings.contrast)
