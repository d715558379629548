"""Training batches as a pure function of (seed, step), prepared ahead on a background thread.

Batch `step` is the `step % batches_per_epoch`-th slice of the permutation drawn for epoch
`step // batches_per_epoch` from the seed. The data position is therefore the step itself: a
resumed run sees exactly the batches an uninterrupted run would have seen. A data set with
context crops shows each example of a batch alone or in context by a draw of its own, also from
(seed, step), so every epoch sees each letter in one of the two at random. A class-balanced data
set draws each batch from (seed, step) instead, every class alike.
"""

from __future__ import annotations

import queue
import threading
from typing import Callable, Iterator, Optional

import jax
import numpy as np
from jax.sharding import Mesh

from hwr_jax import parallel
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.errors import ConfigError


def batches_per_epoch(num_examples: int, batch_size: int) -> int:
  if batch_size > num_examples:
    raise ConfigError(f'train.batch_size={batch_size} is larger than the training set '
                      f'({num_examples} images)')
  return num_examples // batch_size


def data_position(step: int, num_examples: int, batch_size: int) -> dict:
  epoch, index = divmod(step, batches_per_epoch(num_examples, batch_size))
  return {'epoch': epoch, 'batch_in_epoch': index}


def batch_indices(num_examples: int, batch_size: int, seed: int, step: int) -> np.ndarray:
  """Indices of the examples in training batch `step` (the last partial batch is dropped)."""
  epoch, index = divmod(step, batches_per_epoch(num_examples, batch_size))
  order = np.random.default_rng([seed, epoch]).permutation(num_examples)
  return order[index * batch_size:(index + 1) * batch_size]


def balanced_indices(labels: np.ndarray, batch_size: int, seed: int, step: int) -> np.ndarray:
  """Indices of training batch `step` drawn class by class: each example's class uniform over
  the classes of `labels`, then a letter of that class uniformly, both with replacement; so
  rare letters are seen as often as common ones (and repeat more)."""
  rng = np.random.default_rng([seed, step, 2])
  order = np.argsort(labels, kind='stable')
  by_class = labels[order]
  classes = np.unique(by_class)
  drawn = classes[rng.integers(len(classes), size=batch_size)]
  first = np.searchsorted(by_class, drawn, 'left')
  count = np.searchsorted(by_class, drawn, 'right') - first
  return order[first + rng.integers(count)]


def in_context(batch_size: int, share: float, seed: int, step: int) -> np.ndarray:
  """(B,) bool: which examples of training batch `step` are shown in their context crop."""
  return np.random.default_rng([seed, step, 1]).random(batch_size) < share


def make_batch(dataset: LetterDataset, indices: np.ndarray,
               context: Optional[np.ndarray] = None) -> dict[str, np.ndarray]:
  """The arrays a task's step receives: uint8 images (B, H, W, 1) and int32 labels; where
  `context` is True, the example's context crop instead of its image."""
  images = dataset.images[indices]
  if context is not None and context.any():
    images = np.where(context[:, None, None], dataset.context[indices], images)
  batch = {'image': images[..., None], 'label': dataset.labels[indices]}
  if dataset.targets is not None:
    batch['target'] = dataset.targets[indices][..., None]
  if 'date' in dataset.metadata:
    batch['date'] = dataset.metadata['date'][indices].astype(np.float32)
  return batch


def stacked_batch(dataset: LetterDataset, batch_size: int, seed: int, first_step: int,
                  steps: int) -> dict[str, np.ndarray]:
  """This process's rows of the batches of `steps` consecutive steps; with steps > 1 they are
  stacked along a new first axis (the input of a fused multi-step call)."""
  def batch(step: int) -> dict[str, np.ndarray]:
    drawn = (balanced_indices(dataset.labels, batch_size, seed, step) if dataset.class_balanced
             else batch_indices(len(dataset), batch_size, seed, step))
    indices = parallel.process_rows(drawn)
    if dataset.context is None or not dataset.context_share:
      return make_batch(dataset, indices)
    return make_batch(dataset, indices, parallel.process_rows(
        in_context(batch_size, dataset.context_share, seed, step)))

  parts = [batch(step) for step in range(first_step, first_step + steps)]
  if steps == 1:
    return parts[0]
  return {name: np.stack([part[name] for part in parts]) for name in parts[0]}


def train_batches(dataset: LetterDataset, batch_size: int, seed: int, first_step: int,
                  prefetch: int = 2, mesh: Optional[Mesh] = None,
                  steps_per_item: int = 1) -> Iterator[dict[str, jax.Array]]:
  """Yields device batches for steps first_step, first_step+1, ... forever; with
  steps_per_item=K, each item stacks the batches of K consecutive steps.

  With a mesh, each batch is split over its devices (each process gathering only its rows);
  without, it goes to the default device. A background thread gathers and transfers
  `prefetch` items ahead, so the device does not wait for the host between steps. Close the
  generator when done: that stops the thread.
  """
  batches_per_epoch(len(dataset), batch_size)
  ready: queue.Queue = queue.Queue(maxsize=prefetch)
  stop = threading.Event()

  def offer(item) -> None:
    while not stop.is_set():
      try:
        ready.put(item, timeout=0.1)
        return
      except queue.Full:
        continue

  def produce():
    step = first_step
    sharding = None if mesh is None else parallel.batch_sharding(mesh, steps_per_item > 1)
    try:
      while not stop.is_set():
        batch = stacked_batch(dataset, batch_size, seed, step, steps_per_item)
        offer(jax.device_put(batch) if sharding is None else
              parallel.shard_batch(batch, sharding))
        step += steps_per_item
    except Exception as error:  # pylint: disable=broad-except
      offer(error)  # re-raised in the consumer, so a failing producer cannot hang the loop

  worker = threading.Thread(target=produce, daemon=True, name='batch-prefetch')
  worker.start()
  try:
    while True:
      item = ready.get()
      if isinstance(item, Exception):
        raise item
      yield item
  finally:
    stop.set()
    # A producer still inside device_put while the interpreter exits aborts the process.
    worker.join()


def padded_chunks(size: int, *arrays: np.ndarray) -> Iterator[tuple[list[np.ndarray], int]]:
  """Splits equally long arrays into chunks of `size` rows, the last zero-padded, so one
  function compiled for that batch shape serves any length; yields (chunks, valid rows)."""
  for start in range(0, len(arrays[0]), size):
    valid = min(size, len(arrays[0]) - start)
    chunks = []
    for array in arrays:
      chunk = np.zeros((size, *array.shape[1:]), array.dtype)
      chunk[:valid] = array[start:start + valid]
      chunks.append(chunk)
    yield chunks, valid


def map_chunks(fn: Callable, size: int, *arrays: np.ndarray):
  """fn over equally long arrays in padded chunks of `size` rows (one compiled fn serves any
  length): its outputs (an array, or a tuple or dict of arrays, a row per input row) cut to
  the real rows and joined in order. Empty inputs give empty outputs of fn's shapes."""
  outputs = [jax.tree.map(lambda out, valid=valid: np.asarray(out)[:valid], fn(*chunks))
             for chunks, valid in padded_chunks(size, *arrays)]
  if outputs:
    return jax.tree.map(lambda *parts: np.concatenate(parts), *outputs)
  shapes = jax.eval_shape(fn, *[np.zeros((size, *a.shape[1:]), a.dtype) for a in arrays])
  return jax.tree.map(lambda s: np.zeros((0, *s.shape[1:]), s.dtype), shapes)
