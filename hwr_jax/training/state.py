"""The single object every task trains and the checkpointer saves."""

from typing import Any

import flax
import jax.numpy as jnp
from flax.training import train_state


class TrainState(train_state.TrainState):
  """Flax TrainState plus the batch-norm statistics most of our models carry.

  `batch_stats` is an empty dict for models without batch norm, so the pytree structure (and
  thus the checkpoint layout) is the same for every model.
  """

  batch_stats: Any = flax.core.FrozenDict()

  @classmethod
  def create(cls, *, apply_fn, params, tx, **kwargs):
    """As Flax's, but `step` is an int32 array from the start: a Python int would make the
    second call of a jitted step see a new input type and compile again."""
    state = super().create(apply_fn=apply_fn, params=params, tx=tx, **kwargs)
    return state.replace(step=jnp.zeros((), jnp.int32))
