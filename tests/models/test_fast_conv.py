"""fast_conv against the lax ops and flax layers it replaces: same outputs, same gradients, same
parameters."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from hwr_jax.models import fast_conv

TORCH_P1 = ((1, 1), (1, 1))
TORCH_P1_TRANSPOSED = ((2, 2), (2, 2))

# (batch, input side, in channels, out channels, kernel, stride, padding)
TRANSPOSED = [
    (2, 7, 13, 5, 4, 2, TORCH_P1_TRANSPOSED),  # the generator's up-blocks
    (3, 4, 6, 1, 4, 2, TORCH_P1_TRANSPOSED),  # its output layer
    (2, 1, 11, 6, 7, 1, 'VALID'),  # its first layer, 1x1 -> 7x7
    (3, 1, 9, 4, 4, 1, 'VALID'),  # the 64x64 model's first layer, 1x1 -> 4x4
    (2, 1, 5, 3, 3, 2, 'SAME'),
    (2, 5, 3, 4, 3, 2, ((0, 1), (2, 3))),
    (2, 5, 3, 4, 5, 3, 'SAME'),
    (2, 6, 3, 4, 4, 2, ((5, 0), (1, 4))),
]
CONVS = [
    (2, 12, 1, 5, 4, 2, TORCH_P1),  # the discriminator's first layer
    (2, 12, 3, 5, 4, 2, TORCH_P1),  # its down-blocks
    (3, 8, 7, 2, 4, 2, TORCH_P1),
    (2, 12, 3, 5, 5, 2, ((2, 2), (2, 2))),  # 5x5 stride-2 variants
    (2, 11, 1, 3, 5, 2, ((2, 2), (2, 2))),
    (2, 9, 3, 5, 3, 1, 'SAME'),
    # Every stride-1 geometry of the models, fewer channels: the CNN classifiers' first layer
    # (1 channel: the gathered-taps kernel gradient) and their wider ones on the 32/16/8,
    # 28/14/7 and 64 maps, the deeper GANs' 3x3 from 4x4 to 32x32.
    (2, 32, 1, 4, 3, 1, 'SAME'),
    (2, 16, 4, 8, 3, 1, 'SAME'),
    (2, 8, 6, 6, 3, 1, 'SAME'),
    (2, 28, 1, 3, 3, 1, 'SAME'),
    (2, 7, 5, 7, 3, 1, 'SAME'),
    (1, 64, 2, 3, 3, 1, 'SAME'),
    (3, 4, 8, 8, 3, 1, 'SAME'),
    (2, 9, 3, 4, 3, 1, 'VALID'),  # and stride-1 paddings no model uses
    (2, 6, 3, 4, 3, 1, ((2, 0), (0, 2))),
    (2, 6, 3, 4, 2, 1, 'SAME'),
    (2, 7, 6, 1, 7, 1, 'VALID'),  # the discriminator's last layer, 7x7 -> 1x1
    (2, 9, 3, 5, 3, 2, 'SAME'),
    (2, 10, 3, 5, 1, 2, 'VALID'),
    (2, 5, 3, 2, 4, 2, ((1, 0), (0, 0))),
]


def reference_transpose(x, kernel, strides, padding):
  return lax.conv_transpose(x, kernel, (strides,) * 2, padding,
                            dimension_numbers=fast_conv.DIMENSIONS)


def reference_conv(x, kernel, strides, padding):
  return lax.conv_general_dilated(x, kernel, (strides,) * 2, padding,
                                  dimension_numbers=fast_conv.DIMENSIONS)


def random(shape, seed):
  # numpy rather than jax.random: every new shape would compile a random-number kernel.
  return jnp.asarray(np.random.default_rng(seed).normal(size=shape), jnp.float32)


def output_and_gradients(op, x, kernel, strides, padding):
  """op's output and the gradients of a random linear functional of it, jitted as in training."""
  weights = random(jax.eval_shape(lambda x, k: op(x, k, strides, padding), x, kernel).shape, 7)

  def functional(x, kernel):
    y = op(x, kernel, strides, padding)
    return jnp.sum(weights * y), y

  (_, y), grads = jax.jit(jax.value_and_grad(functional, (0, 1), has_aux=True))(x, kernel)
  return (y, *grads)


def assert_close(got, want, name):
  assert got.shape == want.shape, name
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * float(jnp.max(jnp.abs(want))),
                             err_msg=name)


def assert_same(op, reference, case):
  batch, side, c_in, c_out, kernel_side, strides, padding = case
  x = random((batch, side, side, c_in), 1)
  kernel = random((kernel_side, kernel_side, c_in, c_out), 2)
  got = output_and_gradients(op, x, kernel, strides, padding)
  want = output_and_gradients(reference, x, kernel, strides, padding)
  for name, g, w in zip(('output', 'input gradient', 'kernel gradient'), got, want):
    assert_close(g, w, name)


@pytest.mark.parametrize('case', TRANSPOSED, ids=str)
def test_conv_transpose_matches_lax(case):
  assert_same(fast_conv.conv_transpose, reference_transpose, case)


@pytest.mark.parametrize('case', CONVS, ids=str)
def test_conv_matches_lax(case):
  assert_same(fast_conv.conv, reference_conv, case)


@pytest.mark.parametrize('op,reference,case', [
    (fast_conv.conv, reference_conv, (5, 14, 4, 3, 4, 2, TORCH_P1)),
    (fast_conv.conv_transpose, reference_transpose, (5, 7, 3, 4, 4, 2, TORCH_P1_TRANSPOSED))])
def test_batch_chunks_match_lax(op, reference, case, monkeypatch):
  # Both cases map 14x14x4 to 7x7x3 or back; chunks of 2 examples over a batch of 5 are two
  # full chunks and a short one.
  two_examples = 2 * 4 * (14 * 14 * 4 + 7 * 7 * 3)
  monkeypatch.setattr(fast_conv, '_CONV_CHUNK_BYTES', two_examples)
  monkeypatch.setattr(fast_conv, '_KERNEL_GRADIENT_CHUNK_BYTES', two_examples)
  assert_same(op, reference, case)


def test_unit_stride_kernel_gradient_chunks_match_lax(monkeypatch):
  # 9x9x4 to 9x9x3: chunks of 2 examples over a batch of 5.
  monkeypatch.setattr(fast_conv, '_UNIT_STRIDE_CHUNK_BYTES', 2 * 4 * 9 * 9 * (4 + 3))
  assert_same(fast_conv.conv, reference_conv, (5, 9, 4, 3, 3, 1, 'SAME'))


@pytest.mark.parametrize('case', [c for c in TRANSPOSED if c[1] > 1 and c[5] > 1], ids=str)
def test_transposed_kernel_gradient_both_ways_matches_lax(case, monkeypatch):
  # The test sizes take the sliced taps where the kernel allows; with no bytes allowed for
  # them, the kernel gradient is XLA's convolution, as for large maps.
  monkeypatch.setattr(fast_conv, '_MAX_SLICED_TAP_BYTES', 0)
  assert_same(fast_conv.conv_transpose, reference_transpose, case)


@pytest.mark.parametrize('case', [c for c in TRANSPOSED if c[1] > 1 and c[5] > 1], ids=str)
def test_every_upsampling_matches_lax(case):
  """`_upsample` picks its formulation by sizes that the tests are too small to reach, so each
  one is checked here on the geometry of the strided transposed cases."""
  batch, side, c_in, c_out, kernel_side, strides, padding = case
  y = random((batch, side, side, c_in), 1)
  kernel = random((kernel_side, kernel_side, c_in, c_out), 2)
  want = reference_transpose(y, kernel, strides, padding)
  # What conv_transpose hands to _upsample: its geometry and the kernel as a strided conv's.
  pads = [fast_conv._transpose_padding(kernel_side, strides, p)
          for p in ([padding] * 2 if isinstance(padding, str) else padding)]
  geo = fast_conv._Geometry((strides,) * 2, (kernel_side,) * 2,
                            tuple(kernel_side - 1 - b for b, _ in pads), want.shape[1:3],
                            (side, side))
  w = kernel[::-1, ::-1].transpose(0, 1, 3, 2)
  upsamplings = [fast_conv._upsample_by_tap_product, fast_conv._upsample_by_dilated_conv]
  if kernel_side % strides == 0:
    upsamplings.append(fast_conv._upsample_by_phase_conv)
  for upsample in upsamplings:
    assert_close(jax.jit(upsample, static_argnums=2)(y, w, geo), want, upsample.__name__)


def test_cpu_gradients_avoid_the_slow_convolutions():
  """No input-dilated or reversed-window convolution is left for XLA:CPU (jax-ml/jax#23783)."""
  x = jnp.zeros((2, 7, 7, 8))
  kernel = jnp.zeros((4, 4, 8, 3))

  def loss(x, kernel):
    y = fast_conv.conv_transpose(x, kernel, 2, TORCH_P1_TRANSPOSED)
    return jnp.sum(fast_conv.conv(y, kernel.transpose(0, 1, 3, 2), 2, TORCH_P1) ** 2)

  hlo = jax.jit(jax.grad(loss, (0, 1))).lower(x, kernel).compile().as_text()
  assert ' convolution(' in hlo and ' dot(' in hlo  # the program's text is really there
  assert 'lhs_dilate' not in hlo and 'rhs_reversal' not in hlo


LAYERS = [
    (nn.ConvTranspose, fast_conv.ConvTranspose,
     dict(features=5, kernel_size=(4, 4), strides=(2, 2), padding=TORCH_P1_TRANSPOSED,
          kernel_init=nn.initializers.normal(0.02)), (2, 7, 7, 6)),
    (nn.ConvTranspose, fast_conv.ConvTranspose,
     dict(features=4, kernel_size=(7, 7), padding='VALID'), (2, 1, 1, 9)),
    (nn.Conv, fast_conv.Conv,
     dict(features=5, kernel_size=(4, 4), strides=(2, 2), padding=TORCH_P1,
          bias_init=nn.initializers.normal(1.0)), (2, 12, 12, 3)),
    (nn.Conv, fast_conv.Conv,
     dict(features=3, kernel_size=(5, 5), strides=2, padding=2, use_bias=False), (2, 9, 9, 2)),
    (nn.Conv, fast_conv.Conv, dict(features=3, kernel_size=(3, 3)), (2, 6, 6, 4)),
    (nn.Conv, fast_conv.Conv,
     dict(features=5, kernel_size=(4, 4), strides=(2, 2), padding=TORCH_P1, dtype=jnp.bfloat16),
     (2, 12, 12, 3)),
    (nn.Conv, fast_conv.Conv, dict(features=1, kernel_size=(7, 7), padding='VALID'),
     (2, 7, 7, 4)),
]


@pytest.mark.parametrize('flax_layer,layer,attributes,input_shape', LAYERS,
                         ids=lambda v: v.__name__ if isinstance(v, type) else None)
def test_layers_are_drop_in_for_flax(flax_layer, layer, attributes, input_shape):
  x = random(input_shape, 1)
  want = flax_layer(**attributes).init(jax.random.key(0), x)
  got = layer(**attributes).init(jax.random.key(0), x)
  assert jax.tree.structure(got) == jax.tree.structure(want)
  jax.tree.map(np.testing.assert_array_equal, got, want)
  got_y = jax.jit(layer(**attributes).apply)(want, x)
  want_y = flax_layer(**attributes).apply(want, x)
  assert got_y.dtype == want_y.dtype
  # bfloat16 sums in another order round differently: its 8-bit mantissa is good to ~1e-2.
  tolerance = 1e-5 if want_y.dtype == jnp.float32 else 2e-2
  np.testing.assert_allclose(np.asarray(got_y, np.float32), np.asarray(want_y, np.float32),
                             rtol=tolerance, atol=tolerance * float(jnp.max(jnp.abs(want_y))))


PLANE_LAYERS = [
    (dict(features=5, kernel_size=(4, 4), strides=(2, 2), padding=TORCH_P1), (2, 12, 12, 3)),
    (dict(features=3, kernel_size=(3, 3), use_bias=False), (2, 6, 6, 4)),
    (dict(features=1, kernel_size=(7, 7), padding='VALID'), (2, 7, 7, 4)),
    (dict(features=4, kernel_size=(4, 4), strides=(2, 2), padding=TORCH_P1), (3, 28, 28, 1)),
]


@pytest.mark.parametrize('attributes,input_shape', PLANE_LAYERS, ids=str)
def test_constant_planes_are_concatenated_planes(attributes, input_shape):
  """Conv(x, planes) is flax's Conv on x with the planes concatenated: parameters, output and
  gradients."""
  x = random(input_shape, 1)
  planes = random((input_shape[0], 3), 3)
  concatenated = jnp.concatenate(
      [x, jnp.broadcast_to(planes[:, None, None], (*input_shape[:3], 3))], axis=-1)
  variables = nn.Conv(**attributes).init(jax.random.key(0), concatenated)
  got_variables = fast_conv.Conv(**attributes).init(jax.random.key(0), x, planes)
  jax.tree.map(np.testing.assert_array_equal, got_variables, variables)

  def output_and_gradients(apply, *inputs):
    def functional(variables, x):
      y = apply(variables, x, *inputs)
      return jnp.sum(jnp.sin(y)), y
    (_, y), grads = jax.jit(jax.value_and_grad(functional, (0, 1), has_aux=True))(variables, x)
    return y, grads

  got = output_and_gradients(fast_conv.Conv(**attributes).apply, planes)
  want = output_and_gradients(
      lambda v, x: nn.Conv(**attributes).apply(v, jnp.concatenate(
          [x, jnp.broadcast_to(planes[:, None, None], (*x.shape[:3], 3))], axis=-1)))
  for name, g, w in zip(('output', 'gradients'), jax.tree.leaves(got), jax.tree.leaves(want)):
    assert_close(g, w, name)


def test_no_planes_is_plain_conv():
  """An unconditional model's (B, 0) labels join as nothing."""
  x = random((2, 12, 12, 3), 1)
  layer = fast_conv.Conv(features=5, kernel_size=(4, 4), strides=(2, 2), padding=TORCH_P1)
  variables = layer.init(jax.random.key(0), x)
  np.testing.assert_array_equal(layer.apply(variables, x, jnp.zeros((2, 0))),
                                layer.apply(variables, x))
