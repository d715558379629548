"""Crashes, signals, numerical faults and contested workdirs lose nothing.

The kill tests run the real launcher in child processes and kill them with SIGKILL during
training and in the middle of writing a checkpoint; resumed, each run must end with exactly
the parameters of an uninterrupted one.
"""

import os
import signal

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax import loop
from hwr_jax.errors import ConfigError
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training import workdir as workdir_lib
from hwr_jax.training.checkpoints import Checkpointer
from hwr_jax.training.writers import read_metrics
from configs import cnn_classifier
import launchers

STEPS = 40
ARGS = ['--config=configs/cnn_classifier.py:tiny', f'--config.train.steps={STEPS}',
        '--config.train.checkpoint_every=10', '--config.train.log_every=1',
        '--config.optimizer.schedule=constant']

# Runs the launcher, but SIGKILLs the process when orbax renames checkpoint KILL_STEP's files
# into place: KILL_AT='first' at the first rename (an item folder), 'last' at the final one.
KILLING_LAUNCHER = '''
import os, runpy, signal, sys
step, when = os.environ['KILL_STEP'], os.environ['KILL_AT']
renames = []
real_rename = os.rename
def rename(src, dst, *args, **kwargs):
  if f'/{step}.orbax-checkpoint-tmp' in str(src):
    renames.append(src)
    if when == 'first' or '.orbax-checkpoint-tmp' not in str(dst):
      os.kill(os.getpid(), signal.SIGKILL)
  return real_rename(src, dst, *args, **kwargs)
os.rename = rename
sys.argv = ['launch.train'] + sys.argv[1:]
runpy.run_module('launch.train', run_name='__main__')
'''


def launch(workdir):
  return launchers.start(['-m', 'launch.train', *ARGS, f'--workdir={workdir}'],
                         stream_stderr=True)


def finish(workdir):
  process = launch(workdir)
  _, err = process.communicate(timeout=300)
  assert process.returncode == 0, err[-3000:]
  return err


def kill_after_line(workdir, needle, sig=signal.SIGKILL):
  """Starts a run and sends `sig` once its log shows `needle`; returns (exit code, log)."""
  process = launch(workdir)
  log = []
  for line in process.stderr:
    log.append(line)
    if needle in line:
      process.send_signal(sig)
      break
  log.extend(process.stderr)
  process.wait(timeout=120)
  return process.returncode, ''.join(log)


def final_params(workdir):
  _, state = load_trained(str(workdir))
  return jax.device_get((state.params, state.batch_stats, state.opt_state))


def assert_same(a, b):
  for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
    np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.fixture(scope='module')
def uninterrupted(tmp_path_factory):
  workdir = tmp_path_factory.mktemp('whole') / 'run'
  finish(workdir)
  return final_params(workdir)


@pytest.mark.parametrize('needle', [f'step 7/{STEPS}', f'step 23/{STEPS}'])
def test_sigkill_during_training_resumes_to_identical_parameters(tmp_path, uninterrupted,
                                                                 needle):
  workdir = tmp_path / 'run'
  code, _ = kill_after_line(workdir, needle)
  assert code == -signal.SIGKILL
  log = finish(workdir)
  resumed_from = int(log.split(f'for {STEPS} steps from step ')[1].split(';')[0])
  assert resumed_from % 10 == 0 and resumed_from < STEPS
  assert_same(final_params(workdir), uninterrupted)


@pytest.mark.parametrize('when', ['first', 'last'])
def test_sigkill_in_the_middle_of_a_save_keeps_the_last_complete_checkpoint(
    tmp_path, uninterrupted, when):
  workdir = tmp_path / 'run'
  process = launchers.run(['-c', KILLING_LAUNCHER, *ARGS, f'--workdir={workdir}'],
                         env={**os.environ, 'KILL_STEP': '20', 'KILL_AT': when}, timeout=300)
  assert process.returncode == -signal.SIGKILL, process.stderr[-3000:]
  leftovers = os.listdir(workdir / 'checkpoints')
  assert any('20.orbax-checkpoint-tmp' in name for name in leftovers), leftovers
  log = finish(workdir)
  assert 'from step 10' in log
  assert_same(final_params(workdir), uninterrupted)
  assert not any('tmp' in name for name in os.listdir(workdir / 'checkpoints'))
  steps = [r['step'] for r in read_metrics(workdir) if r['split'] == 'train']
  assert steps == list(range(1, STEPS + 1))


@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT])
def test_signal_saves_a_checkpoint_and_exits_cleanly(tmp_path, uninterrupted, sig):
  workdir = tmp_path / 'run'
  code, log = kill_after_line(workdir, f'step 13/{STEPS}', sig)
  assert code == 128 + sig, log[-3000:]
  assert 'Traceback' not in log
  assert f'stopped by {signal.Signals(sig).name} after step' in log
  stopped_at = int(log.split('after step ')[1].split(';')[0])
  checkpointer = Checkpointer(str(workdir), 10, 3)
  assert checkpointer.latest_step() == stopped_at
  checkpointer.close()
  finish(workdir)
  assert_same(final_params(workdir), uninterrupted)


class PoisonedTask:
  """The classification task, but the step that produces step 7 returns NaN everywhere."""

  def __init__(self, real_class):
    self.real_class = real_class

  def __call__(self, config, info):
    task = self.real_class(config, info)
    real_step = task.train_step

    def train_step(state, batch, rng):
      new_state, metrics = real_step(state, batch, rng)
      poison = new_state.step == 7
      spoil = lambda x: jnp.where(poison, jnp.nan, x) if jnp.issubdtype(x.dtype, jnp.floating) \
          else x
      return jax.tree.map(spoil, new_state), jax.tree.map(spoil, metrics)

    task.train_step = train_step
    return task


@pytest.fixture
def poisoned(monkeypatch):
  real = loop.get_task_class
  monkeypatch.setattr(loop, 'get_task_class', lambda name: PoisonedTask(real(name)))


def nan_config(policy):
  config = cnn_classifier.get_config('tiny')
  config.train.update(steps=12, checkpoint_every=5, log_every=4, nan_policy=policy)
  return config


def test_nan_stops_the_run_naming_step_and_quantity_and_keeps_the_good_checkpoint(
    tmp_path, poisoned):
  workdir = str(tmp_path / 'run')
  with pytest.raises(loop.NumericalError, match=r'(accuracy|grad_norm|loss) is nan at step 7'):
    loop.train_and_evaluate(nan_config('stop'), workdir)
  checkpointer = Checkpointer(workdir, 5, 3)
  assert checkpointer.all_steps() == [5]
  checkpointer.close()
  for leaf in jax.tree.leaves(final_params(workdir)):
    assert np.all(np.isfinite(np.asarray(leaf)))


def test_nan_policy_skip_skips_the_poisoned_step(tmp_path, poisoned):
  workdir = str(tmp_path / 'run')
  loop.train_and_evaluate(nan_config('skip'), workdir)
  records = [r for r in read_metrics(workdir) if r['split'] == 'train']
  assert sum(r['skipped'] for r in records) == 1
  for leaf in jax.tree.leaves(final_params(workdir)):
    assert np.all(np.isfinite(np.asarray(leaf)))


def test_a_second_run_on_a_busy_workdir_is_refused(tmp_path, launcher):
  workdir = str(tmp_path / 'run')
  with workdir_lib.WorkdirLock(workdir).acquire():
    result = launcher('train', '--config=configs/cnn_classifier.py:tiny',
                      f'--workdir={workdir}', check=False)
  assert result.returncode == 2
  assert f'in use by another run (process {os.getpid()})' in result.stderr


def test_start_over_moves_the_old_run_aside(tmp_path):
  workdir = str(tmp_path / 'run')
  loop.train_and_evaluate(cnn_classifier.get_config('tiny'), workdir)
  other = cnn_classifier.get_config('tiny')
  other.model.dense = 64
  with pytest.raises(ConfigError, match='model.dense'):
    loop.train_and_evaluate(other, workdir)
  loop.train_and_evaluate(other, workdir, start_over=True)
  backups = [p for p in os.listdir(tmp_path) if p.startswith('run.replaced-')]
  assert len(backups) == 1
  assert os.path.exists(tmp_path / backups[0] / 'checkpoints' / '20')


def test_ctrl_c_while_setting_up_exits_cleanly(tmp_path, monkeypatch):
  monkeypatch.setenv('HWR_JAX_CACHE', str(tmp_path / 'cache'))
  code, log = kill_after_line(tmp_path / 'run', 'on platform', signal.SIGINT)
  assert code == 130, log[-3000:]
  assert 'Traceback' not in log and 'interrupted: stopped by SIGINT' in log
  cache = tmp_path / 'cache'
  assert not cache.exists() or not [p for p in os.listdir(cache) if 'partial' in p]


def test_resume_with_another_optimizer_is_refused_and_the_record_kept(tmp_path, launcher):
  workdir = tmp_path / 'run'
  finish(workdir)
  saved = (workdir / 'config.json').read_text()
  result = launcher('train', *ARGS, f'--workdir={workdir}', '--config.optimizer.name=sgd',
                    check=False)
  assert result.returncode == 2
  assert "optimizer.name='adamw'" in result.stderr and "optimizer.name='sgd'" in result.stderr
  assert (workdir / 'config.json').read_text() == saved


def test_fewer_steps_than_the_checkpoint_is_refused(tmp_path, launcher):
  workdir = tmp_path / 'run'
  finish(workdir)
  result = launcher('train', *ARGS, f'--workdir={workdir}', '--config.train.steps=30',
                    check=False)
  assert result.returncode == 2 and f'already at step {STEPS}' in result.stderr


def test_a_finished_run_started_again_logs_its_evaluation_once(tmp_path):
  workdir = tmp_path / 'run'
  finish(workdir)
  finish(workdir)
  evaluations = [(r['step'], r['split']) for r in read_metrics(workdir) if r['split'] != 'train']
  assert sorted(evaluations) == [(STEPS, 'context'), (STEPS, 'context_binary'), (STEPS, 'test')]
