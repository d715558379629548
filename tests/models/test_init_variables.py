"""Models are initialised by one compiled program (hwr_jax.models.init_variables)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.models import dcgan, get_model_class, init_variables


# The LSTM's orthogonal kernels come out of a QR decomposition, which the compiled program
# rounds differently from the eager one: by up to 2e-6 in values of about 0.1.
@pytest.mark.parametrize('name,settings', [('cnn', dict(features=(4, 8), dense=16)),
                                           ('blstm', dict(hidden=16, layers=2))])
def test_the_compiled_init_is_the_eager_one_and_repeats_bit_for_bit(name, settings):
  model = get_model_class(name)(num_classes=5, **settings)
  rngs = {'params': jax.random.key(3), 'dropout': jax.random.key(4)}
  images = jnp.zeros((1, 16, 16, 1))
  eager = model.init(rngs, images, train=False)
  compiled = init_variables(model.init, rngs, images, train=False)
  assert jax.tree.structure(compiled) == jax.tree.structure(eager)
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=0, atol=1e-5),
               compiled, eager)
  again = init_variables(model.init, rngs, images, train=False)
  jax.tree.map(np.testing.assert_array_equal, again, compiled)
  other = init_variables(model.init, {**rngs, 'params': jax.random.key(5)}, images,
                         train=False)
  assert not np.array_equal(jax.tree.leaves(other)[-1], jax.tree.leaves(compiled)[-1])


def test_a_gan_is_initialised_without_compiling_its_forward_pass():
  model = dcgan.Model(num_classes=3, image_size=16, width=8)
  program = jax.jit(model.init).lower(jax.random.key(0)).as_text()
  assert 'convolution' not in program
  variables = init_variables(model.init, jax.random.key(0))
  assert set(variables['params']) == {'generator', 'discriminator'}
