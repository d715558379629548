"""Orbax checkpoints of a TrainState plus the loop's own position.

Each checkpoint holds two items: `state` (step, params, batch_stats, optimizer state) and `meta`
(JSON: the base RNG key, the data position and the seed). Orbax writes each step into a temporary
directory and renames it when complete, so a run killed mid-save resumes from the last complete
step.
"""

from __future__ import annotations

import os
from typing import Any, Optional

import flax
import jax
import numpy as np
import orbax.checkpoint as ocp
from absl import logging

from hwr_jax.errors import ConfigError

CHECKPOINT_DIR = 'checkpoints'


class Checkpointer:
  """Saves every `every_steps` steps, keeps the newest `keep`, restores the latest."""

  def __init__(self, workdir: str, every_steps: int, keep: int):
    self.directory = os.path.join(os.path.abspath(workdir), CHECKPOINT_DIR)
    self._manager = ocp.CheckpointManager(
        self.directory,
        options=ocp.CheckpointManagerOptions(
            save_interval_steps=max(every_steps, 1), max_to_keep=keep, create=True,
            cleanup_tmp_directories=True))

  def latest_step(self) -> Optional[int]:
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    return sorted(self._manager.all_steps())

  def save(self, step: int, state: Any, meta: dict, force: bool = False) -> bool:
    """Saves when the step is due (or forced); returns whether a save started."""
    saved = self._manager.save(
        step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                      meta=ocp.args.JsonSave(meta)), force=force)
    if saved:
      logging.info('Saving checkpoint at step %d to %s', step, self.directory)
    return saved

  def restore(self, template: Any, step: Optional[int] = None) -> tuple[Any, dict]:
    """Restores `step` (default: latest) into the structure, shapes and dtypes of `template`."""
    step = self.latest_step() if step is None else step
    abstract = jax.tree.map(ocp.utils.to_shape_dtype_struct, template)
    try:
      restored = self._manager.restore(
          step, args=ocp.args.Composite(state=ocp.args.StandardRestore(abstract),
                                        meta=ocp.args.JsonRestore()))
    except ValueError as e:
      raise ConfigError(f'the checkpoint of step {step} in {self.directory} does not fit the '
                        f'state this config builds: {str(e).splitlines()[0][:300]}') from e
    logging.info('Restored checkpoint of step %d from %s', step, self.directory)
    # Placed like the template, so the jitted step sees the inputs it was compiled for.
    state = jax.device_put(restored.state, jax.tree.map(lambda x: x.sharding, template))
    return state, restored.meta

  def close(self):
    """Waits for a save in progress to complete, then releases the manager."""
    self._manager.wait_until_finished()
    self._manager.close()

  def __enter__(self) -> Checkpointer:
    return self

  def __exit__(self, *exc) -> None:
    self.close()


def restore_subtrees(workdir: str, abstract: Any, step: Optional[int] = None
                     ) -> tuple[Any, int]:
  """Only the arrays named by `abstract` (a nested dict of a saved state's keys down to shapes
  and dtypes, such as {'params': {'generator': ...}}) from workdir's checkpoint of `step`
  (default: the latest), and that step; nothing else is read. A missing array, or one saved
  with another shape, is refused by name."""
  with Checkpointer(workdir, 1, 1) as checkpointer:
    available = checkpointer.all_steps()
    directory = checkpointer.directory
  if not available:
    raise ConfigError(f'{workdir} has no complete checkpoint')
  step = available[-1] if step is None else step
  if step not in available:
    raise ConfigError(f'{workdir} has no checkpoint of step {step}; it has {available}')
  path = os.path.join(directory, str(step), 'state')
  checkpointer = ocp.PyTreeCheckpointer()
  saved = flax.traverse_util.flatten_dict(checkpointer.metadata(path).item_metadata.tree,
                                          sep='/')
  for name, want in flax.traverse_util.flatten_dict(abstract, sep='/').items():
    if name not in saved:
      raise ConfigError(f'the checkpoint of step {step} in {directory} has no {name}')
    if tuple(saved[name].shape) != tuple(want.shape):
      raise ConfigError(f'the checkpoint of step {step} in {directory} has {name} of shape '
                        f'{list(saved[name].shape)}, not {list(want.shape)}')
  device = jax.sharding.SingleDeviceSharding(jax.local_devices()[0])
  abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device),
                          abstract)
  restored = checkpointer.restore(path, args=ocp.args.PyTreeRestore(
      item=abstract, partial_restore=True,
      restore_args=ocp.checkpoint_utils.construct_restore_args(abstract)))
  return restored, step


def key_to_json(key: jax.Array) -> list[int]:
  return np.asarray(jax.random.key_data(key)).tolist()


def key_from_json(data: list[int]) -> jax.Array:
  return jax.random.wrap_key_data(np.asarray(data, dtype=np.uint32))
