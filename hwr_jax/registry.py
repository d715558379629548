"""Selecting a piece of the library by the name a config gives it.

`config.model_name = 'cnn'` means the module hwr_jax/models/cnn.py; adding a model or a task
is adding a file, never editing a dispatch table.
"""

import importlib
from types import ModuleType

from hwr_jax.errors import ConfigError


def import_named(package: str, name: str, config_key: str) -> ModuleType:
  """Imports hwr_jax.<package>.<name>, or names the config key and the missing file."""
  module_name = f'hwr_jax.{package}.{name}'
  try:
    return importlib.import_module(module_name)
  except ModuleNotFoundError as e:
    if e.name != module_name:
      raise
    raise ConfigError(f'{config_key}={name!r}: no module hwr_jax/{package}/{name}.py') from e
