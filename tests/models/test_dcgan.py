"""The GAN networks against the IcGAN tables: Perarnau, van de Weijer, Raducanu and Álvarez,
"Invertible Conditional GANs for image editing", NIPS 2016 Workshop on Adversarial Training,
arXiv:1611.06355, as the authors' Torch code builds the networks (github.com/Guim3/IcGAN,
trainGAN.lua). The tables below are theirs: (kernel, in, out) per convolution, then the
batch-normed channels. G: z (100) and the +-1 one-hot label (10) at 1x1, transposed
convolutions to 4x4 then doubling, batch norm and ReLU on all but the tanh output. D: stride-2
convolutions, the label planes joining after the first (64 + 10 = 74 channels), batch norm and
LeakyReLU 0.2 on all but the first and the last (the 4x4 convolution to one logit). At 32x32,
one block fewer in each."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.models import dcgan, init_variables


def reference_count(table, biases=True):
  """Parameters of conv layers (k, in, out), with biases or only on the layers without batch
  norm, plus 2 per batch-norm channel."""
  convs, norms = table
  weights = sum(k * k * cin * cout for k, cin, cout in convs)
  bias = sum(cout for _, _, cout in convs) if biases else sum(
      cout for _, _, cout in convs) - sum(norms)
  return weights + bias + 2 * sum(norms)


ICGAN64_G = ([(4, 110, 512), (4, 512, 256), (4, 256, 128), (4, 128, 64), (4, 64, 1)],
             [512, 256, 128, 64])
ICGAN64_D = ([(4, 1, 64), (4, 74, 128), (4, 128, 256), (4, 256, 512), (4, 512, 1)],
             [128, 256, 512])
ICGAN32_G = ([(4, 110, 256), (4, 256, 128), (4, 128, 64), (4, 64, 1)], [256, 128, 64])
ICGAN32_D = ([(4, 1, 64), (4, 74, 128), (4, 128, 256), (4, 256, 1)], [128, 256])


def count(tree):
  return sum(leaf.size for leaf in jax.tree.leaves(tree))


@pytest.mark.parametrize('size,g_table,d_table', [(64, ICGAN64_G, ICGAN64_D),
                                                  (32, ICGAN32_G, ICGAN32_D)])
def test_icgan_networks_match_the_reference_tables(size, g_table, d_table):
  model = dcgan.Model(num_classes=10, image_size=size, bias_before_norm=True)
  params = jax.eval_shape(model.init, jax.random.key(0))['params']
  assert count(params['generator']) == reference_count(g_table)
  assert count(params['discriminator']) == reference_count(d_table)
  lean = jax.eval_shape(dcgan.Model(num_classes=10, image_size=size).init,
                        jax.random.key(0))['params']
  assert count(lean['generator']) == reference_count(g_table, biases=False)
  assert count(lean['discriminator']) == reference_count(d_table, biases=False)
  for network, table in (('generator', g_table), ('discriminator', d_table)):
    shapes = sorted(leaf.shape for leaf in jax.tree.leaves(params[network]) if leaf.ndim == 4)
    assert shapes == sorted((k, k, cin, cout) for k, cin, cout in table[0])


def generate_and_discriminate(model, z, labels):
  """A fresh model's letters for z and labels, and its discriminator's logits on them, each
  network compiled whole (run op by op, the small networks of these tests took 15-18 s)."""
  variables = init_variables(model.init, jax.random.key(0))
  network_variables = lambda network: {collection: variables[collection][network]
                                       for collection in ('params', 'batch_stats')}
  y = model.encode_labels(labels)
  images = jax.jit(model.generator.apply)(network_variables('generator'), z, y)
  return images, jax.jit(model.discriminator.apply)(network_variables('discriminator'), images, y)


@pytest.mark.parametrize('size', [28, 32, 64])
def test_output_shapes(size):
  model = dcgan.Model(num_classes=10, image_size=size, width=8)
  images, logits = generate_and_discriminate(model, jnp.zeros((3, 100)), jnp.array([0, 4, 9]))
  assert images.shape == (3, size, size, 1)
  assert float(jnp.max(jnp.abs(images))) <= 1.0
  assert logits.shape == (3,)


@pytest.mark.parametrize('position,first_inputs', [('input', [11, 64]), ('conv1', [1, 74]),
                                                   ('conv2', [1, 64, 138])])
def test_label_joins_the_discriminator_where_configured(position, first_inputs):
  model = dcgan.Model(num_classes=10, image_size=32, label_position=position)
  params = jax.eval_shape(model.init, jax.random.key(0))['params']['discriminator']
  inputs = [params[f'Downsample_{i}']['Conv_0']['kernel'].shape[2]
            for i in range(len(first_inputs))]
  assert inputs == first_inputs


def test_conditional_generator_output_changes_with_the_label_for_a_fixed_z():
  model = dcgan.Model(num_classes=5, image_size=16, width=8, z_dim=8)
  variables = init_variables(model.init, jax.random.key(1))
  g_vars = {'params': variables['params']['generator'],
            'batch_stats': variables['batch_stats']['generator']}
  z = jnp.tile(jax.random.normal(jax.random.key(2), (1, 8)), (5, 1))
  images = model.generator.apply(g_vars, z, model.encode_labels(jnp.arange(5)))
  for a in range(5):
    for b in range(a + 1, 5):
      assert float(jnp.max(jnp.abs(images[a] - images[b]))) > 1e-4
  again = model.generator.apply(g_vars, z[:1], model.encode_labels(jnp.array([3])))
  np.testing.assert_allclose(again[0], images[3], atol=1e-6)


def test_labels_are_signed_one_hot():
  np.testing.assert_array_equal(dcgan.signed_one_hot(jnp.array([2]), 4), [[-1, -1, 1, -1]])


def test_an_encoder_with_the_discriminators_layers_is_the_discriminator_reading_no_label():
  model = dcgan.Model(num_classes=5, image_size=16, width=8)
  variables = init_variables(model.init, jax.random.key(1))
  d_vars = {'params': variables['params']['discriminator'],
            'batch_stats': variables['batch_stats']['discriminator']}
  encoder = dataclasses.replace(model.encoder(z_dim=1), num_classes=0)
  e_params = {name: tree for name, tree in d_vars['params'].items() if name != 'Conv_0'}
  e_vars = {'params': {**e_params, 'z_head': d_vars['params']['Conv_0']},
            'batch_stats': d_vars['batch_stats']}
  images = jax.random.uniform(jax.random.key(2), (3, 16, 16, 1), minval=-1, maxval=1)
  z, _ = encoder.apply(e_vars, images)
  np.testing.assert_allclose(z[:, 0], model.discriminator.apply(d_vars, images, jnp.zeros((3, 5))),
                             rtol=1e-5, atol=1e-5)


def test_the_discriminator_encoder_scores_each_letter_by_its_own_class():
  model = dcgan.Model(num_classes=4, image_size=16, width=8, z_dim=6)
  network = model.discriminator_encoder()
  images = jnp.zeros((2, 16, 16, 1))
  variables = init_variables(network.init, jax.random.key(0), images)
  z, logits, scores = network.apply(variables, images)
  assert (z.shape, logits.shape, scores.shape) == ((2, 6), (2, 4), (2, 4))
  assert network.apply(variables, images, outputs='z')[1:] == (None, None)
  scores = jnp.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
  np.testing.assert_array_equal(dcgan.class_logit(scores, model.encode_labels(jnp.array([2, 0]))),
                                [3.0, 5.0])


def test_unconditional_model_reads_no_label():
  model = dcgan.Model(num_classes=5, image_size=16, width=8, conditional=False)
  params = jax.eval_shape(model.init, jax.random.key(0))['params']
  assert params['generator']['ConvTranspose_0']['kernel'].shape[2] == model.z_dim
  assert params['discriminator']['Downsample_1']['Conv_0']['kernel'].shape[2] == 8


def test_initialisation_is_the_dcgan_one():
  model = dcgan.Model(num_classes=10, image_size=64)
  params = init_variables(model.init, jax.random.key(0))['params']
  kernel = np.asarray(params['generator']['Upsample_0']['ConvTranspose_0']['kernel'])
  assert abs(kernel.std() - 0.02) < 0.001 and abs(kernel.mean()) < 0.001
  scale = np.asarray(params['generator']['BatchNorm_0']['scale'])
  assert abs(scale.mean() - 1.0) < 0.005 and 0.01 < scale.std() < 0.03


@pytest.mark.parametrize('upsampling', dcgan.UPSAMPLINGS)
@pytest.mark.parametrize('downsampling', dcgan.DOWNSAMPLINGS)
def test_every_resampling_gives_the_same_shapes(upsampling, downsampling):
  model = dcgan.Model(num_classes=3, image_size=16, width=4, convs_per_block=2,
                      upsampling=upsampling, downsampling=downsampling)
  images, logits = generate_and_discriminate(model, jnp.ones((2, 100)), jnp.array([0, 1]))
  assert images.shape == (2, 16, 16, 1)
  assert logits.shape == (2,)


def test_deeper_variant_has_more_layers():
  shallow = jax.eval_shape(dcgan.Model(num_classes=3, image_size=64).init, jax.random.key(0))
  deep = jax.eval_shape(dcgan.Model(num_classes=3, image_size=64, convs_per_block=2).init,
                        jax.random.key(0))
  for network in ('generator', 'discriminator'):
    depth = lambda v: sum(1 for leaf in jax.tree.leaves(v['params'][network]) if leaf.ndim == 4)
    assert depth(deep) == depth(shallow) + 3


@pytest.mark.parametrize('size,plan', [(28, (7, 2)), (32, (4, 3)), (64, (4, 4)), (60, (15, 2)),
                                       (16, (4, 2))])
def test_resolution_plan(size, plan):
  assert dcgan.resolution_plan(size) == plan


@pytest.mark.parametrize('field,value', [('upsampling', 'bilinear'), ('downsampling', 'max'),
                                         ('label_position', 'conv9'), ('image_size', 7)])
def test_bad_settings_are_named(field, value):
  settings = dict(num_classes=3, image_size=32)
  settings[field] = value
  with pytest.raises(ConfigError, match=field):
    dcgan.Model(**settings)


@pytest.mark.parametrize('variant,size', [('icgan', 64), ('icgan32', 32), ('icgan_syriac', 64)])
def test_icgan_configs_are_the_reference_recipe(variant, size):
  """The authors' recipe (trainGAN.lua, cfg/mainConfig.lua): letters at 64x64 (32x32 in an
  earlier version of their code), Adam at a constant 2e-4 with beta1 0.5, batches of 64, the
  labels of generated letters drawn from the training set's class frequencies, and a
  matching-aware discriminator (real letters with a wrong label count as fake)."""
  from hwr_jax.config_lib import load_config_file
  config = load_config_file(f'configs/gan.py:{variant}')
  assert config.data.image_size == size
  assert dict(config.model) == dict(z_dim=100, conditional=True, width=64, convs_per_block=1,
                                    upsampling='transpose', downsampling='stride',
                                    label_position='conv1', bias_before_norm=True)
  assert (config.optimizer.name, config.optimizer.learning_rate, config.optimizer.b1,
          config.optimizer.schedule) == ('adam', 2e-4, 0.5, 'constant')
  assert config.train.batch_size == 64
  assert config.gan.matching_aware and config.gan.label_sampling == 'empirical'
