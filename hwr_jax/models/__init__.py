"""Linen modules, one file per architecture; each file exposes a `Model` class."""

import flax.linen as nn

from hwr_jax.registry import import_named


def get_model_class(name: str) -> type[nn.Module]:
  return import_named('models', name, 'model_name').Model
