"""Image-to-image denoiser: a small U-Net from a gray letter crop to its clean ink.

Strided convolutions halve the map level by level down to a bottleneck whose receptive field is
the whole crop (it has to tell the centre letter from its neighbours); transposed convolutions
bring it back up, each joined to the encoder map of its size, the last to the input itself.
Every level works at half the resolution of the one above, and the full resolution only sees
the last, narrow layers: that keeps 64x64 crops affordable on a CPU. The conditional model also
reads the letter's label, added to the bottleneck as a learned per-class vector.
"""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from hwr_jax.models import fast_conv


def crop_to(h: jnp.ndarray, like: jnp.ndarray) -> jnp.ndarray:
  """The first rows and columns of a doubled map: an odd side (7 from 4) keeps 7."""
  return h[:, :like.shape[1], :like.shape[2]]


class Model(nn.Module):
  """Images (B, H, W, 1) in [0, 1] and labels (B,) -> ink logits (B, H, W, 1)."""

  num_classes: int
  features: Sequence[int] = (16, 32, 64, 64)
  conditional: bool = False
  dtype: Any = jnp.float32  # of the computation; parameters stay float32

  @nn.compact
  def __call__(self, x: jnp.ndarray, labels: jnp.ndarray) -> jnp.ndarray:
    h = x.astype(self.dtype)
    skips = [h]
    for width in self.features:
      h = nn.relu(fast_conv.Conv(width, (4, 4), strides=2, dtype=self.dtype)(h))
      h = nn.relu(fast_conv.Conv(width, (3, 3), dtype=self.dtype)(h))
      skips.append(h)
    skips.pop()
    if self.conditional:
      embedding = nn.Embed(self.num_classes, self.features[-1], dtype=self.dtype)(labels)
      h = nn.relu(h + embedding[:, None, None, :])
    widths = (self.features[0] // 2, *self.features[:-1])
    for width, skip in zip(reversed(widths), reversed(skips)):
      h = nn.relu(fast_conv.ConvTranspose(width, (4, 4), strides=2, dtype=self.dtype)(h))
      h = jnp.concatenate([crop_to(h, skip), skip], axis=-1)
      h = nn.relu(fast_conv.Conv(width, (3, 3), dtype=self.dtype)(h))
    return fast_conv.Conv(1, (1, 1), dtype=self.dtype)(h).astype(jnp.float32)
