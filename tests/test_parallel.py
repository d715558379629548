"""Data parallelism and fused steps: the same training, however it is split or dispatched."""

import os

import jax
import numpy as np
import pytest

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.errors import ConfigError
from hwr_jax.tasks.restore import load_trained

CONFIGS = ['configs/cnn_classifier.py:tiny', 'configs/gan.py:tiny']


def trained_params(workdir):
  _, state = load_trained(str(workdir))
  return jax.device_get((state.params, state.batch_stats))


def assert_close(a, b, tolerance):
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=tolerance, atol=tolerance),
               a, b)


# The fused program is compiled apart from the single step, so XLA may sum in another order;
# the GAN is compared under plain SGD for the reason given at test_eight_devices_train_as_one.
@pytest.mark.parametrize('spec,sgd', [(CONFIGS[0], False), (CONFIGS[1], True)])
def test_k_steps_per_call_equal_k_single_steps(spec, sgd, tmp_path):
  config = load_config_file(spec)
  if sgd:
    config.optimizer.update(name='sgd', learning_rate=0.01)
  loop.train_and_evaluate(config, str(tmp_path / 'single'))
  config.train.steps_per_call = 5
  loop.train_and_evaluate(config, str(tmp_path / 'fused'))
  assert_close(trained_params(tmp_path / 'single'), trained_params(tmp_path / 'fused'), 1e-5)


def test_cadences_must_be_multiples_of_the_steps_per_call():
  config = load_config_file(CONFIGS[0])
  config.train.steps_per_call = 3
  with pytest.raises(ConfigError, match='multiple of train.steps_per_call=3'):
    loop.check_config(config)


# Adam scales the update of a near-zero gradient up to a full learning-rate step, so the
# rounding differences of another summation order become differences of 2e-4 per step in GAN
# training (where such gradients abound) and, depending on the initialisation's last bits, of
# up to 1e-3 in some of the tiny CNN's weights. Both are therefore compared under plain SGD,
# whose updates carry the gradients' own (float-level) differences: that tests the same sharded
# losses, batch statistics and gradients.
SGD = ['--config.optimizer.name=sgd', '--config.optimizer.learning_rate=0.01']


@pytest.mark.parametrize('spec', CONFIGS)
def test_eight_devices_train_as_one(spec, tmp_path, launcher):
  """The same run on 8 host-platform devices (batch split 8 ways, one process) and on one."""
  one, eight = tmp_path / 'one', tmp_path / 'eight'
  args = [f'--config={spec}', *SGD]
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
  assert_close(trained_params(one), trained_params(eight), 1e-5)
  assert refused.returncode == 2
  assert 'does not split over 8 devices' in refused.stderr
