"""The letter classifiers: shapes, the feature they expose, and the stacked BLSTM."""

import jax
import jax.numpy as jnp
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.models import get_model_class


def init(name, **kwargs):
  model = get_model_class(name)(num_classes=22, **kwargs)
  x = jnp.zeros((3, 32, 32, 1))
  variables = model.init({'params': jax.random.key(0), 'dropout': jax.random.key(1)}, x)
  return model, variables, x


def count(tree):
  return sum(leaf.size for leaf in jax.tree.leaves(tree))


@pytest.mark.parametrize('name, kwargs', [('cnn', {}), ('blstm', {}), ('blstm', {'layers': 2})])
def test_logits_and_features_have_the_right_shapes(name, kwargs):
  model, variables, x = init(name, **kwargs)
  logits, state = model.apply(variables, x, mutable=['intermediates'])
  assert logits.shape == (3, 22)
  features, = state['intermediates']['features']
  assert features.shape[0] == 3


def test_stacked_blstm_adds_a_layer_that_reads_both_directions():
  _, single, _ = init('blstm', hidden=16)
  _, stacked, _ = init('blstm', hidden=16, layers=2)
  lstm = 4 * (16 * (32 + 16) + 16)
  second = 4 * (16 * (2 * 16 + 16) + 16)
  assert count(single['params']) == 2 * lstm + (2 * 16 * 22 + 22)
  assert count(stacked['params']) == count(single['params']) + 2 * second


def test_blstm_output_depends_on_row_order():
  model, variables, _ = init('blstm', hidden=8)
  x = jax.random.uniform(jax.random.key(2), (1, 32, 32, 1))
  assert not jnp.allclose(model.apply(variables, x), model.apply(variables, x[:, ::-1]))


def test_unknown_model_name_is_a_config_error():
  with pytest.raises(ConfigError, match='no_such_model'):
    get_model_class('no_such_model')
