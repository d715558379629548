"""Sparse fully connected autoencoder: sigmoid hidden layers, mirrored back to the image."""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp


class Model(nn.Module):
  """Images (B, H, W, 1) in [0, 1] -> (reconstruction logits (B, H, W, 1), the sigmoid
  activations of every encoder layer), whose mean the task holds near a sparsity target.

  The encoder is Dense layers of `hidden` widths (e.g. 1024, or 1024-512), the last one the
  code; the decoder mirrors them back to H * W pixels. kernel_offset is added to every
  initial kernel entry: the research log's -0.05, which starts the sigmoid units nearly off
  (its alternative to the KL term for sparse units on dark-background letters).
  """

  image_shape: Sequence[int]
  hidden: Sequence[int] = (1024,)
  kernel_offset: float = 0.0
  dtype: Any = jnp.float32  # of the computation; parameters stay float32

  def setup(self):
    height, width = self.image_shape
    self.encoder_layers = [self.dense(size) for size in self.hidden]
    self.decoder_layers = [self.dense(size)
                           for size in (*reversed(self.hidden[:-1]), height * width)]

  def dense(self, size: int) -> nn.Dense:
    offset = self.kernel_offset
    base = nn.initializers.lecun_normal()
    return nn.Dense(size, dtype=self.dtype,
                    kernel_init=lambda *args: base(*args) + offset)

  def activations(self, x: jnp.ndarray) -> tuple[jnp.ndarray, ...]:
    """The sigmoid activations (B, width) of every encoder layer, the code last."""
    h = x.reshape((x.shape[0], -1))
    out = []
    for layer in self.encoder_layers:
      h = nn.sigmoid(layer(h))
      out.append(h)
    return tuple(out)

  def encode(self, x: jnp.ndarray) -> jnp.ndarray:
    """The code (B, hidden[-1])."""
    return self.activations(x)[-1].astype(jnp.float32)

  def __call__(self, x: jnp.ndarray) -> tuple[jnp.ndarray, tuple[jnp.ndarray, ...]]:
    hidden = self.activations(x)
    h = hidden[-1]
    for layer in self.decoder_layers[:-1]:
      h = nn.sigmoid(layer(h))
    logits = self.decoder_layers[-1](h).reshape(x.shape)
    return logits.astype(jnp.float32), hidden
