"""The training loop on tiny configs: determinism, resume, logging, workdir ownership."""

import json
import logging
import os

import jax
import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.loop import train_and_evaluate
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training import workdir as workdir_lib
from hwr_jax.training.writers import read_metrics
from configs import blstm_classifier, cnn_classifier


def tiny_cnn(**train):
  config = cnn_classifier.get_config('tiny')
  config.train.update(train)
  return config


def params_of(workdir):
  _, state = load_trained(workdir)
  return jax.device_get(state.params), jax.device_get(state.opt_state)


def assert_trees_equal(a, b):
  leaves_a, tree_a = jax.tree.flatten(a)
  leaves_b, tree_b = jax.tree.flatten(b)
  assert tree_a == tree_b
  for x, y in zip(leaves_a, leaves_b):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_same_seed_gives_bit_identical_parameters(tmp_path, launcher, monkeypatch):
  train_and_evaluate(tiny_cnn(), str(tmp_path / 'a'))
  # The second run compiles its programs afresh, in its own process, as a user's run does:
  # the suite's shared compilation cache would otherwise hand it the first run's.
  monkeypatch.setenv('JAX_ENABLE_COMPILATION_CACHE', 'false')
  launcher('train', '--config=configs/cnn_classifier.py:tiny', f'--workdir={tmp_path / "b"}')
  assert_trees_equal(params_of(tmp_path / 'a'), params_of(tmp_path / 'b'))


def test_different_seed_gives_different_parameters(tmp_path):
  train_and_evaluate(tiny_cnn(), str(tmp_path / 'a'))
  other = tiny_cnn()
  other.seed = 1
  train_and_evaluate(other, str(tmp_path / 'b'))
  a, b = params_of(tmp_path / 'a')[0], params_of(tmp_path / 'b')[0]
  assert any(not np.array_equal(x, y) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


@pytest.mark.parametrize('get_config', [cnn_classifier.get_config, blstm_classifier.get_config])
def test_resumed_run_equals_uninterrupted_run(tmp_path, get_config, caplog):
  def config(steps):
    c = get_config('tiny')
    c.train.update(steps=steps, checkpoint_every=6, log_every=3)
    c.optimizer.schedule = 'constant'
    return c

  train_and_evaluate(config(12), str(tmp_path / 'whole'))
  train_and_evaluate(config(6), str(tmp_path / 'split'))
  with caplog.at_level(logging.WARNING):
    train_and_evaluate(config(12), str(tmp_path / 'split'))
  assert 'will not equal' not in caplog.text
  assert_trees_equal(params_of(tmp_path / 'whole'), params_of(tmp_path / 'split'))
  steps = [r['step'] for r in read_metrics(tmp_path / 'split') if r['split'] == 'train']
  assert steps == [3, 6, 9, 12]


@pytest.mark.parametrize('before,after', [('cosine', 'cosine'), ('warmup_cosine', 'constant'),
                                          ('constant', 'cosine')])
def test_more_steps_warn_when_the_schedule_depends_on_them(caplog, before, after):
  saved = {'train': {'steps': 6}, 'optimizer': {'schedule': before}}
  resumed = {'train': {'steps': 12}, 'optimizer': {'schedule': after}}
  with caplog.at_level(logging.WARNING):
    workdir_lib.warn_if_schedule_changes(saved, resumed)
  assert f'6 to 12: the learning-rate schedule ({before}, now {after})' in caplog.text


def test_loss_falls_and_everything_is_logged(tmp_path):
  workdir = tmp_path / 'run'
  # 22 letters at 16x16 in two scripts, tested on a hand never seen: the loss falls by 20% in
  # about 100 steps, by 27% in 160.
  result = train_and_evaluate(tiny_cnn(steps=160, log_every=20), str(workdir))
  train = [r for r in read_metrics(workdir) if r['split'] == 'train']
  assert train[-1]['loss'] < 0.8 * train[0]['loss']
  assert {'test', 'context'} <= set(result.scalars)
  assert os.listdir(workdir / 'tensorboard')
  with open(workdir / 'config.json') as f:
    assert json.load(f)['model_name'] == 'cnn'
  assert (workdir / 'vocabulary.json').exists()
  report = json.loads((workdir / 'eval' / 'report.json').read_text())
  assert set(report['test']['per_class']) == set(
      json.loads((workdir / 'vocabulary.json').read_text())['labels'])
  assert (workdir / 'eval' / 'confusion_test.png').exists()


def test_workdir_of_another_model_is_refused(tmp_path):
  workdir = str(tmp_path / 'run')
  train_and_evaluate(tiny_cnn(), workdir)
  before = sorted(os.listdir(workdir))
  with pytest.raises(ConfigError, match='model_name'):
    train_and_evaluate(blstm_classifier.get_config('tiny'), workdir)
  assert sorted(os.listdir(workdir)) == before
