"""What every GAN-trained task shares: the part names, the binary cross-entropy terms and the
labels given to generated letters."""

from __future__ import annotations

from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hwr_jax.errors import ConfigError

GENERATOR, DISCRIMINATOR = 'generator', 'discriminator'
# 'batch' is the research log's fix for the skewed Syriac letters (its CDGAN_handreg2, Jul 24:
# "the fake labels are from the distribution of real labels", set "the same as y_label"): each
# generated letter takes the label of a real letter of the same batch, so that the
# discriminator sees the same labels on both sides of every batch.
LABEL_SAMPLINGS = ('empirical', 'uniform', 'batch')


def label_log_probs(class_counts, sampling: str) -> np.ndarray:
  """Log-probabilities of the labels given to generated letters: the training frequencies
  ('empirical', and 'batch', whose real batches follow them), or equal for every class seen in
  training ('uniform')."""
  counts = np.asarray(class_counts, np.float64)
  if sampling == 'uniform':
    counts = (counts > 0).astype(np.float64)
  elif sampling not in ('empirical', 'batch'):
    raise ConfigError(f'gan.label_sampling={sampling!r}: expected one of {LABEL_SAMPLINGS}')
  with np.errstate(divide='ignore'):
    return np.log(counts / counts.sum()).astype(np.float32)


def generated_labels(sampling: str, log_probs, rng: jax.Array,
                     real_labels: jax.Array) -> jax.Array:
  """The class ids of a train step's generated letters, one per real letter of its batch:
  the real letters' own under 'batch', otherwise drawn from `log_probs`."""
  if sampling == 'batch':
    return real_labels
  return jax.random.categorical(rng, jnp.asarray(log_probs), shape=real_labels.shape)


def bce_real(logits: jax.Array) -> jax.Array:
  return optax.sigmoid_binary_cross_entropy(logits, jnp.ones_like(logits)).mean()


def bce_fake(logits: jax.Array) -> jax.Array:
  return optax.sigmoid_binary_cross_entropy(logits, jnp.zeros_like(logits)).mean()


def discriminator_loss(real: jax.Array, fake: jax.Array, wrong: Optional[jax.Array]) -> jax.Array:
  """Logits of real pairs, generated pairs and (matching-aware) real images with wrong labels."""
  if wrong is None:
    return bce_real(real) + bce_fake(fake)
  return bce_real(real) + 0.5 * (bce_fake(fake) + bce_fake(wrong))


def wrong_labels(rng: jax.Array, labels: jax.Array, num_classes: int) -> jax.Array:
  """A label other than each true one, uniformly among the others."""
  return (labels + jax.random.randint(rng, labels.shape, 1, num_classes)) % num_classes
