"""The autoencoders' architecture: tied kernels, the transposed path, code sizes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.models import conv_autoencoder, init_variables, sparse_autoencoder


def conv_model(tied=True, size=16):
  model = conv_autoencoder.Model(image_shape=(size, size), features=(4, 3), tied=tied)
  params = init_variables(model.init, jax.random.key(0), jnp.zeros((1, size, size, 1)))['params']
  return model, params


@pytest.mark.parametrize('size', [7, 8])
def test_up_is_the_adjoint_of_down(size):
  kernel = jax.random.normal(jax.random.key(0), (4, 4, 3, 5))
  x = jax.random.normal(jax.random.key(1), (2, size, size, 3))
  y = jax.random.normal(jax.random.key(2), (2, 4, 4, 5))
  lhs = jax.jit(lambda: jnp.sum(conv_autoencoder.conv_down(x, kernel) * y))()
  rhs = jax.jit(lambda: jnp.sum(x * conv_autoencoder.conv_up(y, kernel, (size, size))))()
  np.testing.assert_allclose(lhs, rhs, rtol=1e-4)


def test_tied_kernels_are_one_parameter_reached_from_both_paths():
  model, params = conv_model(tied=True)
  assert sorted(name for name in params if 'kernel' in name) == ['kernel_0', 'kernel_1']
  images = jax.random.uniform(jax.random.key(3), (2, 16, 16, 1))

  def loss(encoder_params, decoder_params):
    code = model.apply({'params': encoder_params}, images, method=model.code_map)
    rebuilt = model.apply({'params': decoder_params}, code, method=model.decode)
    return jnp.mean((rebuilt - images) ** 2)

  through_encoder, through_decoder = jax.jit(jax.grad(loss, argnums=(0, 1)))(params, params)
  whole = jax.jit(jax.grad(lambda p: loss(p, p)))(params)
  for name in ('kernel_0', 'kernel_1'):
    assert jnp.any(through_encoder[name] != 0) and jnp.any(through_decoder[name] != 0)
    np.testing.assert_allclose(whole[name], through_encoder[name] + through_decoder[name],
                               rtol=1e-5, atol=1e-7)


def test_untied_decoder_has_kernels_of_its_own():
  _, tied = conv_model(tied=True)
  _, untied = conv_model(tied=False)
  assert set(untied) - set(tied) == {'decoder_kernel_0', 'decoder_kernel_1'}
  for i in range(2):
    assert untied[f'decoder_kernel_{i}'].shape == untied[f'kernel_{i}'].shape
    assert not np.array_equal(untied[f'decoder_kernel_{i}'], untied[f'kernel_{i}'])


@pytest.mark.parametrize('size', [28, 32])
def test_default_code_is_64_numbers(size):
  model = conv_autoencoder.Model(image_shape=(size, size))
  images = jnp.zeros((2, size, size, 1))
  variables = jax.eval_shape(model.init, jax.random.key(0), images)
  logits, hidden = jax.eval_shape(model.apply, variables, images)
  assert logits.shape == images.shape and hidden == ()
  assert jax.eval_shape(lambda v: model.apply(v, images, method=model.encode),
                        variables).shape == (2, 64)


def test_sparse_model_exposes_every_sigmoid_layer():
  model = sparse_autoencoder.Model(image_shape=(8, 6), hidden=(20, 10))
  images = jax.random.uniform(jax.random.key(0), (3, 8, 6, 1))
  variables = init_variables(model.init, jax.random.key(1), images)
  logits, hidden = jax.jit(model.apply)(variables, images)
  assert logits.shape == images.shape
  assert [h.shape for h in hidden] == [(3, 20), (3, 10)]
  assert all(bool(jnp.all((h > 0) & (h < 1))) for h in hidden)
  encode = jax.jit(lambda v: model.apply(v, images, method=model.encode))
  np.testing.assert_array_equal(encode(variables), hidden[-1])
