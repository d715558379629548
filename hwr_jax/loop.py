"""The one training loop every task runs: progress, logging, checkpoints, resume, NaN guard,
validation and early stopping."""

from __future__ import annotations

import dataclasses
import os
from typing import Callable, Mapping, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging
from jax.sharding import Mesh

from hwr_jax import parallel
from hwr_jax.data import pipeline
from hwr_jax.data.dataset import DataInfo
from hwr_jax.data.sources import DataSplits, load_splits, relabelled
from hwr_jax.errors import ConfigError, HwrError
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.models import get_model_class
from hwr_jax.tasks import get_task_class
from hwr_jax.tasks.base import Task
from hwr_jax.training import checkpoints, init_from, progress, signals, workdir as workdir_lib
from hwr_jax.training.early_stopping import EarlyStopping
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import TrainState
from hwr_jax.training.writers import MetricWriter

EVAL_DIR = 'eval'
SAMPLES_DIR = 'samples'


class NumericalError(HwrError):
  """A loss or gradient became NaN or Inf."""


def log_platform() -> None:
  logging.info('JAX %s on platform %s; devices: %s', jax.__version__, jax.default_backend(),
               ', '.join(f'{d.platform}:{d.id} ({d.device_kind})' for d in jax.devices()))


def mean_metrics(fetched: list[Mapping[str, np.ndarray]]) -> dict[str, float]:
  """Averages the host metrics of the steps since the last log, leaving out the non-finite
  values of skipped steps."""
  stacked = {name: np.stack([m[name] for m in fetched]) for name in fetched[0]}
  out = {}
  for name, values in stacked.items():
    finite = values[np.isfinite(values)]
    out[name] = float(np.sum(values)) if name == 'skipped' else float(
        np.mean(finite)) if finite.size else float('nan')
  return out


def check_finite(fetched: list[Mapping[str, np.ndarray]], first_step: int) -> None:
  """Raises naming the first step and quantity that is not finite."""
  for offset, metrics in enumerate(fetched):
    for name, value in metrics.items():
      if not np.all(np.isfinite(value)):
        raise NumericalError(
            f'{name} is {value} at step {first_step + offset}; the run stops without saving '
            'that state and keeps its last checkpoint (set train.nan_policy=skip to skip such '
            'steps instead)')


def skipping_non_finite(train_step: Callable) -> Callable:
  """Wraps a step so that one whose metrics (loss, gradient norm) are not all finite leaves
  parameters and optimizer state unchanged and reports skipped=1. The step counter still
  advances, so batches and checkpoints keep their positions."""

  def step(state, batch, rng):
    new_state, metrics = train_step(state, batch, rng)
    finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in metrics.values()]))
    kept = jax.tree.map(lambda new, old: jnp.where(finite, new, old), new_state, state)
    return kept.replace(step=new_state.step), {**metrics,
                                               'skipped': 1 - finite.astype(jnp.int32)}

  return step


NAN_POLICIES = ('stop', 'skip')


def compiled_step(task: Task, nan_policy: str, steps_per_call: int, mesh: Mesh,
                  train_step: Optional[Callable] = None) -> Callable:
  """The jitted call (state, batches, step_key, first_step) -> (state, metrics) that runs
  `steps_per_call` steps of `train_step` (default: the task's); each step's key is step_key
  folded with its number, and each metric comes back with one value per step. More than one
  step per call scans over a stack of batches: one dispatch for K steps, with the same results
  as K calls."""
  train_step = train_step or task.train_step
  step = train_step if nan_policy == 'stop' else skipping_non_finite(train_step)

  def one(state, batch, step_key, first_step):
    state, metrics = step(state, batch, jax.random.fold_in(step_key, first_step))
    return state, jax.tree.map(lambda value: value[None], metrics)

  def several(state, batches, step_key, first_step):
    def body(state, inputs):
      batch, offset = inputs
      return step(state, batch, jax.random.fold_in(step_key, first_step + offset))

    return jax.lax.scan(body, state, (batches, jnp.arange(steps_per_call)))

  return jax.jit(one if steps_per_call == 1 else several,
                 out_shardings=parallel.replicated(mesh))


def unstack_metrics(fetched: Mapping[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
  """The host metrics of one call, one dict per step."""
  count = len(next(iter(fetched.values())))
  return [{name: values[i] for name, values in fetched.items()} for i in range(count)]


def check_config(config: ml_collections.ConfigDict) -> None:
  """Fails on names and values that would otherwise fail only after the data is loaded."""
  get_task_class(config.task_name)
  get_model_class(config.model_name)
  make_optimizer(config.optimizer, config.train.steps)
  compute_dtype(config)
  init_from.check_settings(init_from.settings_of(config))
  if config.train.nan_policy not in NAN_POLICIES:
    raise ConfigError(f'train.nan_policy={config.train.nan_policy!r}: expected stop or skip')
  check_steps_per_call(config.train)
  if EarlyStopping.from_config(config.train.early_stopping).active and not config.train.eval_every:
    raise ConfigError('train.early_stopping.metric is set but train.eval_every=0: the validation '
                      'set is never evaluated')


def check_steps_per_call(settings: ml_collections.ConfigDict) -> None:
  """Logs, checkpoints, samples and evaluations happen between calls, so with K steps per
  call their cadences and the step count must be multiples of K."""
  per_call = settings.steps_per_call
  if per_call < 1:
    raise ConfigError(f'train.steps_per_call={per_call}: must be 1 or more')
  for name in ('steps', 'log_every', 'checkpoint_every', 'sample_every', 'eval_every'):
    if settings[name] % per_call:
      raise ConfigError(f'train.{name}={settings[name]} is not a multiple of '
                        f'train.steps_per_call={per_call}')


@dataclasses.dataclass
class Run:
  """Everything a run needs before it touches its workdir."""

  data: DataSplits
  task: Task
  initial_state: TrainState
  step_fn: Callable
  mesh: Mesh


def build_run(config: ml_collections.ConfigDict) -> Run:
  """Checks the config, loads the data, builds the task and its first state (from the run
  config.init names, if any): every error a user's input can cause happens here, before
  anything is written."""
  check_config(config)
  source = init_from.load_source(config)
  mesh = parallel.make_mesh()
  parallel.check_batch_size(config.train.batch_size, mesh)
  data = load_splits(config.data, config.seed)
  if source is not None:
    # Before the task is built: with init.labels=union its output layer is over the union.
    data = relabelled(data, init_from.run_vocabulary(source, DataInfo.of(data.train)))
  pipeline.batches_per_epoch(len(data.train), config.train.batch_size)
  task: Task = get_task_class(config.task_name)(config, DataInfo.of(data.train))
  init_from.check_head(init_from.settings_of(config), task.output_head, config.task_name)
  task.check_data(all_sets(data))
  task.evaluators()
  task.prepare()
  state = task.init_state(jax.random.fold_in(jax.random.key(config.seed), 0))
  if source is not None:
    state = init_from.start_from(source, state, task.output_head, data.vocabulary)
  state = init_from.with_optimizer(config, state, task.output_head)
  state = jax.device_put(state, parallel.replicated(mesh))
  check_early_stopping(config, task, state, data)
  step_fn = compiled_step(task, config.train.nan_policy, config.train.steps_per_call, mesh,
                          init_from.train_step(config, task.train_step, task.output_head))
  return Run(data, task, state, step_fn, mesh)


def check_early_stopping(config: ml_collections.ConfigDict, task: Task, state: TrainState,
                         data: DataSplits) -> None:
  """Early stopping needs a validation set that the task scores with the named metric; one
  evaluation of the initial state proves it before the workdir is touched."""
  stopping = EarlyStopping.from_config(config.train.early_stopping)
  if not stopping.active:
    return
  if data.val is None:
    raise ConfigError(f'train.early_stopping.metric={stopping.metric!r} needs a validation set: '
                      'set data.val_fraction (or mark val rows in the split column)')
  logging.info('Early stopping on val %s: scoring the initial state once to check that the '
               'task reports it', stopping.metric)
  stopping.check_metric(task.evaluate(parallel.local_copy(state), {'val': data.val},
                                      None).scalars['val'])


def all_sets(data: DataSplits) -> dict:
  sets = {'train': data.train, 'test': data.test, **data.extra_tests}
  if data.val is not None:
    sets['val'] = data.val
  return sets


def evaluation_sets(data: DataSplits) -> dict:
  return {'test': data.test, **data.extra_tests}


def training_evaluation_sets(data: DataSplits) -> dict:
  """What is scored every train.eval_every steps: the validation set when there is one (the
  test sets are left for the final evaluation), else the test set."""
  return {'test': data.test} if data.val is None else {'val': data.val}


def evaluation_due(step: int, settings: ml_collections.ConfigDict, data: DataSplits) -> bool:
  """Every train.eval_every steps; at the last step only for a validation set, since the
  final evaluation scores the test set there."""
  if not settings.eval_every or step % settings.eval_every:
    return False
  return step != settings.steps or data.val is not None


def write_eval(writer: MetricWriter, step: int, result: EvalResult) -> None:
  for name, scalars in result.scalars.items():
    writer.write_scalars(step, name, scalars)
  for tag, image in result.images.items():
    writer.write_image(step, tag, image)
  writer.flush()


def write_snapshot(writer: MetricWriter, step: int, images: Mapping[str, np.ndarray]) -> None:
  """Progress pictures to TensorBoard and to workdir/samples/<name>_<step>.png."""
  for name, image in images.items():
    writer.write_image(step, f'samples/{name}', image,
                       png=os.path.join(SAMPLES_DIR, f'{name}_{step:06d}.png'))


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       start_over: bool = False) -> EvalResult:
  """Trains config's task to config.train.steps, resuming from workdir's latest checkpoint,
  and returns the final evaluation (also written under workdir/eval).

  start_over moves an existing workdir aside (to '<workdir>.replaced-<time>') first.
  Raises RunInterrupted after saving a checkpoint when SIGTERM or SIGINT arrives.
  """
  with signals.stop_on_signals() as stop:
    log_platform()
    run = build_run(config)
    stop.check()
    with workdir_lib.prepare_workdir(workdir, config, run.task.data_info, start_over):
      state = train(config, workdir, run, stop)
      eval_dir = os.path.join(workdir, EVAL_DIR)
      primary = parallel.is_primary()
      if primary:
        os.makedirs(eval_dir, exist_ok=True)
      result = run.task.evaluate(parallel.local_copy(state), evaluation_sets(run.data),
                                 eval_dir if primary else None)
      stop.check()
      with MetricWriter(workdir, active=primary) as writer:
        write_eval(writer, int(state.step), result)
  logging.info('Reports in %s', eval_dir)
  return result


def train(config: ml_collections.ConfigDict, workdir: str, run: Run,
          stop: signals.StopRequest) -> TrainState:
  """Restores the latest checkpoint (if any), records the run, and trains to train.steps."""
  settings = config.train
  with checkpoints.Checkpointer(workdir, settings.checkpoint_every,
                                settings.keep_checkpoints) as checkpointer:
    state = run.initial_state
    step_key = jax.random.fold_in(jax.random.key(config.seed), 1)
    meta = {}
    if checkpointer.latest_step() is not None:
      state, meta = checkpointer.restore(state)
      step_key = checkpoints.key_from_json(meta['rng'])
    stopping = EarlyStopping.from_config(settings.early_stopping, meta.get('early_stopping'))
    start = int(state.step)
    if not stopping.stopped:
      check_start(workdir, start, settings)
    workdir_lib.record_run(workdir, config, run.task.data_info)
    with MetricWriter(workdir, active=parallel.is_primary()) as writer:
      finished = start == settings.steps or stopping.stopped
      writer.truncate_after(start, evaluation_sets(run.data) if finished else ())
      if stopping.stopped:
        logging.info('The run in %s stopped early at step %d (best %s %.6g at step %d); '
                     'evaluating it again', workdir, start, stopping.metric, stopping.best,
                     stopping.best_step)
        return state
      logging.info('Training %s/%s for %d steps from step %d; workdir %s', config.task_name,
                   config.model_name, settings.steps, start, workdir)
      return run_steps(config, run, state, step_key, stopping, checkpointer, writer, stop)


def check_start(workdir: str, start: int, settings: ml_collections.ConfigDict) -> None:
  """Refuses a workdir past train.steps, or one whose remaining steps do not split into calls."""
  if start > settings.steps:
    raise ConfigError(f'workdir {workdir} is already at step {start}, past '
                      f'train.steps={settings.steps}; evaluate it with launch.evaluate, or '
                      'give more steps')
  if (settings.steps - start) % settings.steps_per_call:
    raise ConfigError(f'workdir {workdir} is at step {start}: {settings.steps - start} steps '
                      f'to go do not split into calls of train.steps_per_call='
                      f'{settings.steps_per_call}')


def run_steps(config: ml_collections.ConfigDict, run: Run, state: TrainState,
              step_key: jax.Array, stopping: EarlyStopping,
              checkpointer: checkpoints.Checkpointer, writer: MetricWriter,
              stop: signals.StopRequest) -> TrainState:
  """The loop itself, from state.step to train.steps or an early stop: evaluate, log, check,
  save."""
  settings, data = config.train, run.data
  start = int(state.step)

  def save(step: int, force: bool) -> None:
    meta = {'rng': checkpoints.key_to_json(step_key), 'seed': config.seed, 'step': step,
            'early_stopping': stopping.to_json(),
            **pipeline.data_position(step, len(data.train), settings.batch_size)}
    checkpointer.save(step, state, meta, force=force)

  per_call = settings.steps_per_call
  batches = pipeline.train_batches(data.train, settings.batch_size, config.seed, start,
                                   mesh=run.mesh, steps_per_item=per_call)
  chrono = progress.Chronometer(start, settings.steps, settings.batch_size)
  pending: list = []  # metrics still on device, fetched only when needed
  fetched: list = []  # metrics on host since the last log
  try:
    with stop.deferred():
      for step in range(start + per_call, settings.steps + 1, per_call):
        state, metrics = run.step_fn(state, next(batches), step_key,
                                     np.int32(step - per_call + 1))
        pending.append(metrics)
        if step == start + per_call:
          jax.block_until_ready(metrics)
          chrono.step_done(step)
        if evaluation_due(step, settings, data):
          result = run.task.evaluate(parallel.local_copy(state), training_evaluation_sets(data),
                                     None)
          write_eval(writer, step, result)
          if stopping.active:
            stopping.update(step, result.scalars['val'])
        log_due = progress.is_due(step, settings.log_every, settings.steps) or stopping.stopped
        save_due = progress.is_due(step, settings.checkpoint_every,
                                   settings.steps) or stopping.stopped
        if log_due or save_due or stop.signum:
          new = [one for call in jax.device_get(pending) for one in unstack_metrics(call)]
          pending = []
          if settings.nan_policy == 'stop':
            check_finite(new, step - len(new) + 1)
          fetched += new
        if log_due:
          scalars = mean_metrics(fetched)
          fetched = []
          logging.info('%s', chrono.progress_line(step, scalars))
          scalars['steps_per_second'] = chrono.steps_per_second(step)
          writer.write_scalars(step, 'train', scalars)
        if save_due or stop.signum:
          save(step, force=step == settings.steps or bool(stop.signum) or stopping.stopped)
        if stop.signum:
          raise signals.RunInterrupted(stop.signum, step)
        if stopping.stopped:
          logging.info('Stopping early at step %d: val %s has not improved for %d evaluations '
                       '(best %.6g at step %d)', step, stopping.metric, stopping.patience,
                       stopping.best, stopping.best_step)
          break
        if progress.is_due(step, settings.sample_every, settings.steps):
          write_snapshot(writer, step, run.task.snapshot(parallel.local_copy(state), data.test))
  finally:
    batches.close()
  logging.info('Trained to step %d in %s (compile %.1fs)', int(state.step),
               progress.format_duration(chrono.elapsed()), chrono.compile_seconds)
  return state
