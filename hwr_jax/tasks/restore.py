"""Loading a trained run back from its workdir: its config, data info, task and state."""

from __future__ import annotations

import os
from typing import Optional

import jax

from hwr_jax.errors import ConfigError
from hwr_jax.tasks import get_task_class
from hwr_jax.tasks.base import Task
from hwr_jax.training import checkpoints, init_from, workdir as workdir_lib
from hwr_jax.training.state import TrainState


def load_trained(workdir: str, step: Optional[int] = None) -> tuple[Task, TrainState]:
  """The task of a workdir's run and its state at `step` (default: the latest checkpoint)."""
  config, info = workdir_lib.load_run(workdir)
  if not os.path.isdir(os.path.join(workdir, checkpoints.CHECKPOINT_DIR)):
    raise ConfigError(f'{workdir} has no checkpoints/ folder: train it first')
  task = get_task_class(config.task_name)(config, info)
  template = init_from.with_optimizer(config, task.init_state(jax.random.key(config.seed)),
                                      task.output_head)
  with checkpoints.Checkpointer(workdir, config.train.checkpoint_every,
                                config.train.keep_checkpoints) as checkpointer:
    available = checkpointer.all_steps()
    if not available:
      raise ConfigError(f'{workdir} has no complete checkpoint')
    if step is not None and step not in available:
      raise ConfigError(f'{workdir} has no checkpoint of step {step}; it has {available}')
    state, _ = checkpointer.restore(template, step)
  return task, state
