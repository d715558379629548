"""Learning-rate schedules and optimizers from the config block: their values, clipping, decay,
per-group rates, and names that do not exist."""

import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.training import optimizers

LR = 0.01


def block(**overrides):
  return optimizers.default_optimizer_config(**overrides)


def first_update(config, grads, params=None):
  """The update the optimizer of `config` makes at its first step for these gradients."""
  tx = optimizers.make_optimizer(config, total_steps=100)
  params = jnp.zeros_like(grads) if params is None else params
  updates, _ = tx.update(grads, tx.init(params), params)
  return np.asarray(updates)


def test_warmup_cosine_climbs_from_zero_to_the_peak_then_decays_to_zero():
  schedule = optimizers.make_schedule(
      block(learning_rate=LR, schedule='warmup_cosine', warmup_steps=10), 110)
  assert float(schedule(0)) == 0.0
  assert float(schedule(5)) == pytest.approx(LR / 2)
  assert float(schedule(10)) == pytest.approx(LR)
  assert float(schedule(60)) == pytest.approx(LR / 2)  # half way down the cosine
  assert float(schedule(110)) == pytest.approx(0.0, abs=1e-9)
  after_warmup = [float(schedule(step)) for step in range(10, 111)]
  assert after_warmup == sorted(after_warmup, reverse=True)


def test_a_warmup_as_long_as_the_run_still_reaches_the_peak():
  schedule = optimizers.make_schedule(
      block(learning_rate=LR, schedule='warmup_cosine', warmup_steps=20), 20)
  assert float(schedule(20)) == pytest.approx(LR)


def test_cosine_starts_at_the_rate_and_ends_at_zero_and_constant_stays():
  cosine = optimizers.make_schedule(block(learning_rate=LR, schedule='cosine'), 100)
  assert float(cosine(0)) == pytest.approx(LR)
  assert float(cosine(50)) == pytest.approx(LR / 2)
  assert float(cosine(100)) == pytest.approx(0.0, abs=1e-9)
  constant = optimizers.make_schedule(block(learning_rate=LR, schedule='constant'), 100)
  assert [float(constant(step)) for step in (0, 50, 100, 1000)] == pytest.approx([LR] * 4)


def test_gradient_clipping_caps_the_global_norm_and_leaves_small_gradients_alone():
  sgd = dict(name='sgd', learning_rate=1.0, schedule='constant')
  big = jnp.array([3.0, 4.0])  # norm 5
  np.testing.assert_allclose(first_update(block(**sgd), big), [-3.0, -4.0])
  clipped = first_update(block(grad_clip_norm=1.0, **sgd), big)
  np.testing.assert_allclose(clipped, [-0.6, -0.8], rtol=1e-6)
  assert np.linalg.norm(clipped) == pytest.approx(1.0)
  small = jnp.array([0.3, 0.4])
  np.testing.assert_allclose(first_update(block(grad_clip_norm=1.0, **sgd), small),
                             [-0.3, -0.4], rtol=1e-6)


def test_adam_moves_each_weight_by_the_rate_at_its_first_step():
  update = first_update(block(learning_rate=LR, schedule='constant'),
                        jnp.array([100.0, -0.01]))
  np.testing.assert_allclose(update, [-LR, LR], rtol=1e-3)


def test_adamw_decays_weights_without_any_gradient_and_adam_does_not():
  params = jnp.array([2.0, -4.0])
  decayed = first_update(block(name='adamw', learning_rate=0.1, schedule='constant',
                               weight_decay=0.5), jnp.zeros(2), params)
  np.testing.assert_allclose(decayed, [-0.1, 0.2], rtol=1e-6)
  np.testing.assert_array_equal(
      first_update(block(learning_rate=0.1, schedule='constant', weight_decay=0.5),
                   jnp.zeros(2), params), [0.0, 0.0])


def test_groups_learn_at_their_scaled_rates_and_a_frozen_group_not_at_all():
  tx = optimizers.grouped_optimizer(
      block(name='sgd', learning_rate=1.0, schedule='constant'), 100,
      {'heads': 1.0, 'trunk': 0.1, 'frozen': None},
      {'head': 'heads', 'trunk': 'trunk', 'generator': 'frozen'})
  params = {'head': jnp.ones(2), 'trunk': jnp.ones(2), 'generator': jnp.ones(2)}
  grads = {name: jnp.ones(2) for name in params}
  updates, _ = tx.update(grads, tx.init(params), params)
  np.testing.assert_allclose(updates['head'], [-1.0, -1.0])
  np.testing.assert_allclose(updates['trunk'], [-0.1, -0.1], rtol=1e-6)
  np.testing.assert_array_equal(updates['generator'], [0.0, 0.0])


@pytest.mark.parametrize('settings,needle', [
    (dict(name='lamb'), "optimizer.name='lamb': expected adam, adamw or sgd"),
    (dict(schedule='linear'), "optimizer.schedule='linear': expected constant, cosine or"),
])
def test_an_unknown_optimizer_or_schedule_is_refused_by_its_key(settings, needle):
  with pytest.raises(ConfigError, match=needle):
    optimizers.make_optimizer(block(**settings), 100)
