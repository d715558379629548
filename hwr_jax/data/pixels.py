"""Pixel conversions done on device, so batches travel as bytes: uint8 letters to the float
ranges the models read and back."""

import jax
import jax.numpy as jnp


def images_to_float(images: jax.Array) -> jax.Array:
  """uint8 (B, H, W, 1) -> float32 in [0, 1]."""
  return images.astype(jnp.float32) / 255.0


def images_to_signed(images: jax.Array) -> jax.Array:
  """uint8 (B, H, W, 1) -> float32 in [-1, 1], the range of the generator's tanh."""
  return images.astype(jnp.float32) / 127.5 - 1.0


def signed_to_images(x: jax.Array) -> jax.Array:
  """[-1, 1] -> uint8 (B, H, W)."""
  return jnp.round((jnp.clip(x[..., 0], -1, 1) + 1) * 127.5).astype(jnp.uint8)
