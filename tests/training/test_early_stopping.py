"""Early stopping: the tracker, and the loop stopping on a validation metric, across restarts."""

import jax
import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.loop import train_and_evaluate
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training import checkpoints, early_stopping
from hwr_jax.training.early_stopping import EarlyStopping
from hwr_jax.training.writers import read_metrics
from configs import cnn_classifier


def settings(**overrides):
  config = early_stopping.default_config()
  config.update(metric='mae', **overrides)
  return config


def tracker(**overrides):
  return EarlyStopping.from_config(settings(**overrides))


def test_stops_after_patience_evaluations_without_improvement():
  stopping = tracker(patience=2)
  assert [stopping.update(step, {'mae': value}) for step, value in
          [(10, 5.0), (20, 4.0), (30, 4.5), (40, 3.9), (50, 4.0), (60, 4.0)]] == \
      [False, False, False, False, False, True]
  assert (stopping.best, stopping.best_step, stopping.stopped_at) == (3.9, 40, 60)


def test_max_mode_and_min_delta():
  stopping = tracker(mode='max', patience=1, min_delta=0.05)
  assert not stopping.update(1, {'mae': 0.5})
  assert stopping.update(2, {'mae': 0.54})  # not better by more than min_delta
  assert stopping.best == 0.5


def test_state_survives_a_checkpoint():
  stopping = tracker(patience=3)
  stopping.update(5, {'mae': 2.0})
  stopping.update(10, {'mae': 2.5})
  again = EarlyStopping.from_config(settings(patience=3), stopping.to_json())
  assert again.to_json() == stopping.to_json() == {'best': 2.0, 'best_step': 5, 'waited': 1,
                                                    'stopped_at': None}


def test_bad_settings_and_unknown_metrics_are_named():
  with pytest.raises(ConfigError, match='early_stopping.mode'):
    tracker(mode='lowest')
  with pytest.raises(ConfigError, match='patience=0'):
    tracker(patience=0)
  with pytest.raises(ConfigError, match=r"metric='mae' is not among the validation scalars: acc"):
    tracker().update(1, {'acc': 1.0})


def stopping_cnn(steps=40, patience=1):
  """A tiny classifier that evaluates a validation set every 5 steps and, since accuracy
  cannot rise by more than 1, stops `patience` evaluations after the first."""
  config = cnn_classifier.get_config('tiny')
  config.data.val_fraction = 0.2
  config.optimizer.schedule = 'constant'
  config.train.update(steps=steps, eval_every=5, log_every=5, checkpoint_every=5)
  config.train.early_stopping.update(metric='accuracy', mode='max', patience=patience,
                                     min_delta=1.0)
  return config


def params_of(workdir):
  _, state = load_trained(str(workdir))
  return jax.device_get(state.params)


def test_run_stops_early_and_a_restart_only_evaluates(tmp_path):
  workdir = tmp_path / 'run'
  first = train_and_evaluate(stopping_cnn(), str(workdir))
  records = read_metrics(workdir)
  assert [r['step'] for r in records if r['split'] == 'val'] == [5, 10]
  assert max(r['step'] for r in records if r['split'] == 'train') == 10
  with checkpoints.Checkpointer(str(workdir), 5, 3) as checkpointer:
    assert checkpointer.latest_step() == 10
  assert [r['step'] for r in records if r['split'] == 'test'] == [10]
  again = train_and_evaluate(stopping_cnn(), str(workdir))
  assert again.scalars == first.scalars
  records = read_metrics(workdir)
  assert [r['step'] for r in records if r['split'] == 'val'] == [5, 10]
  assert [r['step'] for r in records if r['split'] == 'test'] == [10]


def test_resumed_run_stops_where_an_uninterrupted_one_does(tmp_path):
  train_and_evaluate(stopping_cnn(patience=2), str(tmp_path / 'whole'))
  train_and_evaluate(stopping_cnn(steps=5, patience=2), str(tmp_path / 'split'))
  train_and_evaluate(stopping_cnn(patience=2), str(tmp_path / 'split'))
  for a, b in zip(jax.tree.leaves(params_of(tmp_path / 'whole')),
                  jax.tree.leaves(params_of(tmp_path / 'split'))):
    np.testing.assert_array_equal(a, b)
  with checkpoints.Checkpointer(str(tmp_path / 'split'), 5, 3) as checkpointer:
    assert checkpointer.latest_step() == 15


@pytest.mark.parametrize('key, value, needle', [
    ('data.val_fraction', 0.0, 'needs a validation set'),
    ('train.early_stopping.metric', 'loss',
     r"metric='loss' is not among the validation scalars: accuracy"),
    ('train.eval_every', 0, 'eval_every=0'),
])
def test_impossible_early_stopping_fails_before_the_workdir(tmp_path, key, value, needle):
  config = stopping_cnn()
  config.update_from_flattened_dict({key: value})
  with pytest.raises(ConfigError, match=needle):
    train_and_evaluate(config, str(tmp_path / 'run'))
  assert not (tmp_path / 'run').exists()
