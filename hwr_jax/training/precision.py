"""The precision of a run's arithmetic, from its config."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp
import ml_collections

from hwr_jax.errors import ConfigError

COMPUTE_DTYPES = {'float32': jnp.float32, 'bfloat16': jnp.bfloat16}


def compute_dtype(config: ml_collections.ConfigDict) -> Any:
  """train.compute_dtype as a dtype: the precision of the models' arithmetic (bfloat16 for
  mixed precision on GPUs); parameters and optimizer state stay float32. Runs recorded before
  the setting existed computed in float32."""
  name = config.train.get('compute_dtype', 'float32')
  if name not in COMPUTE_DTYPES:
    raise ConfigError(f'train.compute_dtype={name!r}: expected one of {sorted(COMPUTE_DTYPES)}')
  return COMPUTE_DTYPES[name]
