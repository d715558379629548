"""The adversarial task: reproducible steps, resume."""

import jax
import numpy as np
import pytest

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.data import pipeline
from hwr_jax.errors import ConfigError
from hwr_jax.tasks import gan_losses
from hwr_jax.training.checkpoints import Checkpointer

TINY = 'configs/gan.py:tiny'


def tiny_config(**gan):
  config = load_config_file(TINY)
  config.gan.update(gan)
  return config


def host(state):
  return jax.device_get((state.params, state.batch_stats, state.opt_state, state.step))


def few_steps(config, steps=3):
  run = loop.build_run(config)
  state = run.initial_state
  batches = pipeline.train_batches(run.data.train, config.train.batch_size, config.seed, 0)
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
  for part in (gan_losses.GENERATOR, gan_losses.DISCRIMINATOR):
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



def test_batch_label_sampling_gives_the_generated_letters_the_real_labels(monkeypatch):
  from hwr_jax.tasks import adversarial
  seen = []

  def recorded(sampling, log_probs, rng, real_labels):
    labels = gan_losses.generated_labels(sampling, log_probs, rng, real_labels)
    jax.debug.callback(lambda *pair: seen.append(pair), labels, real_labels)
    return labels

  monkeypatch.setattr(adversarial, 'generated_labels', recorded)
  _, metrics = few_steps(tiny_config(label_sampling='batch'), steps=2)
  assert len(seen) == 2 and all(np.isfinite(m['loss']) for m in metrics)
  for generated, real in seen:
    np.testing.assert_array_equal(generated, real)
  assert len(set(np.concatenate([real for _, real in seen]).tolist())) > 1
