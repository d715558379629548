"""DCGAN and conditional DCGAN: a generator and a discriminator built for one image size.

The layout follows IcGAN (Perarnau, van de Weijer, Raducanu and Álvarez, "Invertible
Conditional GANs for image editing", NIPS 2016 Workshop on Adversarial Training,
arXiv:1611.06355) as the authors' Torch code builds it (github.com/Guim3/IcGAN, trainGAN.lua;
tests/models/test_dcgan.py states its layer tables): the generator maps (z, y) at 1x1 to an
s0 x s0 map with a transposed convolution of kernel s0, then doubles the resolution in blocks
that halve the channels, ending in `width` channels before the tanh output layer; the
discriminator mirrors it with stride-2 convolutions (no batch norm on the first), and a final
s0 x s0 convolution to one logit. Labels are one-hot vectors in {-1, +1}; in the
discriminator they join as constant planes at `label_position` ('input', 'conv1', 'conv2').

At 64x64 with width 64 and one conv per block this is the IcGAN model exactly (G 110-512-256-
128-64-1, D 1-64-[+10]-128-256-512-1); at 28x28 the same rules give 7x7 starting maps and two
up-blocks. `convs_per_block=2` adds a stride-1 3x3 convolution to every inner block (the deeper
variant); `upsampling` and `downsampling` pick how resolution changes (the pooling variant uses
'resize' and 'pool').

Convolutions are those of hwr_jax/models/fast_conv.py: flax's layers (same parameters) with
exact gradients that take XLA:CPU's fast paths.

Layers followed by batch norm have no bias unless `bias_before_norm` (the authors' IcGAN
code has them): batch norm removes it, so its true gradient is zero and Adam would turn the
rounding noise of that gradient into steps of the full learning rate, making runs that
differ only in summation order (fused steps, several devices) drift apart.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar
import flax.linen as nn
import jax
import jax.numpy as jnp

from hwr_jax.errors import ConfigError
from hwr_jax.models import fast_conv

UPSAMPLINGS = ('transpose', 'resize', 'subpixel')
DOWNSAMPLINGS = ('stride', 'pool')
LABEL_POSITIONS = ('input', 'conv1', 'conv2')

# The initialisation the original project needed to converge (DCGAN's): N(0, 0.02) weights,
# batch-norm scales N(1, 0.02).
weight_init = nn.initializers.normal(0.02)


def bn_scale_init(key: jax.Array, shape, dtype=jnp.float32) -> jax.Array:
  return 1.0 + 0.02 * jax.random.normal(key, shape, dtype)


def batch_norm(train: bool, dtype: Any) -> nn.BatchNorm:
  # Torch's momentum 0.1 and epsilon 1e-5, as the authors' IcGAN code trained with.
  return nn.BatchNorm(use_running_average=not train, momentum=0.9, epsilon=1e-5,
                      scale_init=bn_scale_init, dtype=dtype)


def signed_one_hot(labels: jax.Array, num_classes: int) -> jax.Array:
  """Class ids (B,) -> (B, num_classes) with +1 at the class and -1 elsewhere."""
  return 2.0 * jax.nn.one_hot(labels, num_classes) - 1.0


def with_label_planes(x: jax.Array, y: jax.Array) -> jax.Array:
  """Concatenates y (B, C) to x (B, H, W, F) as C constant planes."""
  planes = jnp.broadcast_to(y[:, None, None, :], (*x.shape[:3], y.shape[-1]))
  return jnp.concatenate([x, planes.astype(x.dtype)], axis=-1)


def resolution_plan(image_size: int) -> tuple[int, int]:
  """(s0, n): the smallest map side s0 >= 4 with image_size = s0 * 2**n."""
  n = 0
  while image_size % 2 ** (n + 1) == 0 and image_size // 2 ** (n + 1) >= 4:
    n += 1
  if n == 0:
    raise ConfigError(f'data.image_size={image_size}: a GAN needs a size that halves at least '
                      'once to a side of 4 or more (28, 32, 60, 64, ...)')
  return image_size // 2 ** n, n


def depth_to_space(x: jax.Array, factor: int = 2) -> jax.Array:
  b, h, w, c = x.shape
  x = x.reshape(b, h, w, factor, factor, c // factor ** 2)
  return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, h * factor, w * factor, c // factor ** 2)


class Upsample(nn.Module):
  """Doubles height and width: a 4x4 stride-2 transposed convolution (torch padding 1), a
  nearest-neighbour resize then 3x3 convolution, or a 3x3 convolution to 4x the channels
  rearranged into 2x2 pixels (sub-pixel); the last two avoid checkerboard artefacts."""

  features: int
  method: str = 'transpose'
  use_bias: bool = True
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array) -> jax.Array:
    if self.method == 'transpose':
      return fast_conv.ConvTranspose(self.features, (4, 4), strides=(2, 2),
                                     padding=((2, 2), (2, 2)), kernel_init=weight_init,
                                     dtype=self.dtype, use_bias=self.use_bias)(x)
    if self.method == 'resize':
      x = jnp.repeat(jnp.repeat(x, 2, axis=1), 2, axis=2)
      return fast_conv.Conv(self.features, (3, 3), padding='SAME', kernel_init=weight_init,
                            dtype=self.dtype, use_bias=self.use_bias)(x)
    if self.method == 'subpixel':
      x = fast_conv.Conv(4 * self.features, (3, 3), padding='SAME', kernel_init=weight_init,
                         dtype=self.dtype, use_bias=self.use_bias)(x)
      return depth_to_space(x)
    raise ConfigError(f'model.upsampling={self.method!r}: expected one of {UPSAMPLINGS}')


class Downsample(nn.Module):
  """Halves height and width: a 4x4 stride-2 convolution (torch padding 1), or a 3x3
  convolution followed by 2x2 average pooling."""

  features: int
  method: str = 'stride'
  use_bias: bool = True
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x: jax.Array, planes: jax.Array | None = None) -> jax.Array:
    """planes (B, P): constant input planes after x's channels (fast_conv.Conv)."""
    if self.method == 'stride':
      return fast_conv.Conv(self.features, (4, 4), strides=(2, 2), padding=((1, 1), (1, 1)),
                            kernel_init=weight_init, dtype=self.dtype,
                            use_bias=self.use_bias)(x, planes)
    if self.method == 'pool':
      x = fast_conv.Conv(self.features, (3, 3), padding='SAME', kernel_init=weight_init,
                         dtype=self.dtype, use_bias=self.use_bias)(x, planes)
      return nn.avg_pool(x, (2, 2), strides=(2, 2))
    raise ConfigError(f'model.downsampling={self.method!r}: expected one of {DOWNSAMPLINGS}')


class Generator(nn.Module):
  """(z (B, z_dim), y (B, num_classes) in {-1, +1} or (B, 0)) -> images (B, S, S, 1) in
  [-1, 1]."""

  image_size: int
  width: int = 64
  convs_per_block: int = 1
  upsampling: str = 'transpose'
  bias_before_norm: bool = False
  dtype: Any = jnp.float32  # of the computation; parameters stay float32

  @nn.compact
  def __call__(self, z: jax.Array, y: jax.Array, *, train: bool = False) -> jax.Array:
    s0, blocks = resolution_plan(self.image_size)
    x = jnp.concatenate([z, y.astype(z.dtype)], axis=-1)[:, None, None, :]
    x = fast_conv.ConvTranspose(self.width * 2 ** (blocks - 1), (s0, s0), padding='VALID',
                                kernel_init=weight_init, dtype=self.dtype,
                                use_bias=self.bias_before_norm)(x)
    x = nn.relu(batch_norm(train, self.dtype)(x))
    for block in range(1, blocks):
      x = Upsample(self.width * 2 ** (blocks - 1 - block), self.upsampling,
                   self.bias_before_norm, self.dtype)(x)
      x = nn.relu(batch_norm(train, self.dtype)(x))
      for _ in range(self.convs_per_block - 1):
        x = fast_conv.Conv(x.shape[-1], (3, 3), padding='SAME', kernel_init=weight_init,
                           dtype=self.dtype, use_bias=self.bias_before_norm)(x)
        x = nn.relu(batch_norm(train, self.dtype)(x))
    return jnp.tanh(Upsample(1, self.upsampling, dtype=self.dtype)(x)).astype(jnp.float32)


class Discriminator(nn.Module):
  """(images (B, S, S, 1) in [-1, 1], y (B, num_classes) or (B, 0)) -> logits (B,).

  The activations before the last layer are sown as intermediates/features (for feature-space
  losses and encoders built on a trained discriminator)."""

  image_size: int
  width: int = 64
  convs_per_block: int = 1
  downsampling: str = 'stride'
  label_position: str = 'conv1'
  bias_before_norm: bool = False
  dtype: Any = jnp.float32

  def trunk(self, x: jax.Array, y: jax.Array, train: bool) -> jax.Array:
    """Every layer but the output: the map the output layer reads (labels not yet joined when
    they join there)."""
    if self.label_position not in LABEL_POSITIONS:
      raise ConfigError(f'model.label_position={self.label_position!r}: expected one of '
                        f'{LABEL_POSITIONS}')
    _, blocks = resolution_plan(self.image_size)
    joins_after = LABEL_POSITIONS.index(self.label_position)
    for block in range(blocks):
      x = Downsample(self.width * 2 ** block, self.downsampling,
                     block == 0 or self.bias_before_norm, self.dtype
                     )(x, y if block == joins_after else None)
      if block > 0:
        x = batch_norm(train, self.dtype)(x)
      x = nn.leaky_relu(x, 0.2)
      if block > 0:
        for _ in range(self.convs_per_block - 1):
          x = fast_conv.Conv(x.shape[-1], (3, 3), padding='SAME', kernel_init=weight_init,
                             dtype=self.dtype, use_bias=self.bias_before_norm)(x)
          x = nn.leaky_relu(batch_norm(train, self.dtype)(x), 0.2)
    return x

  def output_layer(self, features: int, **kwargs) -> fast_conv.Conv:
    """The s0 x s0 convolution that reads the trunk's whole map."""
    s0, _ = resolution_plan(self.image_size)
    return fast_conv.Conv(features, (s0, s0), padding='VALID', kernel_init=weight_init,
                          dtype=self.dtype, **kwargs)

  @nn.compact
  def __call__(self, x: jax.Array, y: jax.Array, *, train: bool = False) -> jax.Array:
    x = self.trunk(x, y, train)
    _, blocks = resolution_plan(self.image_size)
    joins_last = LABEL_POSITIONS.index(self.label_position) == blocks
    features = with_label_planes(x, y) if joins_last else x
    self.sow('intermediates', 'features', features.reshape(x.shape[0], -1))
    x = self.output_layer(1)(x, y if joins_last else None)
    return x.reshape(x.shape[0]).astype(jnp.float32)


class Encoder(Discriminator):
  """The discriminator's layers with the output widened: images (B, S, S, 1) in [-1, 1] ->
  (z (B, z_dim), label logits (B, num_classes), or (B, 0) when num_classes is 0).

  It reads no label: where the discriminator it mirrors joins `label_planes` label planes,
  the encoder's are zeros. So its trunk has the discriminator's parameters, shape for shape,
  and grafts whole (hwr_jax/training/graft.py); only the output layers (heads) are its own."""

  label_planes: int = 0
  z_dim: int = 100
  num_classes: int = 0

  # The outputs, in order: z, label logits (and a DiscriminatorEncoder's real/fake scores).
  heads: ClassVar[str] = 'zy'

  @nn.compact
  def __call__(self, x: jax.Array, *, train: bool = False, outputs: str | None = None):
    """A tuple of one output per head; those not named in `outputs` (default: all) come back
    None."""
    x = self.trunk(x, jnp.zeros((x.shape[0], self.label_planes), x.dtype), train)
    outputs = self.heads if outputs is None else outputs
    return tuple(self.head(x, letter) if letter in outputs else None for letter in self.heads)

  def head(self, x: jax.Array, letter: str) -> jax.Array:
    features = self.z_dim if letter == 'z' else self.num_classes
    if not features:
      return jnp.zeros((x.shape[0], 0), jnp.float32)
    out = self.output_layer(features, name=f'{letter}_head')(x)
    return out.reshape(x.shape[0], -1).astype(jnp.float32)


ENCODER_HEADS = ('z_head', 'y_head', 'd_head')


class DiscriminatorEncoder(Encoder):
  """A discriminator that also encodes: images (B, S, S, 1) -> (z, label logits, real/fake
  scores (B, num_classes)), from one trunk. The trunk reads no label (as the Encoder's), so
  letters can be encoded unlabelled; the discriminator is conditional through its head, one
  real/fake score per class, of which the letter's own class counts (`class_logit`)."""

  heads: ClassVar[str] = 'zyd'


def class_logit(scores: jax.Array, y: jax.Array) -> jax.Array:
  """The real/fake logit (B,) of each letter's own class, from per-class scores (B, K) and
  signed one-hot labels (B, K)."""
  return jnp.sum(scores * (y + 1.0) / 2.0, axis=-1)


class JointDiscriminator(Discriminator):
  """ALI/BiGAN's discriminator of (image, z) pairs: (images (B, S, S, 1), z (B, z_dim), y) ->
  logits (B,). The image goes through the discriminator's layers (the label joining as usual)
  to `hidden` features, z through a dense layer to as many; both are read by two dense layers."""

  hidden: int = 512

  @nn.compact
  def __call__(self, x: jax.Array, z: jax.Array, y: jax.Array, *, train: bool = False
               ) -> jax.Array:
    _, blocks = resolution_plan(self.image_size)
    joins_last = LABEL_POSITIONS.index(self.label_position) == blocks
    x = self.trunk(x, y, train)
    x = self.output_layer(self.hidden, name='image_features')(x, y if joins_last else None)
    z = nn.Dense(self.hidden, kernel_init=weight_init, dtype=self.dtype, name='z_features')(z)
    joint = nn.leaky_relu(jnp.concatenate([x.reshape(x.shape[0], -1), z], axis=-1), 0.2)
    joint = nn.leaky_relu(nn.Dense(self.hidden, kernel_init=weight_init, dtype=self.dtype,
                                   name='joint')(joint), 0.2)
    logits = nn.Dense(1, kernel_init=weight_init, dtype=self.dtype, name='output')(joint)
    return logits.reshape(logits.shape[0]).astype(jnp.float32)


@dataclasses.dataclass(frozen=True)
class Model:
  """The generator and discriminator of one GAN, built from config.model.

  conditional=False gives the unconditional DCGAN: y is (B, 0) and never joins."""

  num_classes: int
  image_size: int
  z_dim: int = 100
  conditional: bool = True
  width: int = 64
  convs_per_block: int = 1
  upsampling: str = 'transpose'
  downsampling: str = 'stride'
  label_position: str = 'conv1'
  bias_before_norm: bool = False
  dtype: Any = jnp.float32

  def __post_init__(self):
    resolution_plan(self.image_size)
    if self.upsampling not in UPSAMPLINGS:
      raise ConfigError(f'model.upsampling={self.upsampling!r}: expected one of {UPSAMPLINGS}')
    if self.downsampling not in DOWNSAMPLINGS:
      raise ConfigError(f'model.downsampling={self.downsampling!r}: expected one of '
                        f'{DOWNSAMPLINGS}')
    if self.label_position not in LABEL_POSITIONS:
      raise ConfigError(f'model.label_position={self.label_position!r}: expected one of '
                        f'{LABEL_POSITIONS}')

  @property
  def generator(self) -> Generator:
    return Generator(self.image_size, self.width, self.convs_per_block, self.upsampling,
                     self.bias_before_norm, self.dtype)

  @property
  def discriminator(self) -> Discriminator:
    return Discriminator(self.image_size, self.width, self.convs_per_block, self.downsampling,
                         self.label_position, self.bias_before_norm, self.dtype)

  def encoder(self, z_dim: int | None = None) -> Encoder:
    """The encoder mirroring this model's discriminator, to z_dim (default: the generator's)
    and, for a conditional model, to the class logits."""
    return Encoder(self.image_size, self.width, self.convs_per_block, self.downsampling,
                   self.label_position, self.bias_before_norm, self.dtype,
                   label_planes=self.label_dim, z_dim=z_dim or self.z_dim,
                   num_classes=self.label_dim)

  def discriminator_encoder(self) -> DiscriminatorEncoder:
    """One network that discriminates (per class) and encodes, from a conditional model."""
    return DiscriminatorEncoder(self.image_size, self.width, self.convs_per_block,
                                self.downsampling, self.label_position, self.bias_before_norm,
                                self.dtype, label_planes=self.label_dim, z_dim=self.z_dim,
                                num_classes=self.label_dim)

  @property
  def joint_discriminator(self) -> JointDiscriminator:
    return JointDiscriminator(self.image_size, self.width, self.convs_per_block,
                              self.downsampling, self.label_position, self.bias_before_norm,
                              self.dtype)

  @property
  def label_dim(self) -> int:
    return self.num_classes if self.conditional else 0

  def encode_labels(self, labels: jax.Array) -> jax.Array:
    """Class ids (B,) -> the label vectors both networks read ((B, 0) if unconditional)."""
    if not self.conditional:
      return jnp.zeros((labels.shape[0], 0), jnp.float32)
    return signed_one_hot(labels, self.num_classes)

  def init(self, rng: jax.Array) -> dict:
    """{'params': {...}, 'batch_stats': {...}}, each with 'generator' and 'discriminator'."""
    g_rng, d_rng = jax.random.split(rng)
    z = jnp.zeros((1, self.z_dim))
    y = jnp.zeros((1, self.label_dim))
    g_vars = self.generator.init(g_rng, z, y)
    d_vars = self.discriminator.init(
        d_rng, jnp.zeros((1, self.image_size, self.image_size, 1)), y)
    return {collection: {'generator': g_vars.get(collection, {}),
                         'discriminator': d_vars.get(collection, {})}
            for collection in ('params', 'batch_stats')}

