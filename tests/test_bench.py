"""launch.bench's FLOPs, GFLOP/s and peak columns: XLA's count of a known program, a tiny
config's step measured as launch.bench measures it, and the table's arithmetic."""

import jax
import jax.numpy as jnp
import pytest

from hwr_jax.benchmarks import report, timing

TINY = 'configs/cnn_classifier.py:tiny'


def test_a_matrix_product_counts_two_flops_per_multiply_add():
  a, b = jnp.ones((64, 32)), jnp.ones((32, 16))
  compiled = jax.jit(lambda a, b: a @ b).lower(a, b).compile()
  assert timing.program_flops(compiled) == 2 * 64 * 32 * 16


def test_xla_counts_a_loop_body_once_and_step_flops_counts_every_trip():
  """XLA's analysis of a scan counts its body once (and adds the loop counter's few
  operations); step_flops adds the other trips, of nested scans too."""
  a, b = jnp.ones((64, 32)), jnp.ones((5, 32, 16))
  product = 2 * 64 * 32 * 16

  def five_products(a, b):
    return jax.lax.scan(lambda carry, b: (carry, a @ b), 0.0, b)[1]

  def five_times_three_products(a, b):
    def three(carry, b):
      return carry, jax.lax.scan(lambda inner, _: (inner, a @ b), 0.0, None, length=3)[1]
    return jax.lax.scan(three, 0.0, b)[1]

  for function, products in ((five_products, 5), (five_times_three_products, 15)):
    compiled = jax.jit(function).lower(a, b).compile()
    assert product <= timing.program_flops(compiled) < 2 * product
    assert products * product <= timing.step_flops(function, compiled, a, b) < (
        products + 1) * product


def test_config_step_counts_the_flops_of_one_step_at_any_steps_per_call():
  one = timing.ConfigStep(TINY, steps_per_call=1, steps=2, warmup=1)
  two = timing.ConfigStep(TINY, steps_per_call=2, steps=4, warmup=2)
  try:
    assert one.flops_per_step > 0
    assert two.flops_per_step == one.flops_per_step
    assert two.info()['images_per_round'] == 4 * 16
    assert one.time() > 0 and two.time() > 0
  finally:
    one.close()
    two.close()


def test_matmul_peak_times_its_flops():
  peak = timing.MatmulPeak(64, seconds=0.01)
  assert peak.flops == 2 * 64 ** 3 * peak.repeats
  assert peak.time() > 0


def test_the_table_gives_gflops_and_the_share_of_the_peak(capsys):
  # 5 steps of 8 images in 2 s, 2 GFLOP each: 5 GFLOP/s, half the peak's 10 GFLOP in 1 s;
  # the twin's 5 steps in 4 s make the JAX row twice as fast.
  row = dict(config=TINY, platform='cpu', devices=1, batch_size=8, steps_per_call=1,
             compute_dtype='float32', compile_seconds=1.0, flops_per_step=2e9,
             images_per_round=40, seconds=2.0, host_peak_rss_mb=100.0)
  twin = dict(images_per_round=40, seconds=4.0, torch_version='2.13.0', threads=2,
              device='cpu', host_peak_rss_mb=50.0)
  peak = dict(flops=1e10, seconds=1.0, size=2048, dtype='float32', platform='cpu')
  report.print_table([row], {(TINY, 'float32'): twin}, {'float32': peak}, rounds=3, steps=5)
  out = capsys.readouterr().out
  header, line = out.splitlines()[:2]
  assert 'best of 3 rounds of 5 steps' in out
  cells = dict(zip(['config', 'platform', 'dev', 'batch', 'K', 'img/s', 'PyTorch img/s',
                    'ratio', 'GFLOP/step', 'GFLOP/s', 'peak', 'of peak'], line.split()))
  assert header.split()[:6] == ['config', 'platform', 'dev', 'batch', 'K', 'img/s']
  assert cells['img/s'] == '20' and cells['PyTorch img/s'] == '10'
  assert cells['ratio'] == '2.00x'
  assert float(cells['GFLOP/step']) == pytest.approx(2.0)
  assert float(cells['GFLOP/s']) == pytest.approx(5.0)
  assert cells['peak'] == '10' and cells['of peak'] == '50%'
