"""CNN letter classifier: blocks of 3x3 convolutions with batch norm, max pooling, dense head."""

from typing import Any, ClassVar, Sequence

import flax.linen as nn
import jax.numpy as jnp

from hwr_jax.models import fast_conv, fast_pool


def conv_blocks(x: jnp.ndarray, features: Sequence[int], convs_per_block: int, train: bool,
                dtype: Any) -> jnp.ndarray:
  """The convolutional trunk, flattened: per width, 3x3 convolutions with batch norm and ReLU,
  then 2x2 max pooling. Called inside a compact module, whose parameters it creates."""
  for width in features:
    for _ in range(convs_per_block):
      x = fast_conv.Conv(width, (3, 3), use_bias=False, dtype=dtype)(x)
      x = nn.BatchNorm(use_running_average=not train, dtype=dtype)(x)
      x = nn.relu(x)
    x = fast_pool.max_pool(x, (2, 2))
  return x.reshape((x.shape[0], -1))


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
  # The output layer's name: the one Flax gave it before it was named, so that every saved
  # checkpoint still loads.
  head: ClassVar[str] = 'Dense_1'

  @nn.compact
  def __call__(self, x: jnp.ndarray, *, train: bool = False) -> jnp.ndarray:
    x = conv_blocks(x, self.features, self.convs_per_block, train, self.dtype)
    x = nn.relu(nn.Dense(self.dense, dtype=self.dtype)(x))
    self.sow('intermediates', 'features', x)
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(self.num_classes, dtype=self.dtype, name=self.head)(x).astype(jnp.float32)
