"""The letter classifiers: shapes, the feature they expose, and the stacked BLSTM."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.models import cnn, get_model_class, init_variables


def init(name, **kwargs):
  model = get_model_class(name)(num_classes=22, **kwargs)
  x = jnp.zeros((3, 32, 32, 1))
  rngs = {'params': jax.random.key(0), 'dropout': jax.random.key(1)}
  variables = init_variables(model.init, rngs, x)
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


class FlaxLayersCNN(cnn.Model):
  """The CNN as it was written before fast_conv and fast_pool: flax's own layers."""

  @nn.compact
  def __call__(self, x, *, train=False):
    for width in self.features:
      for _ in range(self.convs_per_block):
        x = nn.Conv(width, (3, 3), use_bias=False)(x)
        x = nn.relu(nn.BatchNorm(use_running_average=not train)(x))
      x = nn.max_pool(x, (2, 2), strides=(2, 2))
    x = nn.relu(nn.Dense(self.dense)(x.reshape((x.shape[0], -1))))
    x = nn.Dropout(self.dropout, deterministic=not train)(x)
    return nn.Dense(self.num_classes, name=self.head)(x)


def test_cnn_is_flax_layers_parameters_outputs_and_gradients():
  """Checkpoints of runs from before the fast layers restore into the CNN, and it trains as
  they did: the same parameter tree and initial values, outputs, new batch statistics and
  gradients (on 28x28 letters, whose 7x7 maps pool to 3x3)."""
  kwargs = dict(num_classes=5, features=(4, 8, 8), convs_per_block=2, dense=16)
  x = jax.random.uniform(jax.random.key(2), (3, 28, 28, 1))
  rngs = {'params': jax.random.key(0), 'dropout': jax.random.key(1)}
  want_variables = jax.jit(FlaxLayersCNN(**kwargs).init)(rngs, x)
  got_variables = jax.jit(cnn.Model(**kwargs).init)(rngs, x)
  assert jax.tree.structure(got_variables) == jax.tree.structure(want_variables)
  jax.tree.map(np.testing.assert_array_equal, got_variables, want_variables)

  def train_step(model):
    def loss(params):
      logits, updates = model.apply({**want_variables, 'params': params}, x, train=True,
                                    rngs={'dropout': jax.random.key(3)},
                                    mutable=['batch_stats'])
      return jnp.sum(jnp.sin(logits)), (logits, updates)
    return jax.jit(jax.grad(loss, has_aux=True))(want_variables['params'])

  got, want = train_step(cnn.Model(**kwargs)), train_step(FlaxLayersCNN(**kwargs))
  for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
    np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5 * float(jnp.max(jnp.abs(w))))
