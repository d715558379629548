"""The IcGAN paper's encoders against the authors' layers: Perarnau, van de Weijer, Raducanu
and Álvarez, "Invertible Conditional GANs for image editing", NIPS 2016 Workshop on
Adversarial Training, arXiv:1611.06355; the layers as the authors' Torch code builds them
(github.com/Guim3/IcGAN, trainEncoder.lua), at 64x64 with z of 100 and 10 classes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.models import icgan_encoder, init_variables

# Trunk: four 5x5 convolutions 1-32-64-128-256 with biases, and their batch norms.
TRUNK = sum(25 * a * b + b + 2 * b for a, b in [(1, 32), (32, 64), (64, 128), (128, 256)])
Z_HEAD = 4096 * 4096 + 4096 + 2 * 4096 + 4096 * 100 + 100
Y_HEAD = 4096 * 512 + 512 + 2 * 512 + 512 * 10 + 10


def count(tree):
  return sum(x.size for x in jax.tree.leaves(tree))


@pytest.mark.parametrize('architecture,expected', [('independent', 2 * TRUNK + Z_HEAD + Y_HEAD),
                                                   ('joint', TRUNK + Z_HEAD + Y_HEAD)])
def test_parameter_counts_and_outputs_match_the_reference(architecture, expected):
  encoder = icgan_encoder.build(architecture, z_dim=100, num_classes=10)
  images = jnp.zeros((2, 64, 64, 1))
  variables = jax.eval_shape(encoder.init, jax.random.key(0), images)
  assert count(variables['params']) == expected
  trunk = variables['params']['z_trunk' if architecture == 'independent' else 'trunk']
  assert trunk['Conv_3']['kernel'].shape == (5, 5, 128, 256)
  z_head = variables['params']['z_head']
  assert z_head['Dense_0']['kernel'].shape == (4096, 4096)  # 256 x 4 x 4 flattened
  z, y = jax.eval_shape(lambda v: encoder.apply(v, images), variables)
  assert (z.shape, y.shape) == ((2, 100), (2, 10))


def test_independent_encoders_run_and_keep_statistics_apart():
  encoder = icgan_encoder.build('independent', z_dim=4, num_classes=3)
  images = jnp.asarray(np.random.default_rng(0).normal(size=(4, 16, 16, 1)), jnp.float32)
  variables = init_variables(encoder.init, jax.random.key(0), images)
  (z, y), updates = encoder.apply(variables, images, train=True, outputs='y',
                                  mutable=['batch_stats'])
  assert z is None and y.shape == (4, 3)
  stats = updates['batch_stats']
  jax.tree.map(np.testing.assert_array_equal, stats['z_trunk'],
               variables['batch_stats']['z_trunk'])
  assert not np.array_equal(stats['y_trunk']['BatchNorm_0']['mean'],
                            variables['batch_stats']['y_trunk']['BatchNorm_0']['mean'])
