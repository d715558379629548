"""fast_pool.max_pool against flax's max_pool: the same output and the same input gradient,
ties included (which maximum of a window gets its gradient)."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.models import fast_pool

# (input shape, window): the CNN classifiers' 2x2 pooling of 32/16/8 maps and of 28/14/7 maps
# (7 -> 3 drops the last row and column), a rectangular map and a 3x3 window.
CASES = [
    ((2, 32, 32, 3), (2, 2)),
    ((2, 8, 8, 5), (2, 2)),
    ((2, 7, 7, 4), (2, 2)),
    ((3, 6, 10, 2), (2, 2)),
    ((2, 9, 8, 3), (3, 3)),
]


def output_and_gradient(pool, x):
  weights = jnp.asarray(np.random.default_rng(7).normal(
      size=jax.eval_shape(pool, x).shape), jnp.float32)

  def functional(x):
    y = pool(x)
    return jnp.sum(weights * y), y

  (_, y), grad = jax.jit(jax.value_and_grad(functional, has_aux=True))(x)
  return y, grad


@pytest.mark.parametrize('shape,window', CASES, ids=str)
@pytest.mark.parametrize('values', ['continuous', 'ties'])
def test_max_pool_matches_flax(shape, window, values):
  rng = np.random.default_rng(1)
  if values == 'ties':
    # Few distinct values and the zeros of a ReLU: most windows have tied maxima.
    x = np.maximum(rng.integers(-2, 3, size=shape), 0)
  else:
    x = rng.normal(size=shape)
  x = jnp.asarray(x, jnp.float32)
  got = output_and_gradient(lambda x: fast_pool.max_pool(x, window), x)
  want = output_and_gradient(lambda x: nn.max_pool(x, window, strides=window), x)
  for name, g, w in zip(('output', 'input gradient'), got, want):
    assert g.shape == w.shape, name
    np.testing.assert_array_equal(g, w, err_msg=name)


def test_the_gradient_goes_to_the_first_maximum_of_a_window():
  x = jnp.asarray([[0., 2.], [2., 2.]])[None, :, :, None]
  grad = jax.grad(lambda x: jnp.sum(fast_pool.max_pool(x, (2, 2))))(x)
  np.testing.assert_array_equal(grad[0, :, :, 0], [[0., 1.], [0., 0.]])
