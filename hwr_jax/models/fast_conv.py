"""Strided and transposed 2-D convolutions that are exact everywhere and fast on XLA:CPU.

On XLA:CPU a convolution with input dilation (`lax.conv_transpose`, and the input gradient of
every strided convolution) and one with a reversed window (the kernel gradient of
`lax.conv_transpose`, jax-ml/jax#23783) miss the fast convolution path, which on this machine
made `nn.ConvTranspose` 10-20x slower than the same arithmetic done as a matrix product; and the
kernel gradient of a strided convolution slows down more than linearly with the batch. Here:

* a strided convolution is `lax.conv_general_dilated` over batch chunks (which keep its
  operands in cache); its input gradient is the transposed product below, and its kernel
  gradient XLA's own chunk by chunk, or for 1-channel inputs a product with the gathered taps;
* a transposed convolution is the adjoint of a strided convolution: its output is one matrix
  product to every kernel tap followed by an overlap-add, or one stride-1 convolution to the
  stride**2 output phases followed by a depth-to-space, whichever is faster for its sizes (see
  `_upsample`; kernels that are not a multiple of the stride keep lax's dilated convolution);
  its input gradient is the strided convolution and its kernel gradient as above, or, where
  the taps are small, one product with taps sliced from the gradient's stride-phase view;
* a stride-1 convolution is lax's, its input gradient the stride-1 convolution of the output
  gradient with the kernel reversed (lax's own is a transposed convolution that XLA:CPU runs
  more slowly), its kernel gradient XLA's over batch chunks as above;
* when the low-resolution side is a single pixel (the generator's first layer, the
  discriminator's last) either is one matrix product;
* constant input planes (a conditional discriminator's label) are not built: their share of a
  convolution is computed in closed form (`constant_planes_term`, `Conv(x, planes)`).

`conv` and `conv_transpose` compute exactly what `flax.linen.Conv` and `flax.linen.ConvTranspose`
(with `transpose_kernel=False`) compute, to float rounding, for NHWC inputs and HWIO kernels;
other platforms get the plain `lax` op, which is the fastest there. `Conv` and `ConvTranspose` are
the Linen layers, with flax's parameter names and shapes. The timings behind each choice are
printed by scripts/bench_conv.py.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
from flax.linen.dtypes import promote_dtype
from flax.linen.linear import canonicalize_padding
from jax import lax

Padding = str | Sequence[tuple[int, int]]
DIMENSIONS = ('NHWC', 'HWIO', 'NHWC')

# The transposed product is computed as one matrix product to every kernel tap followed by an
# overlap-add, unless all three of these hold, when one convolution to the stride**2 output phases
# is faster: the per-tap product exceeds this many bytes (it stops fitting in cache; the phase
# convolution's output is (kernel/stride)**2 times smaller: 1.1-1.9x faster from 48 to 256 MiB,
# 1.2x slower at 32 MiB) ...
_TAP_PRODUCT_BYTES = 32 << 20
# ... the phase convolution has at least this many output channels (with 4 it was 5x slower) ...
_MIN_PHASE_CHANNELS = 32
# ... and its arithmetic, which includes a border of the low-resolution map, is at most this
# multiple of the product's (a 4x4 input, 1.56x, was 1.3x slower by phase convolution at 64 MiB).
_MAX_PHASE_WORK = 1.5
# XLA:CPU's strided convolutions, and even more their kernel gradients (one convolution whose
# window is the whole map), slow down more than linearly with the batch once their operands
# leave the cache: the kernel gradient took 14x as long at B=256 as at B=64 on 32x32 maps.
# Batch chunks of about this many bytes of input and output, concatenated, made the
# convolution 1.1-2x faster at B=256 and up to 1.4x at B=64 ...
_CONV_CHUNK_BYTES = 2 << 20
# ... and chunks of about this many, their kernel gradients summed, made that 1.4-3.5x faster at
# B=256 (smaller chunks were slower again on 8x8 maps of 256 channels) ...
_KERNEL_GRADIENT_CHUNK_BYTES = 4 << 20
# ... except on narrow inputs, with at most this many input values per output pixel (a 4x4
# kernel on a 1-channel image): there the convolution is bound by writing its output and chunks
# add a copy (1.6x slower), and the kernel gradient is faster as a product with the gathered
# taps (1.5-2.5x).
_MAX_NARROW_WIDTH = 32
# XLA:CPU computes a convolution's kernel gradient on the input transposed to batch-minor, and
# fuses the transposition into whatever produced the input. In a transposed convolution's
# backward pass that producer is the next layer's batch-norm and activation gradient, and the
# fused transposing loop was the costliest op of the Fashion-MNIST GAN step (9 of 95 CPU ms at
# B=64). Taps sliced from the stride-phase view of that gradient and multiplied once avoid it:
# the step ran 1.1x faster at B=64; above this many bytes of taps (B=256, or the 64x64 GAN's
# wider maps) the slices cost more than they save.
_MAX_SLICED_TAP_BYTES = 16 << 20
# A stride-1 convolution's kernel gradient is XLA's too slow in the same way: 198 ms for a 3x3
# convolution of 16 channels on 32x32 maps at B=128 (the CNN classifier's second layer) and 571
# ms for 32 channels at B=64 (the Syriac GAN's generator), 49 and 73 ms over chunks of about
# this many bytes; chunks of 1-4 examples were slower again on the 32x32 maps.
_UNIT_STRIDE_CHUNK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class _Geometry:
  """A strided convolution from a high- to a low-resolution map: low[i] reads
  high[stride * i + k - before] for the kernel taps k (per spatial axis)."""

  strides: tuple[int, int]
  kernel: tuple[int, int]
  before: tuple[int, int]
  high: tuple[int, int]
  low: tuple[int, int]

  @property
  def padding(self) -> tuple[tuple[int, int], tuple[int, int]]:
    """The padding of the high-resolution map that makes the convolution exactly `low`."""
    return tuple((b, s * (n - 1) + k - h - b)
                 for s, k, b, h, n in zip(self.strides, self.kernel, self.before, self.high,
                                          self.low))


def _is_narrow(w_shape) -> bool:
  k0, k1, c_high, _ = w_shape
  return k0 * k1 * c_high <= _MAX_NARROW_WIDTH


def _downsample(x: jax.Array, w: jax.Array, geo: _Geometry,
                chunk_bytes: int = _CONV_CHUNK_BYTES) -> jax.Array:
  """lax's strided convolution, over batch chunks of about chunk_bytes."""
  def convolve(x):
    return lax.conv_general_dilated(x, w, geo.strides, geo.padding,
                                    dimension_numbers=DIMENSIONS)

  if _is_narrow(w.shape):
    return convolve(x)
  example_bytes = (x[0].size + math.prod(geo.low) * w.shape[3]) * x.dtype.itemsize
  chunk = max(1, chunk_bytes // example_bytes)
  return jnp.concatenate([convolve(x[i:i + chunk]) for i in range(0, x.shape[0], chunk)])


def _shifts(geo: _Geometry) -> tuple[int, int]:
  """Kernel taps k = stride * a + r split into shifts a and phases r: the shifts per axis."""
  return tuple(-(-k // s) for k, s in zip(geo.kernel, geo.strides))


def _phases_to_high(z: jax.Array, geo: _Geometry) -> jax.Array:
  """z (B, J0, J1, s0, s1, C), phase r of low position j, -> the high-resolution map:
  z[j, r] lands on high[stride * j + r - before] (negative padding crops)."""
  b, j0, j1, s0, s1, c = z.shape
  full = z.transpose(0, 1, 3, 2, 4, 5).reshape(b, j0 * s0, j1 * s1, c)
  return lax.pad(full, jnp.zeros((), full.dtype),
                 [(0, 0, 0)] + [(-b, h + b - f, 0) for b, h, f in
                                zip(geo.before, geo.high, full.shape[1:3])] + [(0, 0, 0)])


def _overlap_add(taps: jax.Array, geo: _Geometry) -> jax.Array:
  """taps (B, n0, n1, K0, K1, C) -> the high-resolution map, high[stride * i + k - before] +=
  taps[i, k]. Taps k = stride * a + r grouped by shift a (zero taps complete the last group)
  turn the scatter into one padded copy per shift, summed, which XLA fuses into one loop."""
  (a0, a1), (s0, s1) = _shifts(geo), geo.strides
  b, n0, n1, k0, k1, c = taps.shape
  taps = jnp.pad(taps, [(0, 0)] * 3 + [(0, a0 * s0 - k0), (0, a1 * s1 - k1), (0, 0)])
  taps = taps.reshape(b, n0, n1, a0, s0, a1, s1, c)
  z = sum(jnp.pad(taps[:, :, :, i, :, j],
                  [(0, 0), (i, a0 - 1 - i), (j, a1 - 1 - j), (0, 0), (0, 0), (0, 0)])
          for i in range(a0) for j in range(a1))
  return _phases_to_high(z, geo)


def _gathered_taps(x: jax.Array, geo: _Geometry) -> jax.Array:
  """taps[i, k] = x[stride * i + k - before], (B, n0, n1, K0, K1, C): the adjoint of
  `_overlap_add`, as XLA writes it from that."""
  taps = jax.ShapeDtypeStruct((x.shape[0], *geo.low, *geo.kernel, x.shape[3]), x.dtype)
  return jax.linear_transpose(lambda t: _overlap_add(t, geo), taps)(x)[0]


def _sliced_taps(x: jax.Array, geo: _Geometry) -> jax.Array:
  """`_gathered_taps` for kernels that are multiples of the stride: after padding, x viewed as
  (B, J0, s0, J1, s1, C) holds tap k = stride * a + r of low position i at [i + a, r], so each
  tap is a plain slice."""
  (a0, a1), (s0, s1) = _shifts(geo), geo.strides
  padding = [(0, 0, 0)] + [(b, s * (n + a - 1) - h - b, 0) for b, s, n, a, h in
                           zip(geo.before, geo.strides, geo.low, (a0, a1), geo.high)] + [(0, 0, 0)]
  x = lax.pad(x, jnp.zeros((), x.dtype), padding)
  b, h0, h1, c = x.shape
  x = x.reshape(b, h0 // s0, s0, h1 // s1, s1, c)
  (n0, n1), (k0, k1) = geo.low, geo.kernel
  return jnp.stack([x[:, i // s0:i // s0 + n0, i % s0, j // s1:j // s1 + n1, j % s1]
                    for i in range(k0) for j in range(k1)], axis=3)


def _transposed_kernel_gradient(g: jax.Array, y: jax.Array, w_shape, geo: _Geometry
                                ) -> jax.Array:
  """The kernel gradient of `_upsample(y, ., geo)` for the output cotangent g."""
  k0, k1, c_high, c_low = w_shape
  tap_bytes = y.size // c_low * k0 * k1 * c_high * g.dtype.itemsize
  if (_is_narrow(w_shape) or tap_bytes > _MAX_SLICED_TAP_BYTES
      or any(k % s for k, s in zip(geo.kernel, geo.strides))):
    return _kernel_gradient(g, y, w_shape, geo)
  taps = _sliced_taps(g, geo).reshape(-1, k0 * k1 * c_high)
  return (taps.T @ y.reshape(-1, c_low)).reshape(w_shape)


def _kernel_gradient(x: jax.Array, g: jax.Array, w_shape, geo: _Geometry,
                     chunk_bytes: int = _KERNEL_GRADIENT_CHUNK_BYTES) -> jax.Array:
  """The kernel gradient of `_downsample(x, ., geo)` for the output cotangent g."""
  if _is_narrow(w_shape):
    k0, k1, c_high, c_low = w_shape
    taps = _gathered_taps(x, geo).reshape(-1, k0 * k1 * c_high)
    return (taps.T @ g.reshape(-1, c_low)).reshape(w_shape)
  w = jax.ShapeDtypeStruct(w_shape, g.dtype)
  return jax.linear_transpose(lambda w: _downsample(x, w, geo, chunk_bytes), w)(g)[0]


def _upsample_by_tap_product(y: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  b, n0, n1, c_low = y.shape
  k0, k1, c_high, _ = w.shape
  taps = y.reshape(-1, c_low) @ w.transpose(3, 0, 1, 2).reshape(c_low, -1)
  return _overlap_add(taps.reshape(b, n0, n1, k0, k1, c_high), geo)


def _upsample_by_phase_conv(y: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  """For kernels that are multiples of the stride."""
  (a0, a1), (s0, s1) = _shifts(geo), geo.strides
  c_high, c_low = w.shape[2:]
  # Phase r of low position j sums y[j - a] @ w[stride * a + r]^T: a correlation with the
  # shift axis reversed, whose output channels are the phases.
  w = w.reshape(a0, s0, a1, s1, c_high, c_low)[::-1, :, ::-1]
  w = w.transpose(0, 2, 5, 1, 3, 4).reshape(a0, a1, c_low, s0 * s1 * c_high)
  z = lax.conv_general_dilated(y, w, (1, 1), [(a0 - 1, a0 - 1), (a1 - 1, a1 - 1)],
                               dimension_numbers=DIMENSIONS)
  return _phases_to_high(z.reshape(*z.shape[:3], s0, s1, c_high), geo)


def _upsample_by_dilated_conv(y: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  """What lax does: a convolution over y dilated by the stride."""
  high = jax.ShapeDtypeStruct((y.shape[0], *geo.high, w.shape[2]), y.dtype)
  return jax.linear_transpose(lambda x: _downsample(x, w, geo), high)(y)[0]


def _upsample(y: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  """The adjoint of `_downsample(., w, geo)`: high[stride * i + k - before] += y[i] @ w[k]^T."""
  if any(k % s for k, s in zip(geo.kernel, geo.strides)):
    # Both other ways would need zero taps, which made a 5x5 stride-2 kernel 1.3-2x slower.
    return _upsample_by_dilated_conv(y, w, geo)
  (k0, k1), (s0, s1), c_high = geo.kernel, geo.strides, w.shape[2]
  tap_bytes = y.size // y.shape[-1] * k0 * k1 * c_high * y.dtype.itemsize
  phase_work = math.prod((n + a - 1) / n for n, a in zip(geo.low, _shifts(geo)))
  if (tap_bytes > _TAP_PRODUCT_BYTES and c_high * s0 * s1 >= _MIN_PHASE_CHANNELS
      and phase_work <= _MAX_PHASE_WORK):
    return _upsample_by_phase_conv(y, w, geo)
  return _upsample_by_tap_product(y, w, geo)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _strided_conv(x: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  return _downsample(x, w, geo)


def _strided_conv_fwd(x, w, geo):
  return _downsample(x, w, geo), (x, w)


def _strided_conv_bwd(geo, residuals, g):
  x, w = residuals
  return _transposed_conv(g, w, geo), _kernel_gradient(x, g, w.shape, geo)


_strided_conv.defvjp(_strided_conv_fwd, _strided_conv_bwd)


def _unit_stride_input_gradient(g: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  """The input gradient of a stride-1 convolution: a stride-1 convolution of g with the kernel
  reversed and its channels swapped, which XLA:CPU computes on its fast path (lax's own
  gradient is a transposed convolution that it computes more slowly)."""
  padding = [(k - 1 - b, k - 1 - a) for k, (b, a) in zip(geo.kernel, geo.padding)]
  return lax.conv_general_dilated(g, w[::-1, ::-1].transpose(0, 1, 3, 2), (1, 1), padding,
                                  dimension_numbers=DIMENSIONS)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _unit_stride_conv(x: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  return lax.conv_general_dilated(x, w, (1, 1), geo.padding, dimension_numbers=DIMENSIONS)


def _unit_stride_conv_fwd(x, w, geo):
  return _unit_stride_conv(x, w, geo), (x, w)


def _unit_stride_conv_bwd(geo, residuals, g):
  x, w = residuals
  return (_unit_stride_input_gradient(g, w, geo),
          _kernel_gradient(x, g, w.shape, geo, _UNIT_STRIDE_CHUNK_BYTES))


_unit_stride_conv.defvjp(_unit_stride_conv_fwd, _unit_stride_conv_bwd)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _transposed_conv(y: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  return _upsample(y, w, geo)


def _transposed_conv_fwd(y, w, geo):
  return _upsample(y, w, geo), (y, w)


def _transposed_conv_bwd(geo, residuals, g):
  y, w = residuals
  return _strided_conv(g, w, geo), _transposed_kernel_gradient(g, y, w.shape, geo)


_transposed_conv.defvjp(_transposed_conv_fwd, _transposed_conv_bwd)


def _dense_downsample(x: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  """`_downsample` to a 1x1 map: the window covers the padded input, one matrix product."""
  x = lax.pad(x, jnp.zeros((), x.dtype), [(0, 0, 0), *((b, a, 0) for b, a in geo.padding),
                                          (0, 0, 0)])
  return (x.reshape(x.shape[0], -1) @ w.reshape(-1, w.shape[3]))[:, None, None, :]


def _dense_upsample(y: jax.Array, w: jax.Array, geo: _Geometry) -> jax.Array:
  """`_upsample` from a 1x1 map: one matrix product to every tap, which nothing overlaps."""
  k0, k1, c_high, c_low = w.shape
  taps = y.reshape(-1, c_low) @ w.transpose(3, 0, 1, 2).reshape(c_low, -1)
  return _phases_to_high(taps.reshape(-1, 1, 1, k0, k1, c_high), geo)


def _pairs(value: int | Sequence[int]) -> tuple[int, int]:
  return (value, value) if isinstance(value, int) else tuple(value)


def _transpose_padding(kernel: int, stride: int, padding: str | tuple[int, int]
                       ) -> tuple[int, int]:
  """The padding `lax.conv_transpose` gives its input-dilated convolution."""
  if not isinstance(padding, str):
    return tuple(padding)
  if padding == 'SAME':
    total = kernel + stride - 2
    before = kernel - 1 if stride > kernel - 1 else -(-total // 2)
  elif padding == 'VALID':
    total = kernel + stride - 2 + max(kernel - stride, 0)
    before = kernel - 1
  else:
    raise ValueError(f'padding={padding!r}: expected SAME, VALID or explicit pairs')
  return before, total - before


def conv(x: jax.Array, kernel: jax.Array, strides: int | Sequence[int] = 1,
         padding: Padding = 'SAME') -> jax.Array:
  """`lax.conv_general_dilated(x, kernel, strides, padding)` for NHWC x and HWIO kernel."""
  strides = _pairs(strides)

  def reference(x, kernel):
    return lax.conv_general_dilated(x, kernel, strides, padding, dimension_numbers=DIMENSIONS)

  pads = (lax.padtype_to_pads(x.shape[1:3], kernel.shape[:2], strides, padding)
          if isinstance(padding, str) else padding)
  high, k = x.shape[1:3], kernel.shape[:2]
  low = tuple((h + b + a - kk) // s + 1 for h, (b, a), kk, s in zip(high, pads, k, strides))
  geo = _Geometry(strides, k, tuple(b for b, _ in pads), high, low)
  if low == (1, 1):
    fast = functools.partial(_dense_downsample, geo=geo)
  elif strides != (1, 1):
    fast = functools.partial(_strided_conv, geo=geo)
  else:
    fast = functools.partial(_unit_stride_conv, geo=geo)
  return lax.platform_dependent(x, kernel, cpu=fast, default=reference)


def conv_transpose(x: jax.Array, kernel: jax.Array, strides: int | Sequence[int] = 1,
                   padding: Padding = 'SAME') -> jax.Array:
  """`lax.conv_transpose(x, kernel, strides, padding)` (transpose_kernel=False) for NHWC x and
  HWIO kernel, as `flax.linen.ConvTranspose` computes it."""
  strides = _pairs(strides)

  def reference(x, kernel):
    return lax.conv_transpose(x, kernel, strides, padding, dimension_numbers=DIMENSIONS)

  k = kernel.shape[:2]
  sides = [padding] * 2 if isinstance(padding, str) else padding
  pads = [_transpose_padding(kk, s, p) for kk, s, p in zip(k, strides, sides)]
  low = x.shape[1:3]
  high = tuple(s * (n - 1) + b + a - kk + 2 for s, n, (b, a), kk in zip(strides, low, pads, k))
  geo = _Geometry(strides, k, tuple(kk - 1 - b for kk, (b, _) in zip(k, pads)), high, low)
  if low == (1, 1):
    upsample = functools.partial(_dense_upsample, geo=geo)
  elif strides != (1, 1):
    upsample = functools.partial(_transposed_conv, geo=geo)
  else:
    return reference(x, kernel)

  def fast(x, kernel):
    # Without transpose_kernel, lax reads the kernel spatially reversed with input and output
    # swapped relative to the strided convolution it is the adjoint of.
    return upsample(x, kernel[::-1, ::-1].transpose(0, 1, 3, 2))

  return lax.platform_dependent(x, kernel, cpu=fast, default=reference)


def constant_planes_term(planes: jax.Array, kernel: jax.Array, high: Sequence[int],
                         strides: int | Sequence[int] = 1, padding: Padding = 'SAME'
                         ) -> jax.Array:
  """`conv` of P constant planes, plane p of image b filled with planes[b, p] (B, P), for the
  kernel (K0, K1, P, O), without building the planes: each output pixel is planes[b] times the
  sum of the kernel taps that fall inside the (zero-padded) high x high map there."""
  k0, k1, p, o = kernel.shape
  ones = jnp.ones((1, *high, 1), kernel.dtype)
  tap_sums = lax.conv_general_dilated(ones, kernel.reshape(k0, k1, 1, p * o), _pairs(strides),
                                      padding, dimension_numbers=DIMENSIONS)
  _, n0, n1, _ = tap_sums.shape
  tap_sums = tap_sums.reshape(n0, n1, p, o).transpose(2, 0, 1, 3).reshape(p, n0 * n1 * o)
  return (planes @ tap_sums).reshape(-1, n0, n1, o)


class _ConvLayer(nn.Module):
  """flax's convolution layer attributes and parameters, for NHWC inputs and 2-D kernels."""

  features: int
  kernel_size: Sequence[int]
  strides: int | Sequence[int] = 1
  padding: str | int | Sequence[int | tuple[int, int]] = 'SAME'
  use_bias: bool = True
  dtype: Any = None  # of the computation; None: the inputs' and parameters' common dtype
  param_dtype: Any = jnp.float32
  kernel_init: nn.initializers.Initializer = nn.linear.default_kernel_init
  bias_init: nn.initializers.Initializer = nn.initializers.zeros_init()

  def parameters(self, in_features: int) -> tuple[jax.Array, jax.Array | None]:
    kernel = self.param('kernel', self.kernel_init,
                        (*self.kernel_size, in_features, self.features), self.param_dtype)
    bias = (self.param('bias', self.bias_init, (self.features,), self.param_dtype)
            if self.use_bias else None)
    return kernel, bias

  def add_bias(self, y: jax.Array, bias: jax.Array | None) -> jax.Array:
    return y + bias if self.use_bias else y


class Conv(_ConvLayer):
  """Drop-in for `flax.linen.Conv`, computed by `conv`.

  `planes` (B, P), when given, are P constant input planes after x's channels: the layer is
  `flax.linen.Conv` on x with those planes concatenated (its kernel has F + P input channels,
  so parameters and checkpoints are the same), computed without building them, by
  `constant_planes_term`. This is how a conditional discriminator joins its label."""

  @nn.compact
  def __call__(self, x: jax.Array, planes: jax.Array | None = None) -> jax.Array:
    if planes is not None and not planes.shape[-1]:
      planes = None  # an unconditional model's (B, 0) labels
    features = x.shape[-1]
    kernel, bias = self.parameters(features + (0 if planes is None else planes.shape[-1]))
    x, kernel, bias = promote_dtype(x, kernel, bias, dtype=self.dtype)
    padding = canonicalize_padding(self.padding, 2)
    y = conv(x, kernel[:, :, :features], self.strides, padding)
    if planes is not None:
      y = y + constant_planes_term(planes.astype(y.dtype), kernel[:, :, features:],
                                   x.shape[1:3], self.strides, padding)
    return self.add_bias(y, bias)


class ConvTranspose(_ConvLayer):
  """Drop-in for `flax.linen.ConvTranspose` (transpose_kernel=False), computed by
  `conv_transpose`."""

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    kernel, bias = self.parameters(x.shape[-1])
    x, kernel, bias = promote_dtype(x, kernel, bias, dtype=self.dtype)
    y = conv_transpose(x, kernel, self.strides, canonicalize_padding(self.padding, 2))
    return self.add_bias(y, bias)
