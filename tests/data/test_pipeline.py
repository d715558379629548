"""Training batches are a pure function of (seed, step); evaluation covers every image once."""

import dataclasses

import numpy as np
import pytest

from hwr_jax.data import pipeline
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError


def dataset(n=50):
  images = np.arange(n, dtype=np.uint8)[:, None, None] * np.ones((1, 4, 4), np.uint8)
  return LetterDataset(images=images, labels=np.arange(n, dtype=np.int32) % 3,
                       vocabulary=Vocabulary(('a', 'b', 'c')),
                       names=np.asarray([f'{i}.png' for i in range(n)]))


def test_each_epoch_visits_distinct_examples_in_a_new_order():
  per_epoch = pipeline.batches_per_epoch(50, 8)
  epochs = [np.concatenate([pipeline.batch_indices(50, 8, seed=3, step=e * per_epoch + i)
                            for i in range(per_epoch)]) for e in range(2)]
  for order in epochs:
    assert len(set(order.tolist())) == per_epoch * 8
  assert not np.array_equal(epochs[0], epochs[1])


def test_batches_depend_only_on_seed_and_step():
  first = pipeline.batch_indices(50, 8, seed=3, step=17)
  np.testing.assert_array_equal(first, pipeline.batch_indices(50, 8, seed=3, step=17))
  assert not np.array_equal(first, pipeline.batch_indices(50, 8, seed=4, step=17))


def test_resumed_stream_equals_the_uninterrupted_one():
  data = dataset()
  whole = pipeline.train_batches(data, 8, seed=1, first_step=0)
  skipped = [next(whole) for _ in range(9)]
  resumed = pipeline.train_batches(data, 8, seed=1, first_step=5)
  for expected in skipped[5:]:
    np.testing.assert_array_equal(np.asarray(next(resumed)['image']),
                                  np.asarray(expected['image']))


def test_batch_larger_than_data_is_a_config_error():
  with pytest.raises(ConfigError, match='batch_size=64'):
    next(pipeline.train_batches(dataset(10), 64, seed=0, first_step=0))


def test_a_failing_producer_raises_in_the_consumer():
  broken = dataset()
  object.__setattr__(broken, 'labels', broken.labels[:5])
  with pytest.raises(IndexError):
    next(pipeline.train_batches(broken, 8, seed=0, first_step=0))


def test_map_chunks_keeps_order_drops_padding_and_handles_no_rows():
  calls = []

  def double_and_sum(x, y):
    calls.append(len(x))
    return {'doubled': 2 * x, 'sums': x.sum(axis=1) + y}

  x = np.arange(14, dtype=np.float32).reshape(7, 2)
  y = np.arange(7, dtype=np.int32)
  out = pipeline.map_chunks(double_and_sum, 3, x, y)
  assert calls == [3, 3, 3]
  np.testing.assert_array_equal(out['doubled'], 2 * x)
  np.testing.assert_array_equal(out['sums'], x.sum(axis=1) + y)
  empty = pipeline.map_chunks(double_and_sum, 3, x[:0], y[:0])
  assert empty['doubled'].shape == (0, 2) and empty['doubled'].dtype == np.float32
  assert empty['sums'].shape == (0,)


def test_context_crops_replace_a_share_of_each_batch_drawn_from_seed_and_step():
  alone = dataset(200)
  in_context = dataclasses.replace(alone, context=255 - alone.images, context_share=0.5)
  stream = pipeline.train_batches(in_context, 100, seed=2, first_step=0)
  shown = [np.asarray(next(stream)['image'])[:, 0, 0, 0] for _ in range(4)]
  stream.close()
  for step, images in enumerate(shown):
    indices = pipeline.batch_indices(200, 100, seed=2, step=step)
    mask = pipeline.in_context(100, 0.5, seed=2, step=step)
    np.testing.assert_array_equal(images, np.where(mask, 255 - indices, indices))
    assert 30 < mask.sum() < 70
  # The same example is shown alone in one epoch and in context in another.
  masks = [pipeline.in_context(100, 0.5, seed=2, step=step) for step in range(4)]
  assert not np.array_equal(masks[0], masks[2])
  never = dataclasses.replace(in_context, context_share=0.0)
  images = np.asarray(next(pipeline.train_batches(never, 100, seed=2, first_step=0))['image'])
  np.testing.assert_array_equal(images[:, 0, 0, 0], pipeline.batch_indices(200, 100, 2, 0))


def test_class_balanced_batches_draw_every_class_alike_from_seed_and_step():
  labels = np.array([0] * 180 + [1] * 15 + [2] * 5, np.int32)  # 36:3:1
  skewed = dataclasses.replace(dataset(200), labels=labels, class_balanced=True)
  stream = pipeline.train_batches(skewed, 100, seed=2, first_step=0)
  shown = np.concatenate([np.asarray(next(stream)['image'])[:, 0, 0, 0] for _ in range(30)])
  stream.close()
  np.testing.assert_array_equal(shown[:100], pipeline.balanced_indices(labels, 100, 2, 0))
  np.testing.assert_allclose(np.bincount(labels[shown]) / len(shown), 1 / 3, atol=0.03)
  assert set(shown[labels[shown] == 2].tolist()) == {195, 196, 197, 198, 199}
  np.testing.assert_array_equal(pipeline.balanced_indices(labels, 100, 2, 7),
                                pipeline.balanced_indices(labels, 100, 2, 7))
  assert not np.array_equal(pipeline.balanced_indices(labels, 100, 2, 7),
                            pipeline.balanced_indices(labels, 100, 3, 7))
