"""Data parallelism and fused steps: the same training, however it is split or dispatched."""

import os

import jax
import numpy as np
import pytest

from hwr_jax.config_lib import load_config_file
from hwr_jax.errors import ConfigError
from hwr_jax.training import loop
from hwr_jax.training.restore import load_trained

CONFIGS = ['configs/cnn_classifier.py:tiny', 'configs/gan.py:tiny']


def trained_params(workdir):
  _, state = load_trained(str(workdir))
  return jax.device_get((state.params, state.batch_stats))


def assert_close(a, b, tolerance):
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=tolerance, atol=tolerance),
               a, b)


@pytest.mark.parametrize('spec', CONFIGS)
def test_k_steps_per_call_equal_k_single_steps(spec, tmp_path):
  config = load_config_file(spec)
  loop.train_and_evaluate(config, str(tmp_path / 'single'))
  config.train.steps_per_call = 5
  loop.train_and_evaluate(config, str(tmp_path / 'fused'))
  assert_close(trained_params(tmp_path / 'single'), trained_params(tmp_path / 'fused'), 1e-5)


def test_cadences_must_be_multiples_of_the_steps_per_call():
  config = load_config_file(CONFIGS[0])
  config.train.steps_per_call = 3
  with pytest.raises(ConfigError, match='multiple of train.steps_per_call=3'):
    loop.check_config(config)


# GAN training is chaotic: the rounding differences of another summation order grow step by
# step (Adam scales the updates of near-zero gradients up to the full learning rate, 2e-4), so
# the GAN is compared after two steps, within a quarter of one learning-rate step, and the
# classifier after its whole tiny run.
@pytest.mark.parametrize('spec,steps,tolerance', [(CONFIGS[0], 20, 2e-4), (CONFIGS[1], 2, 5e-5)])
def test_eight_devices_train_as_one(spec, steps, tolerance, tmp_path, launcher):
  """The same run on 8 host-platform devices (batch split 8 ways, one process) and on one."""
  one, eight = tmp_path / 'one', tmp_path / 'eight'
  args = [f'--config={spec}', f'--config.train.steps={steps}']
  launcher('train', *args, f'--workdir={one}')
  flags = os.environ.get('XLA_FLAGS', '')
  os.environ['XLA_FLAGS'] = f'{flags} --xla_force_host_platform_device_count=8'
  try:
    result = launcher('train', *args, f'--workdir={eight}')
    refused = launcher('train', f'--config={spec}', f'--workdir={tmp_path / "bad"}',
                       '--config.train.batch_size=12', check=False)
  finally:
    os.environ['XLA_FLAGS'] = flags
  assert 'cpu:7' in result.stderr
  assert_close(trained_params(one), trained_params(eight), tolerance)
  assert refused.returncode == 2
  assert 'does not split over 8 devices' in refused.stderr
