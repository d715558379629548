"""Kinds of training, one file per kind; each file exposes a `Task` class.

`config.task_name = 'classification'` selects `hwr_jax/tasks/classification.py`.
"""

import importlib

from hwr_jax.errors import ConfigError


def get_task_class(name: str) -> type:
  try:
    module = importlib.import_module(f'hwr_jax.tasks.{name}')
  except ModuleNotFoundError as e:
    if e.name != f'hwr_jax.tasks.{name}':
      raise
    raise ConfigError(f'task_name={name!r}: no module hwr_jax/tasks/{name}.py') from e
  return module.Task
