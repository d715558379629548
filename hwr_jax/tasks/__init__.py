"""Kinds of training, one file per kind; each file exposes a `Task` class."""

from hwr_jax.registry import import_named


def get_task_class(name: str) -> type:
  return import_named('tasks', name, 'task_name').Task
