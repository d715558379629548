"""train.compute_dtype=bfloat16: bfloat16 arithmetic, float32 parameters and optimizer state."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.data import pipeline
from hwr_jax.errors import ConfigError


def run_steps(spec, dtype, steps=4):
  config = load_config_file(spec)
  config.train.compute_dtype = dtype
  run = loop.build_run(config)
  state = run.initial_state
  batches = pipeline.train_batches(run.data.train, config.train.batch_size, config.seed, 0,
                                        mesh=run.mesh)
  losses = []
  try:
    for step in range(1, steps + 1):
      state, metrics = run.step_fn(state, next(batches), jax.random.key(0), np.int32(step))
      losses.append(float(metrics['loss'][0]))
  finally:
    batches.close()
  return run, state, losses


@pytest.mark.parametrize('spec', ['configs/cnn_classifier.py:tiny', 'configs/gan.py:tiny',
                                  'configs/blstm_classifier.py:tiny'])
def test_bfloat16_compute_keeps_float32_state_and_tracks_float32(spec):
  _, state16, losses16 = run_steps(spec, 'bfloat16')
  _, state32, losses32 = run_steps(spec, 'float32')
  for leaf in jax.tree.leaves((state16.params, state16.opt_state, state16.batch_stats)):
    if jnp.issubdtype(leaf.dtype, jnp.floating):
      assert leaf.dtype == jnp.float32
  assert np.all(np.isfinite(losses16))
  np.testing.assert_allclose(losses16, losses32, rtol=0.05)


def test_bfloat16_really_computes_in_bfloat16():
  run, state, _ = run_steps('configs/cnn_classifier.py:tiny', 'bfloat16', steps=1)
  images = jnp.ones((2, *run.task.data_info.image_shape, 1))
  text = jax.jit(lambda s, x: s.apply_fn({'params': s.params, 'batch_stats': s.batch_stats},
                                         x, train=False)).lower(state, images).as_text()
  assert 'bf16' in text


def test_unknown_compute_dtype_is_named():
  config = load_config_file('configs/cnn_classifier.py:tiny')
  config.train.compute_dtype = 'float8'
  with pytest.raises(ConfigError, match='compute_dtype'):
    loop.build_run(config)
