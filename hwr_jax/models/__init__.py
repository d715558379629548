"""Linen modules, one file per architecture; each file exposes a `Model` class.

`config.model_name = 'cnn'` selects `hwr_jax/models/cnn.py`; adding a model is adding a file.
"""

import importlib

import flax.linen as nn

from hwr_jax.errors import ConfigError


def get_model_class(name: str) -> type[nn.Module]:
  try:
    module = importlib.import_module(f'hwr_jax.models.{name}')
  except ModuleNotFoundError as e:
    if e.name != f'hwr_jax.models.{name}':
      raise
    raise ConfigError(f'model_name={name!r}: no module hwr_jax/models/{name}.py') from e
  return module.Model
