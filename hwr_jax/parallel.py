"""Data parallelism over every device of every process: batches sharded, parameters replicated.

One mesh axis, 'data', spans all devices (jax.devices(), across hosts once
jax.distributed is initialised). A training batch is split along it; the train state is
replicated, and XLA's partitioner turns the batch means of the losses (and of batch norm)
into cross-device reductions, so the step computes what it computes on one device. Each
process loads only its own rows of every global batch.
"""

from __future__ import annotations

from typing import Any, Mapping

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from hwr_jax.errors import ConfigError

DATA_AXIS = 'data'


def initialize_processes(coordinator_address: str, num_processes: int, process_id: int) -> None:
  """Joins a multi-process run (one process per host, or several on one machine): every
  process runs the same command with its own process_id, process 0's address as coordinator.
  Must come before any other JAX work."""
  if num_processes < 2:
    return
  if not coordinator_address or not 0 <= process_id < num_processes:
    raise ConfigError(f'a run of {num_processes} processes needs --coordinator_address=host:port '
                      f'and a --process_id in 0..{num_processes - 1} (got {process_id})')
  # XLA's CPU client needs a collectives implementation to reduce across processes.
  jax.config.update('jax_cpu_collectives_implementation', 'gloo')
  jax.distributed.initialize(coordinator_address, num_processes, process_id)


def make_mesh() -> Mesh:
  # Auto axes: XLA's partitioner places the intermediates, so model code reshapes freely.
  return jax.make_mesh((jax.device_count(),), (DATA_AXIS,),
                       axis_types=(jax.sharding.AxisType.Auto,))


def replicated(mesh: Mesh) -> NamedSharding:
  return NamedSharding(mesh, PartitionSpec())


def batch_sharding(mesh: Mesh, stacked: bool = False) -> NamedSharding:
  """Rows split over the data axis; `stacked` batches carry a leading steps axis first."""
  return NamedSharding(mesh, PartitionSpec(None, DATA_AXIS) if stacked else
                       PartitionSpec(DATA_AXIS))


def check_batch_size(batch_size: int, mesh: Mesh) -> None:
  if batch_size % mesh.size:
    raise ConfigError(f'train.batch_size={batch_size} does not split over {mesh.size} devices; '
                      f'use a multiple of {mesh.size}')


def process_rows(indices: np.ndarray) -> np.ndarray:
  """This process's share of a global batch's example indices (all of them in one process)."""
  share = len(indices) // jax.process_count()
  return indices[jax.process_index() * share:(jax.process_index() + 1) * share]


def shard_batch(batch: Mapping[str, np.ndarray], sharding: NamedSharding) -> dict[str, jax.Array]:
  """This process's rows -> global arrays laid out by `sharding`."""
  if jax.process_count() == 1:
    return jax.device_put(dict(batch), sharding)
  return {name: jax.make_array_from_process_local_data(sharding, rows)
          for name, rows in batch.items()}


def local_copy(tree: Any) -> Any:
  """A replicated state as arrays on this process's first device, for host-side work
  (evaluation, sampling) that must not need the other processes."""
  return jax.tree.map(
      lambda x: x.addressable_data(0) if isinstance(x, jax.Array) and
      not x.is_fully_addressable else x, tree)


def is_primary() -> bool:
  """Whether this process writes the workdir's files (process 0 of a multi-host run)."""
  return jax.process_index() == 0
