r"""Times hwr_jax/models/fast_conv.py against the lax ops it replaces, layer by layer.

  python scripts/bench_conv.py [--batch_sizes=64,256] [--models=icgan28,icgan64,other,cnn]
                               [--seconds=1] [--upsampling] [--torch]

Each row is one layer of the DCGANs in hwr_jax/models/dcgan.py (28x28 IcGAN with label planes,
64x64 IcGAN, and the 5x5 stride-2 and 3x3 convolutions of the variants) or of the main job's
CNN classifier (`cnn`: its six 3x3 convolutions) at one batch size: the milliseconds of one
jitted call computing the output and both gradients (input and kernel) with lax and with
fast_conv, and lax / fast; --torch adds PyTorch's eager conv2d with its backward on the same
sizes, for the convolutions (not transposed) of the chosen groups. Calls alternate between the two and the best of each is
kept, so that other load on the machine disturbs the ratio as little as possible.
--upsampling also times, for every strided transposed layer, the two ways fast_conv can compute
a transposed product (forward only), which is what its size threshold chooses between.

Everything takes about 5 minutes on 2 cores, most of it lax's transposed convolutions of the
64x64 model at B=256 (about 10 s a call); --models=icgan28 takes under a minute.
"""

from __future__ import annotations

import os
import sys
import time

# Run as a file (python scripts/bench_conv.py), the repository root is not on the path.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
from absl import app, flags, logging  # noqa: E402
from jax import lax  # noqa: E402

from hwr_jax.models import fast_conv  # noqa: E402

_BATCH_SIZES = flags.DEFINE_list('batch_sizes', ['64', '256'], 'Batch sizes to time.')
_MODELS = flags.DEFINE_list('models', ['icgan28', 'icgan64', 'other'],
                            'Layer groups to time (also: cnn).')
_SECONDS = flags.DEFINE_float('seconds', 1.0, 'Least time spent timing each op of a row, '
                              'after one untimed (compiling) call; at least 2 timed calls.')
_TORCH = flags.DEFINE_bool('torch', False, 'Also time PyTorch eager (conv2d, its output and '
                            'both gradients) on every convolution that is not transposed.')
_UPSAMPLING = flags.DEFINE_bool('upsampling', False, 'Also time both transposed-product '
                                'formulations on the strided transposed layers.')

TORCH_P1 = ((1, 1), (1, 1))  # PyTorch padding 1 of a 4x4 stride-2 convolution
TORCH_P1_TRANSPOSED = ((2, 2), (2, 2))  # the same for lax.conv_transpose
P2 = ((2, 2), (2, 2))

# (group, name, transposed, input side, in channels, out channels, kernel, stride, padding)
LAYERS = [
    ('icgan28', 'G 1->7 110->128', True, 1, 110, 128, 7, 1, 'VALID'),
    ('icgan28', 'G 7->14 138->64', True, 7, 138, 64, 4, 2, TORCH_P1_TRANSPOSED),
    ('icgan28', 'G 14->28 74->1', True, 14, 74, 1, 4, 2, TORCH_P1_TRANSPOSED),
    ('icgan28', 'D 28->14 11->64', False, 28, 11, 64, 4, 2, TORCH_P1),
    ('icgan28', 'D 14->7 74->128', False, 14, 74, 128, 4, 2, TORCH_P1),
    ('icgan28', 'D 7->1 128->1', False, 7, 128, 1, 7, 1, 'VALID'),
    ('icgan64', 'G 1->4 110->512', True, 1, 110, 512, 4, 1, 'VALID'),
    ('icgan64', 'G 4->8 512->256', True, 4, 512, 256, 4, 2, TORCH_P1_TRANSPOSED),
    ('icgan64', 'G 8->16 256->128', True, 8, 256, 128, 4, 2, TORCH_P1_TRANSPOSED),
    ('icgan64', 'G 16->32 128->64', True, 16, 128, 64, 4, 2, TORCH_P1_TRANSPOSED),
    ('icgan64', 'G 32->64 64->1', True, 32, 64, 1, 4, 2, TORCH_P1_TRANSPOSED),
    ('icgan64', 'D 64->32 1->64', False, 64, 1, 64, 4, 2, TORCH_P1),
    ('icgan64', 'D 32->16 74->128', False, 32, 74, 128, 4, 2, TORCH_P1),
    ('icgan64', 'D 16->8 128->256', False, 16, 128, 256, 4, 2, TORCH_P1),
    ('icgan64', 'D 8->4 256->512', False, 8, 256, 512, 4, 2, TORCH_P1),
    ('icgan64', 'D 4->1 512->1', False, 4, 512, 1, 4, 1, 'VALID'),
    ('other', '5x5/2 28->14 11->64', False, 28, 11, 64, 5, 2, P2),
    ('other', '5x5/2 14->7 74->128', False, 14, 74, 128, 5, 2, P2),
    ('other', '3x3 14x14 64->64', False, 14, 64, 64, 3, 1, 'SAME'),
    ('other', '3x3 7x7 128->128', False, 7, 128, 128, 3, 1, 'SAME'),
    ('cnn', '3x3 32x32 1->16', False, 32, 1, 16, 3, 1, 'SAME'),
    ('cnn', '3x3 32x32 16->16', False, 32, 16, 16, 3, 1, 'SAME'),
    ('cnn', '3x3 16x16 16->32', False, 16, 16, 32, 3, 1, 'SAME'),
    ('cnn', '3x3 16x16 32->32', False, 16, 32, 32, 3, 1, 'SAME'),
    ('cnn', '3x3 8x8 32->64', False, 8, 32, 64, 3, 1, 'SAME'),
    ('cnn', '3x3 8x8 64->64', False, 8, 64, 64, 3, 1, 'SAME'),
]


def output_and_gradients(op):
  def step(x, kernel, cotangent):
    y, vjp = jax.vjp(op, x, kernel)
    return (y, *vjp(cotangent))
  return jax.jit(step)


def best_times_ms(fns: dict, args, seconds: float) -> dict[str, float]:
  """The fastest of alternating calls of each function, in ms, after one call of each."""
  for fn in fns.values():
    jax.block_until_ready(fn(*args))
  times = {name: [] for name in fns}
  start = time.perf_counter()
  while min(map(len, times.values())) < 2 or time.perf_counter() - start < seconds * len(fns):
    for name, fn in fns.items():
      t = time.perf_counter()
      jax.block_until_ready(fn(*args))
      times[name].append(time.perf_counter() - t)
  return {name: 1e3 * min(ts) for name, ts in times.items()}


def layer_ops(transposed: bool, strides: int, padding):
  if transposed:
    return (lambda x, k: lax.conv_transpose(x, k, (strides,) * 2, padding,
                                            dimension_numbers=fast_conv.DIMENSIONS),
            lambda x, k: fast_conv.conv_transpose(x, k, strides, padding))
  return (lambda x, k: lax.conv_general_dilated(x, k, (strides,) * 2, padding,
                                                dimension_numbers=fast_conv.DIMENSIONS),
          lambda x, k: fast_conv.conv(x, k, strides, padding))


def torch_padding(kernel: int, strides: int, padding) -> int:
  """conv2d's symmetric padding for one of LAYERS' paddings."""
  if padding == 'VALID':
    return 0
  if padding == 'SAME' and strides == 1 and kernel % 2:
    return kernel // 2
  (before, after), _ = padding
  if before != after:
    raise ValueError(f'no symmetric padding for {padding}')
  return before


def torch_output_and_gradients(x, k, cotangent, strides: int, padding: int):
  """A call of PyTorch eager computing what `output_and_gradients` computes, on copies of
  the arrays in its NCHW and OIHW layouts."""
  import numpy as np  # pylint: disable=import-outside-toplevel
  import torch  # pylint: disable=import-outside-toplevel
  torch.set_num_threads(os.cpu_count())
  xt = torch.from_numpy(np.asarray(x).transpose(0, 3, 1, 2).copy()).requires_grad_()
  kt = torch.from_numpy(np.asarray(k).transpose(3, 2, 0, 1).copy()).requires_grad_()
  gt = torch.from_numpy(np.asarray(cotangent).transpose(0, 3, 1, 2).copy())

  def call(*_):
    y = torch.nn.functional.conv2d(xt, kt, stride=strides, padding=padding)
    y.backward(gt)
  return call


def upsampling_times(batch, side, c_in, c_out, kernel, strides, padding, seconds
                     ) -> dict[str, float]:
  """Forward times of the two transposed-product formulations for one transposed layer."""
  y = jax.random.normal(jax.random.key(0), (batch, side, side, c_in))
  w = jax.random.normal(jax.random.key(1), (kernel, kernel, c_out, c_in))
  high = (strides * side,) * 2
  before = tuple(kernel - 1 - b for b, _ in padding)
  geo = fast_conv._Geometry((strides,) * 2, (kernel,) * 2, before, high, (side, side))
  fns = {'tap product': jax.jit(lambda y, w: fast_conv._upsample_by_tap_product(y, w, geo)),
         'phase conv': jax.jit(lambda y, w: fast_conv._upsample_by_phase_conv(y, w, geo))}
  return best_times_ms(fns, (y, w), seconds)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  # jax logs at INFO that it found no TPU, which would land in the table.
  logging.set_verbosity(logging.WARNING)
  print(f'jax {jax.__version__} on {jax.devices()[0].device_kind}, '
        f'{os.cpu_count()} CPUs; ms per jitted output + input and kernel gradients')
  header = f'{"layer":22s} {"B":>4s} {"lax ms":>9s} {"fast ms":>9s} {"lax/fast":>9s}'
  if _TORCH.value:
    header += f' {"torch ms":>9s} {"torch/fast":>10s}'
  if _UPSAMPLING.value:
    header += f' {"tap product":>12s} {"phase conv":>11s}'
  print(header)
  for batch in map(int, _BATCH_SIZES.value):
    for group, name, transposed, side, c_in, c_out, kernel, strides, padding in LAYERS:
      if group not in _MODELS.value:
        continue
      keys = jax.random.split(jax.random.key(batch), 3)
      x = jax.random.normal(keys[0], (batch, side, side, c_in))
      k = 0.05 * jax.random.normal(keys[1], (kernel, kernel, c_in, c_out))
      reference, fast = layer_ops(transposed, strides, padding)
      cotangent = jax.random.normal(keys[2], jax.eval_shape(reference, x, k).shape)
      fns = {'lax': output_and_gradients(reference), 'fast': output_and_gradients(fast)}
      with_torch = _TORCH.value and not transposed
      if with_torch:
        fns['torch'] = torch_output_and_gradients(x, k, cotangent, strides,
                                                  torch_padding(kernel, strides, padding))
      ms = best_times_ms(fns, (x, k, cotangent), _SECONDS.value)
      row = f'{name:22s} {batch:4d} {ms["lax"]:9.1f} {ms["fast"]:9.1f} ' \
            f'{ms["lax"] / ms["fast"]:8.1f}x'
      if _TORCH.value:
        row += (f' {ms["torch"]:9.1f} {ms["torch"] / ms["fast"]:9.2f}x' if with_torch
                else f' {"-":>9s} {"-":>10s}')
      if _UPSAMPLING.value and transposed and strides > 1:
        up = upsampling_times(batch, side, c_in, c_out, kernel, strides, padding,
                              _SECONDS.value)
        row += f' {up["tap product"]:12.1f} {up["phase conv"]:11.1f}'
      print(row, flush=True)


if __name__ == '__main__':
  app.run(main)
