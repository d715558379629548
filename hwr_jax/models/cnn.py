"""CNN letter classifier: blocks of 3x3 convolutions with batch norm, max pooling, dense head."""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp


class Model(nn.Module):
  """Images (B, H, W, 1) in [0, 1] -> class logits (B, num_classes).

  The penultimate activations are sown as intermediates/features, the feature space later used
  to score generated letters.
  """

  num_classes: int
  features: Sequence[int] = (32, 64, 128)
  convs_per_block: int = 2
  dense: int = 256
  dropout: float = 0.3
  dtype: Any = jnp.float32  # of the computation; parameters stay float32

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool = False) -> jnp.ndarray:
    for width in self.features:
      for _ in range(self.convs_per_block):
        x = nn.Conv(width, (3, 3), use_bias=False, dtype=self.dtype)(x)
        x = nn.BatchNorm(use_running_average=not train, dtype=self.dtype)(x)
        x = nn.relu(x)
      x = nn.max_pool(x, (2, 2), strides=(2, 2))
    x = x.reshape((x.shape[0], -1))
    x = nn.relu(nn.Dense(self.dense, dtype=self.dtype)(x))
    self.sow('intermediates', 'features', x)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(self.num_classes, dtype=self.dtype)(x).astype(jnp.float32)
