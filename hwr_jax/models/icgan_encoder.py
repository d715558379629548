"""The IcGAN paper's encoders: images -> (z, label scores).

Perarnau, van de Weijer, Raducanu and Álvarez, "Invertible Conditional GANs for image
editing", NIPS 2016 Workshop on Adversarial Training, arXiv:1611.06355; the layers as in the
authors' Torch code, github.com/Guim3/IcGAN (trainEncoder.lua), whose parameter counts
tests/models/test_icgan_encoder.py states.

Trunk: four 5x5 stride-2 convolutions (pad 2), 1-32-64-128-256 channels, each with batch norm
and ReLU, flattened (4096 values at 64x64). E_z: dense 4096, batch norm, ReLU, dense z_dim.
E_y: dense 512, batch norm, ReLU, dense num_classes (scores regressed onto +-1 labels).

  independent  two networks, each its own trunk: E_z and E_y (the paper's IND).
  joint        one trunk read by both heads (the paper's SNG).

Like the authors' code, they keep the framework's default initialisation. Both map images
(B, S, S, 1) in [-1, 1] to (z (B, z_dim), scores (B, num_classes)), as dcgan.Encoder does;
`outputs='z'` or `'y'` runs only what that output needs, so that E_z learns (and keeps batch
statistics) from generated letters only and E_y from real ones.
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from hwr_jax.models import fast_conv

TRUNK_CHANNELS = (32, 64, 128, 256)
Z_HIDDEN, Y_HIDDEN = 4096, 512
ARCHITECTURES = ('independent', 'joint')


def batch_norm(train: bool, dtype: Any) -> nn.BatchNorm:
  # Torch's momentum 0.1 and epsilon 1e-5, as the authors' code trained with.
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5, dtype=dtype)


class Trunk(nn.Module):
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, train: bool) -> jax.Array:
    for channels in TRUNK_CHANNELS:
      x = fast_conv.Conv(channels, (5, 5), strides=(2, 2), padding=((2, 2), (2, 2)),
                         dtype=self.dtype)(x)
      x = nn.relu(batch_norm(train, self.dtype)(x))
    return x.reshape(x.shape[0], -1)


class Head(nn.Module):
  hidden: int
  outputs: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, train: bool) -> jax.Array:
    x = nn.relu(batch_norm(train, self.dtype)(nn.Dense(self.hidden, dtype=self.dtype)(x)))
    return nn.Dense(self.outputs, dtype=self.dtype)(x).astype(jnp.float32)


class IndependentEncoders(nn.Module):
  z_dim: int
  num_classes: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False, outputs: str = 'zy'):
    """outputs: which of 'z' and 'y' to compute (the other comes back None); a network not
    run keeps its batch statistics."""
    z = y = None
    if 'z' in outputs:
      z = Head(Z_HIDDEN, self.z_dim, self.dtype, name='z_head')(
          Trunk(self.dtype, name='z_trunk')(x, train), train)
    if 'y' in outputs:
      y = Head(Y_HIDDEN, self.num_classes, self.dtype, name='y_head')(
          Trunk(self.dtype, name='y_trunk')(x, train), train)
    return z, y


class JointEncoder(nn.Module):
  z_dim: int
  num_classes: int
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False, outputs: str = 'zy'):
    features = Trunk(self.dtype, name='trunk')(x, train)
    z = (Head(Z_HIDDEN, self.z_dim, self.dtype, name='z_head')(features, train)
         if 'z' in outputs else None)
    y = (Head(Y_HIDDEN, self.num_classes, self.dtype, name='y_head')(features, train)
         if 'y' in outputs else None)
    return z, y


def build(architecture: str, z_dim: int, num_classes: int, dtype: Any = jnp.float32
          ) -> nn.Module:
  if architecture == 'independent':
    return IndependentEncoders(z_dim, num_classes, dtype)
  if architecture == 'joint':
    return JointEncoder(z_dim, num_classes, dtype)
  raise ValueError(f'unknown IcGAN encoder {architecture!r}: one of {ARCHITECTURES}')
