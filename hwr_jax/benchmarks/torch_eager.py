"""The main configs' models in PyTorch eager, for launch.bench's comparison.

Each network is built layer for layer as its Linen original (hwr_jax/models/cnn.py,
hwr_jax/models/dcgan.py, hwr_jax/models/blstm.py, with the same parameter shapes) and trained
by the same step as its task (tasks/classification.py, tasks/adversarial.py), so that images/s
compare like with like. The twins (`MODELS`) are those of configs/cnn_classifier.py (default
variant, 'cnn'), configs/gan.py:fashion_mnist ('dcgan'), configs/gan.py (the deeper Syriac GAN
at 64x64, 'dcgan_syriac') and configs/blstm_classifier.py ('blstm'); the weights are initialised
as in the Linen DCGAN, PyTorch's defaults elsewhere (initial values do not change the work of a
step).

Two differences, both small: the learning rate is held constant (the JAX classifiers'
warm-up-cosine schedule changes only its value), and the per-step metrics the JAX steps also
return (accuracy, gradient norm, mean D outputs: a few reductions) are not computed.

A step runs on a device ('cpu' or 'cuda', where the JAX run is) in a compute dtype: 'bfloat16'
runs it under `torch.autocast`, the counterpart of train.compute_dtype=bfloat16 (parameters and
optimizer state stay float32 on both sides).

PyTorch is optional (requirements-torch.txt): it is imported inside the functions that need
it, so that importing this module, and hwr_jax, never requires it. Images are NCHW, PyTorch's
own layout: (B, 1, H, W).
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from typing import Callable

from hwr_jax.errors import ConfigError
from hwr_jax.models.dcgan import LABEL_POSITIONS, resolution_plan

# Keyword arguments of the Linen models measured, which the builders below also take. The
# classifiers' and the Syriac GAN's 22 classes are the synthetic Syriac letters of their default
# data; the Fashion-MNIST GAN's are Fashion-MNIST's.
CNN_MODEL = dict(num_classes=22, features=(16, 32, 64), convs_per_block=2, dense=128,
                 dropout=0.3)
CNN_IMAGE_SIZE = 32
DCGAN_MODEL = dict(num_classes=10, image_size=28, z_dim=100, width=64, convs_per_block=1,
                   label_position='conv1')
SYRIAC_DCGAN_MODEL = dict(num_classes=22, image_size=64, z_dim=100, width=32,
                          convs_per_block=2, label_position='conv1')
BLSTM_MODEL = dict(num_classes=22, hidden=128, layers=1)
BLSTM_IMAGE_SIZE = 32
# Adam as the configs set it: the classifiers' peak rate, the GANs' constant one; the BLSTM
# clips the global gradient norm first, and the main job's CNN decays its weights (AdamW) and
# smooths its labels.
CNN_ADAM = dict(lr=2e-3, betas=(0.9, 0.999))
CNN_WEIGHT_DECAY = 0.4
CNN_LABEL_SMOOTHING = 0.1
DCGAN_ADAM = dict(lr=2e-4, betas=(0.5, 0.999))
BLSTM_GRAD_CLIP_NORM = 1.0
MODELS = ('cnn', 'dcgan', 'dcgan_syriac', 'blstm')
DCGAN_MODELS = {'dcgan': DCGAN_MODEL, 'dcgan_syriac': SYRIAC_DCGAN_MODEL}
COMPUTE_DTYPES = ('float32', 'bfloat16')


def available() -> bool:
  """Whether PyTorch is installed (found without importing it, which takes seconds)."""
  return importlib.util.find_spec('torch') is not None


def classifier(num_classes: int, features=(32, 64, 128), convs_per_block: int = 2,
               dense: int = 256, dropout: float = 0.3, image_size: int = CNN_IMAGE_SIZE):
  """cnn.Model: images (B, 1, S, S) in [0, 1] -> logits (B, num_classes)."""
  from torch import nn
  layers, channels = [], 1
  for width in features:
    for _ in range(convs_per_block):
      # Linen's BatchNorm keeps 0.99 of the running statistics: PyTorch's momentum 0.01.
      layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False),
                 nn.BatchNorm2d(width, momentum=0.01, eps=1e-5), nn.ReLU(inplace=True)]
      channels = width
    layers.append(nn.MaxPool2d(2))
  side = image_size // 2 ** len(features)
  return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * side * side, dense),
                       nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(dense, num_classes))


def _dcgan_init(module) -> None:
  """The Linen DCGAN's initialisation: N(0, 0.02) weights, zero biases, N(1, 0.02) BN scales."""
  from torch import nn
  if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
    nn.init.normal_(module.weight, 0.0, 0.02)
    if module.bias is not None:
      nn.init.zeros_(module.bias)
  elif isinstance(module, nn.BatchNorm2d):
    nn.init.normal_(module.weight, 1.0, 0.02)
    nn.init.zeros_(module.bias)


def _batch_norm(channels: int):
  from torch import nn
  return nn.BatchNorm2d(channels, momentum=0.1, eps=1e-5)


def generator(image_size: int, z_dim: int = 100, num_classes: int = 10, width: int = 64,
              convs_per_block: int = 1):
  """dcgan.Generator with transposed-convolution upsampling: (B, z_dim + num_classes), z then
  the signed one-hot label -> images (B, 1, S, S) in [-1, 1]."""
  from torch import nn
  s0, blocks = resolution_plan(image_size)
  channels = width * 2 ** (blocks - 1)
  layers = [nn.Unflatten(1, (z_dim + num_classes, 1, 1)),
            nn.ConvTranspose2d(z_dim + num_classes, channels, s0, bias=False),
            _batch_norm(channels), nn.ReLU(inplace=True)]
  for block in range(1, blocks):
    out = width * 2 ** (blocks - 1 - block)
    # Kernel 4, stride 2, padding 1: the Linen padding ((2, 2), (2, 2)) of the same kernel.
    layers += [nn.ConvTranspose2d(channels, out, 4, stride=2, padding=1, bias=False),
               _batch_norm(out),
               nn.ReLU(inplace=True)]
    channels = out
    for _ in range(convs_per_block - 1):
      layers += [nn.Conv2d(channels, channels, 3, padding=1, bias=False),
                 _batch_norm(channels), nn.ReLU(inplace=True)]
  layers += [nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1), nn.Tanh()]
  return nn.Sequential(*layers).apply(_dcgan_init)


def discriminator(image_size: int, num_classes: int = 10, width: int = 64,
                  convs_per_block: int = 1, label_position: str = 'conv1'):
  """dcgan.Discriminator with strided-convolution downsampling, as the layers before the
  label planes join ('before') and those after ('after'); call it through `discriminate`."""
  from torch import nn
  if label_position not in LABEL_POSITIONS:
    raise ConfigError(f'label_position={label_position!r}: expected one of {LABEL_POSITIONS}')
  s0, blocks = resolution_plan(image_size)
  joins_after = LABEL_POSITIONS.index(label_position)
  if joins_after > blocks:
    raise ConfigError(f'label_position={label_position!r}: a {image_size}x{image_size} '
                      f'discriminator has only {blocks} downsampling block(s)')
  before, after, channels = [], [], 1
  for block in range(blocks):
    if block == joins_after:
      channels += num_classes
    layers = before if block < joins_after else after
    out = width * 2 ** block
    # As in the Linen model, only the first convolution (no batch norm after it) has a bias.
    layers.append(nn.Conv2d(channels, out, 4, stride=2, padding=1, bias=block == 0))
    if block > 0:
      layers.append(_batch_norm(out))
    layers.append(nn.LeakyReLU(0.2, inplace=True))
    if block > 0:
      for _ in range(convs_per_block - 1):
        layers += [nn.Conv2d(out, out, 3, padding=1, bias=False), _batch_norm(out),
                   nn.LeakyReLU(0.2, inplace=True)]
    channels = out
  if joins_after == blocks:
    channels += num_classes
  after.append(nn.Conv2d(channels, 1, s0))
  return nn.ModuleDict({'before': nn.Sequential(*before),
                        'after': nn.Sequential(*after)}).apply(_dcgan_init)


def discriminate(network, images, y):
  """Images (B, 1, S, S) and label vectors y (B, C) -> logits (B,)."""
  import torch
  x = network['before'](images)
  planes = y[:, :, None, None].expand(-1, -1, *x.shape[2:])
  return network['after'](torch.cat([x, planes], dim=1)).flatten()


def signed_one_hot(labels, num_classes: int):
  """Class ids (B,) -> (B, num_classes) with +1 at the class and -1 elsewhere."""
  from torch.nn import functional as F
  return 2.0 * F.one_hot(labels, num_classes).float() - 1.0


def dcgan_networks(model: dict = DCGAN_MODEL) -> dict:
  """{'generator', 'discriminator'} for DCGAN_MODEL or SYRIAC_DCGAN_MODEL."""
  size, classes = model['image_size'], model['num_classes']
  width, convs = model['width'], model['convs_per_block']
  return {'generator': generator(size, model['z_dim'], classes, width, convs),
          'discriminator': discriminator(size, classes, width, convs, model['label_position'])}


def blstm(num_classes: int, hidden: int = 128, layers: int = 1, dropout: float = 0.0,
          image_size: int = BLSTM_IMAGE_SIZE):
  """blstm.Model: images (B, 1, S, S) in [0, 1], read row by row -> logits (B, num_classes).

  Linen's LSTM cell has one bias per gate where PyTorch's has two (on the input and on the
  hidden state): the input ones are held at zero and not trained, so that the trainable
  parameters and the outputs are Linen's."""
  import torch
  from torch import nn

  class BLSTM(nn.Module):
    def __init__(self):
      super().__init__()
      self.lstm = nn.LSTM(image_size, hidden, num_layers=layers, batch_first=True,
                          bidirectional=True, dropout=dropout if layers > 1 else 0.0)
      for name, parameter in self.lstm.named_parameters():
        if name.startswith('bias_ih'):
          nn.init.zeros_(parameter)
          parameter.requires_grad_(False)
      self.head = nn.Linear(2 * hidden, num_classes)

    def forward(self, images):
      sequence, _ = self.lstm(images[:, 0])
      # The forward direction has read every row at the last step, the backward at the first.
      summary = torch.cat([sequence[:, -1, :hidden], sequence[:, 0, hidden:]], dim=-1)
      return self.head(summary)

  return BLSTM()


def networks_of(model: str) -> dict:
  """The networks of one twin by name, as `parameter_counts` names them."""
  if model == 'cnn':
    return {'classifier': classifier(**CNN_MODEL)}
  if model in DCGAN_MODELS:
    return dcgan_networks(DCGAN_MODELS[model])
  if model == 'blstm':
    return {'classifier': blstm(**BLSTM_MODEL)}
  raise ConfigError(f'model={model!r}: expected one of {MODELS}')


def parameter_counts(model: str) -> dict[str, int]:
  """Trainable parameters of each network of `model` ('classifier', or 'generator' and
  'discriminator'); batch-norm running statistics are buffers, not counted, as in Linen."""
  return {name: sum(p.numel() for p in network.parameters() if p.requires_grad)
          for name, network in networks_of(model).items()}


def _autocast(device: str, compute_dtype: str):
  import torch
  if compute_dtype == 'float32':
    return contextlib.nullcontext()
  return torch.autocast(device, dtype=torch.bfloat16)


def _classifier_step(model: str, batch_size: int, device: str = 'cpu',
                     compute_dtype: str = 'float32') -> Callable[[], None]:
  """One training step of classification.Task on a fixed random batch."""
  import torch
  from torch.nn import functional as F
  network = networks_of(model)['classifier'].to(device).train()
  parameters = [p for p in network.parameters() if p.requires_grad]
  if model == 'cnn':
    optimizer = torch.optim.AdamW(parameters, weight_decay=CNN_WEIGHT_DECAY, **CNN_ADAM)
  else:
    optimizer = torch.optim.Adam(parameters, **CNN_ADAM)
  label_smoothing = CNN_LABEL_SMOOTHING if model == 'cnn' else 0.0
  size = CNN_IMAGE_SIZE if model == 'cnn' else BLSTM_IMAGE_SIZE
  classes = CNN_MODEL['num_classes'] if model == 'cnn' else BLSTM_MODEL['num_classes']
  images = torch.randint(0, 256, (batch_size, 1, size, size), dtype=torch.uint8, device=device)
  labels = torch.randint(0, classes, (batch_size,), device=device)

  def step():
    optimizer.zero_grad(set_to_none=True)
    with _autocast(device, compute_dtype):
      # Batches travel as bytes and become [0, 1] floats inside the step, as in the JAX task.
      logits = network(images.float() / 255.0)
    loss = F.cross_entropy(logits.float(), labels, label_smoothing=label_smoothing)
    loss.backward()
    if model == 'blstm':
      torch.nn.utils.clip_grad_norm_(parameters, BLSTM_GRAD_CLIP_NORM)
    optimizer.step()

  return step


def _gan_step(model: str, batch_size: int, device: str = 'cpu',
              compute_dtype: str = 'float32') -> Callable[[], None]:
  """One training step of adversarial.Task (matching-aware) on a fixed random real batch."""
  import torch
  from torch.nn import functional as F
  spec = DCGAN_MODELS[model]
  networks = dcgan_networks(spec)
  g, d = networks['generator'].to(device).train(), networks['discriminator'].to(device).train()
  g_optimizer = torch.optim.Adam(g.parameters(), **DCGAN_ADAM)
  d_optimizer = torch.optim.Adam(d.parameters(), **DCGAN_ADAM)
  size, classes = spec['image_size'], spec['num_classes']
  images = torch.randint(0, 256, (batch_size, 1, size, size), dtype=torch.uint8, device=device)
  labels = torch.randint(0, classes, (batch_size,), device=device)

  def bce(logits, target: float):
    logits = logits.float()
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))

  def step():
    real = images.float() / 127.5 - 1.0
    fake_labels = torch.randint(0, classes, (batch_size,), device=device)
    wrong = (labels + torch.randint(1, classes, (batch_size,), device=device)) % classes
    y_real, y_fake = signed_one_hot(labels, classes), signed_one_hot(fake_labels, classes)
    y_wrong = signed_one_hot(wrong, classes)
    with _autocast(device, compute_dtype):
      fake = g(torch.cat([torch.randn(batch_size, spec['z_dim'], device=device), y_fake],
                         dim=1))

      d_optimizer.zero_grad(set_to_none=True)
      # Three passes in the JAX step's order, each moving D's running statistics once.
      real_logits = discriminate(d, real, y_real)
      wrong_logits = discriminate(d, real, y_wrong)
      fake_logits = discriminate(d, fake.detach(), y_fake)
    d_loss = bce(real_logits, 1.0) + 0.5 * (bce(fake_logits, 0.0) + bce(wrong_logits, 0.0))
    d_loss.backward()
    d_optimizer.step()

    g_optimizer.zero_grad(set_to_none=True)
    with _autocast(device, compute_dtype):
      g_logits = discriminate(d, fake, y_fake)
    g_loss = bce(g_logits, 1.0)
    # Only G's gradients, as the JAX step differentiates this loss with respect to the fakes
    # alone: gradients of D's weights here would be work the JAX side does not do.
    g_loss.backward(inputs=list(g.parameters()))
    g_optimizer.step()

  return step


def make_step(model: str, batch_size: int, device: str = 'cpu',
              compute_dtype: str = 'float32') -> Callable[[], None]:
  """One training step of `model` (one of MODELS) on `device`, in `compute_dtype`; it returns
  when the step's work is finished (on a GPU it waits for it), so that it can be timed."""
  if model not in MODELS:
    raise ConfigError(f'model={model!r}: expected one of {MODELS}')
  if compute_dtype not in COMPUTE_DTYPES:
    raise ConfigError(f'compute_dtype={compute_dtype!r}: expected one of {COMPUTE_DTYPES}')
  build = _gan_step if model in DCGAN_MODELS else _classifier_step
  step = build(model, batch_size, device, compute_dtype)
  if device == 'cpu':
    # Eager CPU operations finish before they return.
    return step
  import torch

  def synchronised_step():
    step()
    torch.cuda.synchronize(device)

  return synchronised_step


class TimedSteps:
  """launch.bench's PyTorch side: `steps` training steps of `model` timed together by each
  `time()`, after `warmup` untimed ones (which settle PyTorch's allocator and oneDNN's kernel
  choices)."""

  def __init__(self, model: str, batch_size: int, steps: int, warmup: int,
               device: str = 'cpu', compute_dtype: str = 'float32'):
    self.step = make_step(model, batch_size, device, compute_dtype)
    self.steps = steps
    for _ in range(warmup):
      self.step()

  def time(self) -> float:
    start = time.perf_counter()
    for _ in range(self.steps):
      self.step()
    return time.perf_counter() - start
