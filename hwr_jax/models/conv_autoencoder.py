"""Convolutional autoencoder whose transposed convolutions reuse the encoder's kernels.

The encoder is strided 4x4 convolutions (stride 2, no pooling) down to a small code: with
features (16, 32, 4), 32x32 letters become 4x4x4 = 64 numbers (28x28 images too: 28, 14, 7, 4).
Each decoder layer is the adjoint (transpose) of the matching encoder convolution. Tied, it reads
that convolution's kernel itself, so one parameter gets its gradient from both paths; untied, it
has a kernel of its own of the same shape. Kernels start Xavier (Glorot) uniform.
"""

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from hwr_jax.models import fast_conv

STRIDE = 2


def conv_down(x: jax.Array, kernel: jax.Array) -> jax.Array:
  """The encoder's strided convolution, kernel (K, K, C_in, C_out)."""
  return fast_conv.conv(x, kernel, STRIDE, 'SAME')


def conv_up(y: jax.Array, kernel: jax.Array, size: Sequence[int]) -> jax.Array:
  """The adjoint of `conv_down` with the same kernel, back to the (H, W) `size` it read.

  lax's transposed convolution reads its kernel spatially reversed with input and output
  swapped, hence the flip. It gives 2x the low resolution; an odd `size` (7 from 4) is its
  first rows and columns, as SAME padding puts the same one row before both."""
  up = fast_conv.conv_transpose(y, kernel[::-1, ::-1].transpose(0, 1, 3, 2), STRIDE, 'SAME')
  return up[:, :size[0], :size[1]]


class Model(nn.Module):
  """Images (B, H, W, 1) in [0, 1] -> (reconstruction logits (B, H, W, 1), ()): no layer is
  held sparse. `encode` gives the flattened code."""

  image_shape: Sequence[int]
  features: Sequence[int] = (16, 32, 4)
  kernel_size: int = 4
  tied: bool = True
  dtype: Any = jnp.float32  # of the computation; parameters stay float32

  def setup(self):
    channels = (1, *self.features)
    shapes = [(self.kernel_size, self.kernel_size, c_in, c_out)
              for c_in, c_out in zip(channels[:-1], channels[1:])]
    init = nn.initializers.xavier_uniform()
    self.kernels = [self.param(f'kernel_{i}', init, shape) for i, shape in enumerate(shapes)]
    self.biases = [self.param(f'bias_{i}', nn.initializers.zeros, (shape[3],))
                   for i, shape in enumerate(shapes)]
    self.decoder_kernels = self.kernels if self.tied else [
        self.param(f'decoder_kernel_{i}', init, shape) for i, shape in enumerate(shapes)]
    self.decoder_biases = [self.param(f'decoder_bias_{i}', nn.initializers.zeros, (shape[2],))
                           for i, shape in enumerate(shapes)]

  def sizes(self) -> list[tuple[int, int]]:
    """The (H, W) each encoder layer reads: SAME padding halves a side, rounding up."""
    size = tuple(self.image_shape)
    out = []
    for _ in self.features:
      out.append(size)
      size = tuple(-(-side // STRIDE) for side in size)
    return out

  def code_map(self, x: jnp.ndarray) -> jnp.ndarray:
    """The code as a map (B, h, w, features[-1]); the last layer is linear."""
    h = x.astype(self.dtype)
    last = len(self.kernels) - 1
    for i, (kernel, bias) in enumerate(zip(self.kernels, self.biases)):
      h = conv_down(h, kernel.astype(self.dtype)) + bias.astype(self.dtype)
      if i < last:
        h = nn.relu(h)
    return h

  def decode(self, code: jnp.ndarray) -> jnp.ndarray:
    """Reconstruction logits (B, H, W, 1) of a code map."""
    h = code
    for i in reversed(range(len(self.decoder_kernels))):
      h = conv_up(h, self.decoder_kernels[i].astype(self.dtype), self.sizes()[i])
      h = h + self.decoder_biases[i].astype(self.dtype)
      if i:
        h = nn.relu(h)
    return h.astype(jnp.float32)

  def encode(self, x: jnp.ndarray) -> jnp.ndarray:
    """The code (B, h * w * features[-1])."""
    code = self.code_map(x)
    return code.reshape((code.shape[0], -1)).astype(jnp.float32)

  def __call__(self, x: jnp.ndarray) -> tuple[jnp.ndarray, tuple[jnp.ndarray, ...]]:
    return self.decode(self.code_map(x)), ()
