"""Dating CNN: the letter classifier's convolutional trunk with a head that predicts a date,
optionally conditioned on the letter (the original project's "conditional CNN")."""

from typing import Any, Optional, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from hwr_jax.models.cnn import conv_blocks


class Model(nn.Module):
  """Images (B, H, W, 1) in [0, 1] and letter ids (B,) -> (B, num_outputs): one scaled year
  for regression, or one logit per period.

  With `conditional`, the letter's one-hot joins the trunk's features before the dense layer:
  how wide or slanted a letter is says more about its date once the model knows which letter
  it is. Without it the ids are ignored.
  """

  num_outputs: int
  num_classes: int
  conditional: bool = False
  features: Sequence[int] = (16, 32, 64)
  convs_per_block: int = 2
  dense: int = 128
  dropout: float = 0.3
  dtype: Any = jnp.float32  # of the computation; parameters stay float32

  @nn.compact
  def __call__(self, x: jnp.ndarray, labels: Optional[jnp.ndarray] = None, *,
               train: bool = False) -> jnp.ndarray:
    x = conv_blocks(x, self.features, self.convs_per_block, train, self.dtype)
    if self.conditional:
      x = jnp.concatenate([x, jax.nn.one_hot(labels, self.num_classes, dtype=x.dtype)], axis=-1)
    x = nn.relu(nn.Dense(self.dense, dtype=self.dtype)(x))
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(self.num_outputs, dtype=self.dtype)(x).astype(jnp.float32)
