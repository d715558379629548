"""The PyTorch eager twins that launch.bench measures: built from the same configs, with the
parameters of the Linen networks and, given their weights, the same outputs; a step runs."""

import functools

import pytest

torch = pytest.importorskip('torch')

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from hwr_jax.benchmarks import torch_eager  # noqa: E402
from hwr_jax.config_lib import load_config_file  # noqa: E402
from hwr_jax.models import blstm, cnn, dcgan  # noqa: E402

LAYERS = (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear, torch.nn.BatchNorm2d)
GATES = 'ifgo'  # PyTorch's order of an LSTM's gates in its stacked weights
BATCH = 4


def count(tree) -> int:
  return sum(leaf.size for leaf in jax.tree.leaves(tree))


def cnn_input(batch: int) -> jnp.ndarray:
  side = torch_eager.CNN_IMAGE_SIZE
  return jax.random.uniform(jax.random.key(1), (batch, side, side, 1))


def nchw(x) -> torch.Tensor:
  return torch.tensor(np.asarray(x).transpose(0, 3, 1, 2))


def test_the_twins_are_built_from_the_configs_measured():
  classifier = load_config_file('configs/cnn_classifier.py')
  for key in ('features', 'convs_per_block', 'dense', 'dropout'):
    assert torch_eager.CNN_MODEL[key] == classifier.model[key]
  assert torch_eager.CNN_IMAGE_SIZE == classifier.data.image_size
  assert torch_eager.CNN_ADAM == dict(lr=classifier.optimizer.learning_rate,
                                      betas=(classifier.optimizer.b1, classifier.optimizer.b2))
  assert classifier.optimizer.name == 'adamw'
  assert torch_eager.CNN_WEIGHT_DECAY == classifier.optimizer.weight_decay
  assert torch_eager.CNN_LABEL_SMOOTHING == classifier.train.label_smoothing
  assert not classifier.optimizer.grad_clip_norm
  for spec, model in (('configs/gan.py:fashion_mnist', torch_eager.DCGAN_MODEL),
                      ('configs/gan.py', torch_eager.SYRIAC_DCGAN_MODEL)):
    gan = load_config_file(spec)
    assert (gan.model.upsampling, gan.model.downsampling) == ('transpose', 'stride')
    assert gan.model.conditional and gan.gan.matching_aware and not gan.model.bias_before_norm
    for key in ('z_dim', 'width', 'convs_per_block', 'label_position'):
      assert model[key] == gan.model[key]
    assert model['image_size'] == gan.data.image_size
    assert torch_eager.DCGAN_ADAM == dict(lr=gan.optimizer.learning_rate,
                                          betas=(gan.optimizer.b1, gan.optimizer.b2))
    assert gan.optimizer.name == 'adam' and gan.optimizer.schedule == 'constant'
  reader = load_config_file('configs/blstm_classifier.py')
  for key in ('hidden', 'layers'):
    assert torch_eager.BLSTM_MODEL[key] == reader.model[key]
  assert not reader.model.dropout
  assert torch_eager.BLSTM_IMAGE_SIZE == reader.data.image_size
  assert torch_eager.CNN_ADAM == dict(lr=reader.optimizer.learning_rate,
                                      betas=(reader.optimizer.b1, reader.optimizer.b2))
  assert torch_eager.BLSTM_GRAD_CLIP_NORM == reader.optimizer.grad_clip_norm
  assert reader.optimizer.name == 'adam' and not reader.train.label_smoothing


def test_parameter_counts_match_linen():
  variables = jax.eval_shape(lambda: cnn.Model(**torch_eager.CNN_MODEL).init(
      jax.random.key(0), cnn_input(1)))
  assert torch_eager.parameter_counts('cnn') == {'classifier': count(variables['params'])}
  variables = jax.eval_shape(lambda: blstm.Model(**torch_eager.BLSTM_MODEL).init(
      jax.random.key(0), cnn_input(1)))
  assert torch_eager.parameter_counts('blstm') == {'classifier': count(variables['params'])}
  for name, model in torch_eager.DCGAN_MODELS.items():
    variables = jax.eval_shape(dcgan.Model(**model).init, jax.random.key(0))
    assert torch_eager.parameter_counts(name) == {
        part: count(variables['params'][part]) for part in ('generator', 'discriminator')}


def linen_layers(params):
  """The parameter tables of the Linen layers, in the order the layers were created."""
  if 'kernel' in params or 'scale' in params:
    yield params
    return
  for child in params.values():
    yield from linen_layers(child)


def load_linen(network, params, flatten_side: int = 0) -> None:
  """Copies Linen weights into the PyTorch twin, layer by layer. flatten_side: the map side
  before the first dense layer, whose inputs Linen flattens as (H, W, C), PyTorch as
  (C, H, W)."""
  layers = [m for m in network.modules() if isinstance(m, LAYERS)]
  tables = list(linen_layers(params))
  assert len(layers) == len(tables)
  with torch.no_grad():
    for layer, table in zip(layers, tables):
      if isinstance(layer, torch.nn.BatchNorm2d):
        assert 'scale' in table
        weight = np.asarray(table['scale'])
      elif isinstance(layer, torch.nn.ConvTranspose2d):
        # Linen's transposed convolution does not flip its kernel; PyTorch's, the gradient of
        # a convolution, does.
        weight = np.asarray(table['kernel'])[::-1, ::-1].transpose(2, 3, 0, 1)
      elif isinstance(layer, torch.nn.Conv2d):
        weight = np.asarray(table['kernel']).transpose(3, 2, 0, 1)
      else:
        weight = np.asarray(table['kernel'])
        if flatten_side:
          side = flatten_side
          weight = weight.reshape(side, side, -1, weight.shape[1]).transpose(2, 0, 1, 3)
          weight = weight.reshape(-1, weight.shape[-1])
          flatten_side = 0
        weight = weight.T
      assert tuple(layer.weight.shape) == weight.shape
      layer.weight.copy_(torch.tensor(weight.copy()))
      if 'bias' in table:
        layer.bias.copy_(torch.tensor(np.asarray(table['bias'])))


def assert_close(torch_out: torch.Tensor, linen_out) -> None:
  linen_out = np.asarray(linen_out)
  if linen_out.ndim == 4:
    linen_out = linen_out.transpose(0, 3, 1, 2)
  assert tuple(torch_out.shape) == linen_out.shape
  np.testing.assert_allclose(torch_out.detach().numpy(), linen_out, rtol=1e-4, atol=1e-4)


def test_classifier_computes_what_linen_computes():
  model = cnn.Model(**torch_eager.CNN_MODEL)
  images = cnn_input(BATCH)
  variables = model.init(jax.random.key(0), images)
  network = torch_eager.classifier(**torch_eager.CNN_MODEL).eval()
  side = torch_eager.CNN_IMAGE_SIZE // 2 ** len(torch_eager.CNN_MODEL['features'])
  load_linen(network, variables['params'], flatten_side=side)
  assert_close(network(nchw(images)), jax.jit(model.apply)(variables, images))


# The Fashion-MNIST GAN as measured, and the deeper Syriac GAN's kinds of layer (two
# convolutions per block, labels joining at conv1) on 16x16 letters.
GANS = [torch_eager.DCGAN_MODEL,
        {**torch_eager.SYRIAC_DCGAN_MODEL, 'image_size': 16, 'width': 8, 'z_dim': 16}]


@pytest.mark.parametrize('spec', GANS, ids=lambda spec: f'{spec["image_size"]}x')
def test_generator_and_discriminator_compute_what_linen_computes(spec):
  model = dcgan.Model(**spec)
  variables = model.init(jax.random.key(0))
  networks = torch_eager.dcgan_networks(spec)
  for name in ('generator', 'discriminator'):
    load_linen(networks[name].train(), variables['params'][name])
  z = jax.random.normal(jax.random.key(1), (BATCH, model.z_dim))
  labels = torch.arange(BATCH) % model.num_classes
  y = model.encode_labels(jnp.asarray(labels.numpy()))
  y_torch = torch_eager.signed_one_hot(labels, model.num_classes)
  np.testing.assert_array_equal(y_torch.numpy(), np.asarray(y))

  def train_mode(network, name, *args):
    # Jitted: op by op, each of the model's ops would compile on its own.
    out, _ = jax.jit(functools.partial(network.apply, train=True, mutable=['batch_stats']))(
        {'params': variables['params'][name], 'batch_stats': variables['batch_stats'][name]},
        *args)
    return out

  fake = train_mode(model.generator, 'generator', z, y)
  torch_fake = networks['generator'](torch.cat([torch.tensor(np.asarray(z)), y_torch], 1))
  assert_close(torch_fake, fake)
  assert_close(torch_eager.discriminate(networks['discriminator'], nchw(fake), y_torch),
               train_mode(model.discriminator, 'discriminator', fake, y))


def test_blstm_computes_what_linen_computes():
  model = blstm.Model(**torch_eager.BLSTM_MODEL)
  images = cnn_input(BATCH)
  params = jax.jit(model.init)(jax.random.key(0), images)['params']
  network = torch_eager.blstm(**torch_eager.BLSTM_MODEL).eval()
  with torch.no_grad():
    for suffix, cell in (('l0', 'OptimizedLSTMCell_0'), ('l0_reverse', 'OptimizedLSTMCell_1')):
      table = params[cell]
      for weight, source in ((f'weight_ih_{suffix}', 'i'), (f'weight_hh_{suffix}', 'h')):
        stacked = np.concatenate([np.asarray(table[source + gate]['kernel']).T
                                  for gate in GATES])
        getattr(network.lstm, weight).copy_(torch.tensor(stacked))
      getattr(network.lstm, f'bias_hh_{suffix}').copy_(torch.tensor(np.concatenate(
          [np.asarray(table['h' + gate]['bias']) for gate in GATES])))
    network.head.weight.copy_(torch.tensor(np.asarray(params['Dense_0']['kernel']).T))
    network.head.bias.copy_(torch.tensor(np.asarray(params['Dense_0']['bias'])))
  assert_close(network(nchw(images)), jax.jit(model.apply)({'params': params}, images))


@pytest.mark.parametrize('model', torch_eager.MODELS)
def test_timed_steps_time_the_training_steps_after_the_warmup(model, monkeypatch):
  """Each real training step moves a fake clock on by a quarter of a second: 2 timed steps of
  8 images are 32 images/s, whereas timing the warm-up step as well would give 21.3."""
  real_make_step = torch_eager.make_step
  clock = {'now': 1000.0, 'steps': 0}

  def clocked_make_step(model, batch_size, device, compute_dtype):
    step = real_make_step(model, batch_size, device, compute_dtype)

    def clocked_step():
      step()
      clock['steps'] += 1
      clock['now'] += 0.25

    return clocked_step

  monkeypatch.setattr(torch_eager, 'make_step', clocked_make_step)
  monkeypatch.setattr(torch_eager.time, 'perf_counter', lambda: clock['now'])
  timed = torch_eager.TimedSteps(model, batch_size=8, steps=2, warmup=1)
  seconds = timed.time()
  assert clock['steps'] == 3
  assert 2 * 8 / seconds == 32.0


@pytest.mark.parametrize('model', [m for m in torch_eager.MODELS if m != 'blstm'])
def test_a_bfloat16_step_runs(model):
  """launch.bench's train.compute_dtype=bfloat16 rows run their twins under autocast (oneDNN
  has no bfloat16 LSTM on CPUs without bfloat16 instructions: that one is for GPUs)."""
  torch_eager.make_step(model, batch_size=2, compute_dtype='bfloat16')()


def test_unknown_model_or_dtype_is_a_config_error():
  with pytest.raises(torch_eager.ConfigError, match='dcgan'):
    torch_eager.make_step('vit', batch_size=8)
  with pytest.raises(torch_eager.ConfigError, match='bfloat16'):
    torch_eager.make_step('cnn', batch_size=8, compute_dtype='float16')
