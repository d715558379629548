"""Label-preserving random changes to training batches, on device and from a key.

Only changes that keep what a task learns from are offered, and each is off (0) by default. A
letter's manuscript's date lives in its shape, slant, width and stroke width, so dating only
moves the letter and changes its contrast. A letter's identity also survives a small rotation,
a uniform change of size and a pixel more or less of stroke width, which letter classification
may add (a new hand with a few hundred letters needs them). Nothing shears, stretches one axis
or flips: a mirrored Syriac letter is another letter, or none.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_collections

from hwr_jax.errors import ConfigError


# The largest rotation offered: beyond it a letter starts to look like another one.
MAX_ROTATION = 45.0


def default_config() -> ml_collections.ConfigDict:
  """max_shift: largest translation, pixels, each axis; contrast: largest relative change of
  ink intensity; rotation: largest turn, degrees, either way; scale: largest relative change of
  size; thickness: largest change of stroke width, whole pixels of dilation or erosion. 0 turns
  each off."""
  return ml_collections.ConfigDict(dict(max_shift=0, contrast=0.0, rotation=0.0, scale=0.0,
                                        thickness=0))


def settings_of(settings: ml_collections.ConfigDict) -> dict:
  """Every setting, with 0 for those a config recorded before they existed lacks."""
  return {**default_config().to_dict(), **settings.to_dict()}


def active(settings: ml_collections.ConfigDict) -> bool:
  """Whether `settings` change anything at all."""
  return any(settings_of(settings).values())


def check_config(settings: ml_collections.ConfigDict) -> None:
  values = settings_of(settings)
  for name in ('max_shift', 'thickness'):
    if not isinstance(values[name], int) or values[name] < 0:
      raise ConfigError(f'augment.{name}={values[name]!r}: must be a whole number of '
                        'pixels, 0 or more')
  for name in ('contrast', 'scale'):
    if not 0.0 <= values[name] < 1.0:
      raise ConfigError(f'augment.{name}={values[name]}: must be in [0, 1)')
  if not 0.0 <= values['rotation'] <= MAX_ROTATION:
    raise ConfigError(f'augment.rotation={values["rotation"]}: must be in [0, {MAX_ROTATION}] '
                      'degrees')


def shift_offsets(rng: jax.Array, batch: int, max_shift: int) -> jax.Array:
  """The (B, 2) whole-pixel moves (down, right) that `shift` draws from `rng`, each in
  [-max_shift, max_shift]."""
  return max_shift - jax.random.randint(rng, (batch, 2), 0, 2 * max_shift + 1)


def translate(images: jax.Array, offsets: jax.Array, limit: int) -> jax.Array:
  """Moves each image (B, H, W, C) down and right by its (B, 2) whole-pixel offset, each in
  [-limit, limit]; what comes in at the edges is background (0)."""
  _, height, width, _ = images.shape
  padded = jnp.pad(images, ((0, 0), (limit, limit), (limit, limit), (0, 0)))

  def crop(image, offset):
    return jax.lax.dynamic_slice(image, (limit - offset[0], limit - offset[1], 0),
                                 (height, width, image.shape[-1]))

  return jax.vmap(crop)(padded, offsets)


def shift(images: jax.Array, rng: jax.Array, max_shift: int) -> jax.Array:
  """Moves each image (B, H, W, C) by its own whole-pixel offset in [-max_shift, max_shift]
  per axis (`shift_offsets`); what comes in at the edges is background (0)."""
  if not max_shift:
    return images
  return translate(images, shift_offsets(rng, images.shape[0], max_shift), max_shift)


def rotate_and_scale(images: jax.Array, degrees: jax.Array, factors: jax.Array) -> jax.Array:
  """Turns each image (B, H, W, C) by its angle (degrees, clockwise on screen) and resizes it by
  its factor, about its centre, in one bilinear resampling; what comes in from outside is
  background (0). An angle of 0 and a factor of 1 give the image back unchanged."""
  _, height, width, channels = images.shape
  rows, columns = jnp.meshgrid(jnp.arange(height, dtype=jnp.float32),
                               jnp.arange(width, dtype=jnp.float32), indexing='ij')
  centre_row, centre_column = (height - 1) / 2, (width - 1) / 2
  down, right = rows - centre_row, columns - centre_column

  def resample(image, angle, factor):
    # Each output pixel reads the input where the inverse turn and resize take it.
    cos, sin = jnp.cos(jnp.deg2rad(angle)), jnp.sin(jnp.deg2rad(angle))
    source = ((cos * down - sin * right) / factor + centre_row,
              (sin * down + cos * right) / factor + centre_column)
    return jnp.stack([jax.scipy.ndimage.map_coordinates(image[..., c], source, order=1,
                                                        mode='constant', cval=0.0)
                      for c in range(channels)], axis=-1)

  return jax.vmap(resample)(images, degrees.astype(jnp.float32),
                            factors.astype(jnp.float32)).astype(images.dtype)


def change_stroke_width(images: jax.Array, pixels: jax.Array, limit: int) -> jax.Array:
  """Thickens the ink of each image (B, H, W, C; ink bright) by its whole number of pixels
  (grey dilation: the brightest of each 3x3 neighbourhood, once per pixel), or thins it by minus
  that (grey erosion); 0 leaves the image as it is. Each amount is in [-limit, limit]."""
  window, strides = (1, 3, 3, 1), (1, 1, 1, 1)
  amounts = pixels.reshape(-1, 1, 1, 1)
  out = images
  for pixel in range(1, limit + 1):
    thicker = jax.lax.reduce_window(out, -jnp.inf, jax.lax.max, window, strides, 'SAME')
    thinner = jax.lax.reduce_window(out, jnp.inf, jax.lax.min, window, strides, 'SAME')
    out = jnp.where(amounts >= pixel, thicker, jnp.where(amounts <= -pixel, thinner, out))
  return out


def scale_contrast(images: jax.Array, rng: jax.Array, contrast: float) -> jax.Array:
  """Multiplies each image (in [0, 1], ink bright) by its own factor in [1 - contrast,
  1 + contrast], clipped to [0, 1]: fainter or stronger ink on the same background."""
  if not contrast:
    return images
  factors = jax.random.uniform(rng, (images.shape[0], 1, 1, 1), images.dtype,
                               1.0 - contrast, 1.0 + contrast)
  return jnp.clip(images * factors, 0.0, 1.0)


def augment(images: jax.Array, rng: jax.Array, settings: ml_collections.ConfigDict) -> jax.Array:
  """Float images (B, H, W, C) in [0, 1], as `settings` says: stroke width changed, turned and
  resized, shifted, contrast-scaled, each image by its own amounts drawn from `rng`."""
  values = settings_of(settings)
  batch = images.shape[0]
  # Shift and contrast draw from the keys they always have, so that a config without the
  # later settings changes its batches exactly as it did before they existed.
  shift_rng, contrast_rng = jax.random.split(rng)
  width_rng, angle_rng, size_rng = jax.random.split(jax.random.fold_in(rng, 1), 3)
  if values['thickness']:
    pixels = jax.random.randint(width_rng, (batch,), -values['thickness'],
                                values['thickness'] + 1)
    images = change_stroke_width(images, pixels, values['thickness'])
  if values['rotation'] or values['scale']:
    degrees = jax.random.uniform(angle_rng, (batch,), jnp.float32, -values['rotation'],
                                 values['rotation'])
    factors = jax.random.uniform(size_rng, (batch,), jnp.float32, 1.0 - values['scale'],
                                 1.0 + values['scale'])
    images = rotate_and_scale(images, degrees, factors)
  return scale_contrast(shift(images, shift_rng, values['max_shift']), contrast_rng,
                        values['contrast'])
