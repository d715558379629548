"""The one training loop every task runs: progress, logging, checkpoints, resume, NaN guard."""

from __future__ import annotations

import os
from typing import Mapping

import jax
import ml_collections
import numpy as np
from absl import logging

from hwr_jax.data import pipeline
from hwr_jax.data.sources import DataSplits, load_splits
from hwr_jax.errors import HwrError
from hwr_jax.tasks import get_task_class
from hwr_jax.tasks.base import DataInfo, EvalResult, Task
from hwr_jax.training import checkpoints, progress, workdir as workdir_lib
from hwr_jax.training.writers import MetricWriter

EVAL_DIR = 'eval'


class NumericalError(HwrError):
  """A loss or gradient became NaN or Inf."""


def log_platform() -> None:
  logging.info('JAX %s on platform %s; devices: %s', jax.__version__, jax.default_backend(),
               ', '.join(f'{d.platform}:{d.id} ({d.device_kind})' for d in jax.devices()))


def mean_metrics(pending: list[Mapping[str, jax.Array]]) -> dict[str, float]:
  """Fetches the metrics of the steps since the last log (one transfer) and averages them."""
  stacked = jax.device_get(jax.tree.map(lambda *xs: np.stack(xs), *pending))
  return {k: float(np.mean(v)) for k, v in stacked.items()}


def check_finite(pending: list[Mapping[str, jax.Array]], first_step: int) -> None:
  """Raises naming the first step and quantity that is not finite."""
  values = jax.device_get(pending)
  for offset, metrics in enumerate(values):
    for name, value in metrics.items():
      if not np.all(np.isfinite(value)):
        raise NumericalError(f'{name} is {value} at step {first_step + offset}; the run stops '
                             'and the last checkpoint (saved before that step) is kept')


def evaluation_sets(data: DataSplits) -> dict:
  return {'test': data.test, **data.extra_tests}


def write_eval(writer: MetricWriter, step: int, result: EvalResult) -> None:
  for name, scalars in result.scalars.items():
    writer.write_scalars(step, name, scalars)
  for tag, image in result.images.items():
    writer.write_image(step, tag, image)
  writer.flush()


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> EvalResult:
  """Trains config's task to config.train.steps, resuming from workdir's latest checkpoint,
  and returns the final evaluation (also written under workdir/eval)."""
  log_platform()
  data = load_splits(config.data, config.seed)
  info = DataInfo.of(data.train)
  task: Task = get_task_class(config.task_name)(config, info)
  workdir_lib.prepare_workdir(workdir, config, info)

  train = config.train
  base_key = jax.random.key(config.seed)
  state = task.init_state(jax.random.fold_in(base_key, 0))
  checkpointer = checkpoints.Checkpointer(workdir, train.checkpoint_every, train.keep_checkpoints)
  step_key = jax.random.fold_in(base_key, 1)
  if checkpointer.latest_step() is not None:
    state, meta = checkpointer.restore(state)
    step_key = checkpoints.key_from_json(meta['rng'])
  start = int(state.step)
  writer = MetricWriter(workdir)
  writer.truncate_after(start)
  logging.info('Training %s/%s for %d steps from step %d; workdir %s', config.task_name,
               config.model_name, train.steps, start, workdir)

  step_fn = jax.jit(task.train_step)
  batches = pipeline.train_batches(data.train, train.batch_size, config.seed, start)
  chrono = progress.Chronometer(start, train.steps, train.batch_size)
  pending: list = []
  eval_dir = os.path.join(workdir, EVAL_DIR)
  try:
    for step in range(start + 1, train.steps + 1):
      state, metrics = step_fn(state, next(batches), jax.random.fold_in(step_key, step))
      pending.append(metrics)
      if step == start + 1:
        jax.block_until_ready(metrics)
        chrono.step_done(step)
      log_due = progress.is_due(step, train.log_every, train.steps)
      save_due = progress.is_due(step, train.checkpoint_every, train.steps)
      if log_due or save_due:
        check_finite(pending, step - len(pending) + 1)
      if log_due:
        scalars = mean_metrics(pending)
        pending = []
        logging.info('%s', chrono.progress_line(step, scalars))
        writer.write_scalars(step, 'train', {**scalars,
                                             'steps_per_second': chrono.steps_per_second(step)})
      if save_due:
        meta = {'rng': checkpoints.key_to_json(step_key), 'seed': config.seed, 'step': step,
                **pipeline.data_position(step, len(data.train), train.batch_size)}
        checkpointer.save(step, state, meta, force=step == train.steps)
      if train.eval_every and step % train.eval_every == 0 and step != train.steps:
        write_eval(writer, step, task.evaluate(state, {'test': data.test}, None))
  finally:
    batches.close()
    checkpointer.close()
  os.makedirs(eval_dir, exist_ok=True)
  result = task.evaluate(state, evaluation_sets(data), eval_dir)
  write_eval(writer, train.steps, result)
  writer.close()
  logging.info('Finished in %s (compile %.1fs); reports in %s',
               progress.format_duration(chrono.elapsed()), chrono.compile_seconds, eval_dir)
  return result
