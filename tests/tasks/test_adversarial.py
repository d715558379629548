"""The adversarial task: label sampling, the matching-aware loss, reproducible steps, resume."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.config_lib import load_config_file
from hwr_jax.errors import ConfigError
from hwr_jax.tasks import adversarial
from hwr_jax.training import loop
from hwr_jax.training.checkpoints import Checkpointer

TINY = 'configs/gan.py:tiny'


def tiny_config(**gan):
  config = load_config_file(TINY)
  config.gan.update(gan)
  return config


def host(state):
  return jax.device_get((state.params, state.batch_stats, state.opt_state, state.step))


def test_empirical_label_sampler_matches_the_training_frequencies():
  counts = np.array([500, 50, 5, 0, 445])
  log_probs = adversarial.label_log_probs(counts, 'empirical')
  draws = np.asarray(jax.random.categorical(jax.random.key(0), jnp.asarray(log_probs),
                                            shape=(200_000,)))
  frequencies = np.bincount(draws, minlength=len(counts)) / len(draws)
  np.testing.assert_allclose(frequencies, counts / counts.sum(), atol=0.004)
  assert frequencies[3] == 0


def test_uniform_label_sampler_gives_every_seen_class_the_same_chance():
  probs = np.exp(adversarial.label_log_probs([500, 50, 0, 5], 'uniform'))
  np.testing.assert_allclose(probs, [1 / 3, 1 / 3, 0, 1 / 3], atol=1e-6)


def test_unknown_label_sampling_is_named():
  with pytest.raises(ConfigError, match='label_sampling'):
    adversarial.label_log_probs([1, 2], 'balanced')


def test_matching_aware_loss_equals_its_hand_computed_value():
  real, fake, wrong = jnp.array([2.0, 0.5]), jnp.array([-1.0, 1.0]), jnp.array([0.3, -2.0])
  sigmoid = lambda x: 1 / (1 + math.exp(-x))
  by_hand = (-(math.log(sigmoid(2.0)) + math.log(sigmoid(0.5))) / 2
             - 0.5 * (math.log(1 - sigmoid(-1.0)) + math.log(1 - sigmoid(1.0))) / 2
             - 0.5 * (math.log(1 - sigmoid(0.3)) + math.log(1 - sigmoid(-2.0))) / 2)
  assert float(adversarial.discriminator_loss(real, fake, wrong)) == pytest.approx(by_hand,
                                                                                   rel=1e-6)
  plain = (-(math.log(sigmoid(2.0)) + math.log(sigmoid(0.5))) / 2
           - (math.log(1 - sigmoid(-1.0)) + math.log(1 - sigmoid(1.0))) / 2)
  assert float(adversarial.discriminator_loss(real, fake, None)) == pytest.approx(plain,
                                                                                  rel=1e-6)


def test_wrong_labels_are_never_the_true_one_and_cover_the_others():
  labels = jnp.full((30_000,), 2)
  wrong = np.asarray(adversarial.wrong_labels(jax.random.key(0), labels, 5))
  assert not np.any(wrong == 2)
  np.testing.assert_allclose(np.bincount(wrong, minlength=5)[[0, 1, 3, 4]] / len(wrong),
                             0.25, atol=0.01)


def few_steps(config, steps=3):
  run = loop.build_run(config)
  state = run.initial_state
  batches = loop.pipeline.train_batches(run.data.train, config.train.batch_size, config.seed, 0)
  key = jax.random.key(config.seed)
  metrics = []
  try:
    for step in range(steps):
      state, m = run.step_fn(state, next(batches), key, np.int32(step + 1))
      metrics.append(jax.device_get(m))
  finally:
    batches.close()
  return state, metrics


def test_a_few_steps_from_a_fixed_seed_are_bit_identical():
  first, metrics = few_steps(tiny_config())
  second, _ = few_steps(tiny_config())
  jax.tree.map(np.testing.assert_array_equal, host(first), host(second))
  assert int(first.step) == 3
  assert set(metrics[0]) >= {'loss', 'd_loss', 'g_loss', 'd_real', 'd_fake', 'grad_norm'}
  other, _ = few_steps(_with_seed(tiny_config(), 1))
  assert not np.array_equal(host(other)[0]['generator']['ConvTranspose_0']['kernel'],
                            host(first)[0]['generator']['ConvTranspose_0']['kernel'])


def _with_seed(config, seed):
  config.seed = seed
  return config


def test_both_networks_change_and_each_has_its_own_optimizer_state():
  config = tiny_config()
  start = loop.build_run(config).initial_state
  state, _ = few_steps(config, steps=2)
  for part in (adversarial.GENERATOR, adversarial.DISCRIMINATOR):
    before, after = jax.tree.leaves(start.params[part]), jax.tree.leaves(state.params[part])
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
  counts = [int(jax.tree.leaves(state.opt_state[part][0])[0]) for part in state.opt_state]
  assert counts == [2, 2]


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path):
  config = tiny_config()
  loop.train_and_evaluate(config, str(tmp_path / 'straight'))
  config.train.steps = 10
  loop.train_and_evaluate(config, str(tmp_path / 'resumed'))
  config.train.steps = 20
  loop.train_and_evaluate(config, str(tmp_path / 'resumed'))
  template = loop.build_run(config).initial_state
  states = []
  for name in ('straight', 'resumed'):
    with Checkpointer(str(tmp_path / name), 10, 3) as checkpointer:
      states.append(host(checkpointer.restore(template, 20)[0]))
  jax.tree.map(np.testing.assert_array_equal, *states)


def test_matching_aware_needs_a_conditional_model():
  config = tiny_config()
  config.model.conditional = False
  with pytest.raises(ConfigError, match='matching_aware'):
    loop.build_run(config)
