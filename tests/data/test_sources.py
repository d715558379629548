"""The synthetic source as a run loads it: split by manuscript, its context test sets, and
letters shown in context for training."""

import numpy as np
import pytest

from hwr_jax import config_lib
from hwr_jax.data import sources
from hwr_jax.errors import ConfigError


@pytest.fixture(scope='module')
def tiny_block():
  """The tiny data block, read at the size the letters are drawn at, as the main job does."""
  block = config_lib.tiny_data_block()
  block.image_size = block.synthetic.image_size
  return block


def test_synthetic_runs_split_by_manuscript_and_test_in_context_gray_and_binary(tiny_block):
  assert tiny_block.split == 'auto'
  data = sources.load_splits(tiny_block, seed=0)
  train, test = (set(d.metadata['manuscript']) for d in (data.train, data.test))
  assert train and test and not train & test
  assert sorted(data.extra_tests) == ['context', 'context_binary']
  for name, extra in data.extra_tests.items():
    assert extra.names.tolist() == data.test.names.tolist(), name
    np.testing.assert_array_equal(extra.labels, data.test.labels)
  # Binarised without error, and not resized: two gray levels only, the ink bright after
  # loading.
  assert set(np.unique(data.extra_tests['context_binary'].images)) <= {0, 255}
  assert data.train.context is None


def test_context_share_gives_training_its_letters_in_context(tiny_block):
  block = tiny_block.copy_and_resolve_references()
  block.context_share = 0.5
  data = sources.load_splits(block, seed=0)
  plain = sources.load_splits(tiny_block, seed=0)
  assert data.train.context_share == 0.5
  np.testing.assert_array_equal(data.train.images, plain.train.images)
  # The context crops are those of the same letters: the gray context test set holds the
  # test letters' ones, loaded the same way.
  assert data.train.context.shape == data.train.images.shape
  assert not np.array_equal(data.train.context, data.train.images)
  whole = sources.load_path('folder', sources.synthetic.ensure_synthetic(
      sources.synthetic_params(block.synthetic), sources.cache_root(block)) + '/context', '',
      block, data.train.vocabulary)
  np.testing.assert_array_equal(
      data.train.context, sources.restrict_to_names(whole, data.train.names).images)


def test_class_balanced_marks_only_the_training_set(tiny_block):
  block = tiny_block.copy_and_resolve_references()
  block.class_balanced = True
  data = sources.load_splits(block, seed=0)
  assert data.train.class_balanced and not data.test.class_balanced
  assert not sources.load_splits(tiny_block, seed=0).train.class_balanced


def test_context_share_is_refused_without_context_crops(tiny_block):
  block = tiny_block.copy_and_resolve_references()
  block.update(context_share=0.5, targets='clean')
  with pytest.raises(ConfigError, match=r'data.context_share=0.5 needs context crops.*set '
                     r'data.context_share=0 \(--config.data.context_share=0\)'):
    sources.load_splits(block, seed=0)
  block.update(context_share=1.5, targets='')
  with pytest.raises(ConfigError, match=r'data.context_share=1.5: must be in \[0, 1\]'):
    sources.load_splits(block, seed=0)
