"""The single object every task trains and the checkpointer saves."""

from typing import Any

import flax
from flax.training import train_state


class TrainState(train_state.TrainState):
  """Flax TrainState plus the batch-norm statistics most of our models carry.

  `batch_stats` is an empty dict for models without batch norm, so the pytree structure (and
  thus the checkpoint layout) is the same for every model.
  """

  batch_stats: Any = flax.core.FrozenDict()
