"""What the GAN tasks share: label sampling, the matching-aware loss, wrong labels."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.tasks import gan_losses


def test_empirical_label_sampler_matches_the_training_frequencies():
  counts = np.array([500, 50, 5, 0, 445])
  log_probs = gan_losses.label_log_probs(counts, 'empirical')
  draws = np.asarray(jax.random.categorical(jax.random.key(0), jnp.asarray(log_probs),
                                            shape=(200_000,)))
  frequencies = np.bincount(draws, minlength=len(counts)) / len(draws)
  np.testing.assert_allclose(frequencies, counts / counts.sum(), atol=0.004)
  assert frequencies[3] == 0


def test_uniform_label_sampler_gives_every_seen_class_the_same_chance():
  probs = np.exp(gan_losses.label_log_probs([500, 50, 0, 5], 'uniform'))
  np.testing.assert_allclose(probs, [1 / 3, 1 / 3, 0, 1 / 3], atol=1e-6)


def test_batch_label_sampling_gives_generated_letters_the_real_batch_labels():
  real = jnp.array([4, 0, 0, 1, 4, 4], jnp.int32)
  log_probs = gan_losses.label_log_probs([500, 50, 0, 5, 445], 'batch')
  np.testing.assert_allclose(np.exp(log_probs), np.exp(gan_losses.label_log_probs(
      [500, 50, 0, 5, 445], 'empirical')))
  np.testing.assert_array_equal(
      gan_losses.generated_labels('batch', log_probs, jax.random.key(0), real), real)
  drawn = gan_losses.generated_labels('uniform', gan_losses.label_log_probs(
      [500, 50, 0, 5, 445], 'uniform'), jax.random.key(0), jnp.zeros((4000,), jnp.int32))
  assert drawn.shape == (4000,) and 2 not in set(np.asarray(drawn).tolist())
  np.testing.assert_allclose(np.bincount(np.asarray(drawn), minlength=5)[[0, 1, 3, 4]] / 4000,
                             0.25, atol=0.03)


def test_unknown_label_sampling_is_named():
  with pytest.raises(ConfigError, match='label_sampling'):
    gan_losses.label_log_probs([1, 2], 'balanced')


def test_matching_aware_loss_equals_its_hand_computed_value():
  real, fake, wrong = jnp.array([2.0, 0.5]), jnp.array([-1.0, 1.0]), jnp.array([0.3, -2.0])
  sigmoid = lambda x: 1 / (1 + math.exp(-x))
  by_hand = (-(math.log(sigmoid(2.0)) + math.log(sigmoid(0.5))) / 2
             - 0.5 * (math.log(1 - sigmoid(-1.0)) + math.log(1 - sigmoid(1.0))) / 2
             - 0.5 * (math.log(1 - sigmoid(0.3)) + math.log(1 - sigmoid(-2.0))) / 2)
  assert float(gan_losses.discriminator_loss(real, fake, wrong)) == pytest.approx(by_hand,
                                                                                   rel=1e-6)
  plain = (-(math.log(sigmoid(2.0)) + math.log(sigmoid(0.5))) / 2
           - (math.log(1 - sigmoid(-1.0)) + math.log(1 - sigmoid(1.0))) / 2)
  assert float(gan_losses.discriminator_loss(real, fake, None)) == pytest.approx(plain,
                                                                                  rel=1e-6)


def test_wrong_labels_are_never_the_true_one_and_cover_the_others():
  labels = jnp.full((30_000,), 2)
  wrong = np.asarray(gan_losses.wrong_labels(jax.random.key(0), labels, 5))
  assert not np.any(wrong == 2)
  np.testing.assert_allclose(np.bincount(wrong, minlength=5)[[0, 1, 3, 4]] / len(wrong),
                             0.25, atol=0.01)
