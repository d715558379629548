"""The single object every task trains and the checkpointer saves."""

from typing import Any, Mapping

import flax
import jax.numpy as jnp
import optax
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


class PartsState(TrainState):
  """A TrainState whose params, batch_stats and optimizer state are dicts of named parts (a
  GAN's generator and discriminator), each part trained by its own optimizer `txs[part]` and
  updated on its own, so a step can update one part and then use it for the next."""

  txs: Mapping[str, optax.GradientTransformation] = flax.struct.field(pytree_node=False,
                                                                      default=None)

  @classmethod
  def create_parts(cls, *, apply_fn, params: dict, batch_stats: dict,
                   txs: Mapping[str, optax.GradientTransformation]) -> 'PartsState':
    return cls(step=jnp.zeros((), jnp.int32), apply_fn=apply_fn, params=params, tx=None,
               opt_state={part: txs[part].init(params[part]) for part in params},
               batch_stats=batch_stats, txs=txs)

  def update_part(self, part: str, grads: Any, batch_stats: Any) -> 'PartsState':
    """Applies `part`'s optimizer to its gradients and takes its new batch statistics; the
    step counter is left to `advance`."""
    updates, opt_state = self.txs[part].update(grads, self.opt_state[part], self.params[part])
    return self.replace(
        params={**self.params, part: optax.apply_updates(self.params[part], updates)},
        opt_state={**self.opt_state, part: opt_state},
        batch_stats={**self.batch_stats, part: batch_stats})

  def advance(self) -> 'PartsState':
    return self.replace(step=self.step + 1)
