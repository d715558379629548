"""Bidirectional LSTM letter classifier that reads an image row by row.

Each image row is one time step (its pixels are the features), as in the original project's
handwriting BLSTM. `layers` > 1 stacks bidirectional layers, each reading the previous layer's
concatenated forward and backward outputs.
"""

from typing import Any, ClassVar

import flax.linen as nn
import jax.numpy as jnp


class Model(nn.Module):
  """Images (B, H, W, 1) in [0, 1] -> class logits (B, num_classes)."""

  num_classes: int
  hidden: int = 128
  layers: int = 1
  dropout: float = 0.0
  dtype: Any = jnp.float32  # of the computation; parameters stay float32
  # The output layer's name: the one Flax gave it before it was named, so that every saved
  # checkpoint still loads.
  head: ClassVar[str] = 'Dense_0'

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool = False) -> jnp.ndarray:
    sequence = x[..., 0]
    for _ in range(self.layers):
      sequence = nn.Bidirectional(
          nn.RNN(nn.OptimizedLSTMCell(self.hidden, dtype=self.dtype)),
          nn.RNN(nn.OptimizedLSTMCell(self.hidden, dtype=self.dtype)))(sequence)
      sequence = nn.Dropout(self.dropout, deterministic=not train)(sequence)
    # The forward pass has read every row at the last step, the backward pass at the first.
    summary = jnp.concatenate(
        [sequence[:, -1, :self.hidden], sequence[:, 0, self.hidden:]], axis=-1)
    self.sow('intermediates', 'features', summary)
    return nn.Dense(self.num_classes, dtype=self.dtype,
                    name=self.head)(summary).astype(jnp.float32)
