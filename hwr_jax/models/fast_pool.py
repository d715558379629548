"""Max pooling over non-overlapping windows, exact everywhere and fast on XLA:CPU.

`flax.linen.max_pool` is `lax.reduce_window`, whose gradient JAX computes by carrying the
position of each window's maximum through a variadic reduce-window: one int32 map of the
input's size per window axis, written by an iota and read back by a scatter. In the CNN
classifier's step at B=128 those passes were about 150 of 920 CPU ms. When the windows tile the
map (strides equal to the window, no padding), the pooling is a reshape and a max that also
records, in one byte per output, which element of the window was the first of its maxima in
row-major order; the gradient goes there, as lax's does (a plain `jnp.max` would share it
among tied maxima, as after a ReLU), in one elementwise pass. Other platforms get
`flax.linen.max_pool`.
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
from jax import lax


def _tiles(x: jax.Array, window: tuple[int, int]) -> jax.Array:
  """x (B, H, W, C), H and W multiples of the window -> (B, H // p0, p0, W // p1, p1, C)."""
  b, h, w, c = x.shape
  p0, p1 = window
  return x.reshape(b, h // p0, p0, w // p1, p1, c)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1,))
def _tiled_max_pool(x: jax.Array, window: tuple[int, int]) -> jax.Array:
  return jnp.max(_tiles(x, window), axis=(2, 4))


def _tiled_max_pool_fwd(x, window):
  # The maxima and their positions from one materialised x: XLA could otherwise fuse x's
  # producer (batch norm and ReLU) into each of them and round it differently in each, so that
  # no element of a window equals its maximum any more.
  tiles = _tiles(lax.optimization_barrier(x), window)
  y = jnp.max(tiles, axis=(2, 4))
  first = jnp.full(y.shape, window[0] * window[1] - 1, jnp.int8)
  for i in reversed(range(window[0])):
    for j in reversed(range(window[1])):
      first = jnp.where(tiles[:, :, i, :, j] == y, jnp.int8(i * window[1] + j), first)
  return y, first


def _tiled_max_pool_bwd(window, first, g):
  zero = jnp.zeros((), g.dtype)
  grads = jnp.stack([jnp.stack([jnp.where(first == i * window[1] + j, g, zero)
                                for j in range(window[1])], axis=3)
                     for i in range(window[0])], axis=2)
  b, n0, p0, n1, p1, c = grads.shape
  return (grads.reshape(b, n0 * p0, n1 * p1, c),)


_tiled_max_pool.defvjp(_tiled_max_pool_fwd, _tiled_max_pool_bwd)


def max_pool(x: jax.Array, window: tuple[int, int]) -> jax.Array:
  """`flax.linen.max_pool(x, window, strides=window)` (VALID) for NHWC x."""
  window = tuple(window)

  def reference(x):
    return nn.max_pool(x, window, strides=window)

  def tiled(x):
    # VALID pooling ignores the rows and columns past the last whole window.
    _, h, w, _ = x.shape
    return _tiled_max_pool(x[:, :h - h % window[0], :w - w % window[1]], window)

  return lax.platform_dependent(x, cpu=tiled, default=reference)
