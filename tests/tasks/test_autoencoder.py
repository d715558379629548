"""The autoencoder task: its sparsity term, a short training of each model, and its codes."""

import os

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from PIL import Image

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.data.sources import load_splits
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.io_utils import read_json
from hwr_jax.models.sparse_autoencoder import Model
from hwr_jax.tasks import autoencoder
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.writers import read_metrics


def test_kl_is_zero_when_mean_activations_equal_the_target():
  at_target = jnp.array([[0.0, 0.1, 0.05], [0.1, 0.0, 0.05]])
  assert float(autoencoder.sparsity_kl(0.05, at_target)) == pytest.approx(0.0, abs=1e-6)
  above = float(autoencoder.sparsity_kl(0.05, jnp.full((4, 3), 0.2)))
  one_unit = 0.05 * np.log(0.05 / 0.2) + 0.95 * np.log(0.95 / 0.8)
  assert above == pytest.approx(3 * one_unit, rel=1e-5)


def trained(name, workdir, steps=40):
  config = load_config_file(f'configs/{name}.py:tiny')
  config.train.update(steps=steps, log_every=1, checkpoint_every=steps)
  result = loop.train_and_evaluate(config, str(workdir))
  curve = [r['loss'] for r in read_metrics(str(workdir)) if r['split'] == 'train']
  assert np.mean(curve[-5:]) < 0.8 * np.mean(curve[:5]), curve
  return config, result


@pytest.fixture(scope='module')
def conv_run(tmp_path_factory):
  workdir = tmp_path_factory.mktemp('cae') / 'run'
  config, result = trained('conv_autoencoder', workdir)
  return config, result, str(workdir)


def test_conv_autoencoder_learns_and_writes_its_grid(conv_run):
  """The picture is the first grid_columns test letters over their reconstructions."""
  config, result, workdir = conv_run
  report = read_json(os.path.join(workdir, 'eval', 'report.json'))['test']
  assert report['reconstruction_mse'] < 0.1 and 'mean_activation' not in report
  task, state = load_trained(workdir)
  letters = load_splits(config.data, config.seed).test.images
  rebuilt, _ = task.reconstruct(state, letters)
  columns = config.eval.grid_columns
  assert len(letters) > columns
  expected = image_grid(np.concatenate([letters[:columns], rebuilt[:columns]]), columns)
  np.testing.assert_array_equal(result.images['test/reconstruction'], expected)
  with Image.open(os.path.join(workdir, 'eval', 'reconstruction_test.png')) as written:
    np.testing.assert_array_equal(np.asarray(written), expected)


def test_sparse_autoencoder_reports_its_activation_next_to_the_target(tmp_path):
  _, result = trained('sparse_autoencoder', tmp_path / 'run')
  test = result.scalars['test']
  assert 0.0 < test['mean_activation'] < 1.0 and 'sparsity_target' not in test
  report = read_json(os.path.join(tmp_path, 'run', 'eval', 'report.json'))['test']
  assert report['sparsity_target'] == 0.05
  assert report['mean_activation'] == test['mean_activation']
  records = read_metrics(str(tmp_path / 'run'))
  assert all('mean_activation' in r and 'sparsity' in r for r in records if r['split'] == 'train')


def test_encode_exports_codes_in_the_data_sets_order(conv_run, launcher):
  config, _, workdir = conv_run
  launcher('encode', f'--workdir={workdir}')
  with np.load(os.path.join(workdir, 'codes_all.npz')) as codes:
    z, names, split = codes['z'], codes['names'], codes['split']
  task, state = load_trained(workdir)
  data = loop.build_run(config).data
  test = split == 'test'
  np.testing.assert_array_equal(names[test], data.test.names)
  np.testing.assert_allclose(z[test], task.encode(state, data.test.images)['z'], atol=1e-6)
  assert z.shape[1] == 4 * 4 * 4
  reverse = np.arange(len(data.test))[::-1]
  np.testing.assert_allclose(task.encode(state, data.test.images[reverse])['z'],
                             z[test][reverse], atol=1e-6)


def test_kernel_offset_starts_every_kernel_that_far_below_zero():
  """The log's -0.05 initialisation: the same draw, every kernel entry shifted."""
  images = jnp.zeros((1, 8, 8, 1))
  plain = Model(image_shape=(8, 8), hidden=(32,)).init(jax.random.key(3), images)['params']
  shifted = Model(image_shape=(8, 8), hidden=(32,), kernel_offset=-0.05).init(
      jax.random.key(3), images)['params']
  for name in plain:
    np.testing.assert_allclose(shifted[name]['kernel'], plain[name]['kernel'] - 0.05,
                               atol=1e-7)
    np.testing.assert_array_equal(shifted[name]['bias'], plain[name]['bias'])


def test_the_weight_mean_cost_drives_the_kernels_negative(tmp_path):
  """The log's 0.1*mean(weights) cost, alone beside the squared error: the kernels' mean falls
  below the plain run's, and the hidden units are less active."""
  config = load_config_file('configs/sparse_autoencoder.py:tiny')
  config.autoencoder.update(sparsity_weight=0.0, weight_decay=0.0)
  runs = {}
  for cost in (0.0, 10.0):
    config.autoencoder.kernel_mean_weight = cost
    result = loop.train_and_evaluate(config, str(tmp_path / str(cost)))
    _, state = load_trained(str(tmp_path / str(cost)))
    runs[cost] = (float(autoencoder.kernel_mean(state.params)),
                  result.scalars['test']['mean_activation'])
  assert runs[10.0][0] < runs[0.0][0] - 0.01, runs
  assert runs[10.0][1] < runs[0.0][1], runs
