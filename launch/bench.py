r"""Measures training speed and memory of model configs: images/s, compile time, peak memory.

  python -m launch.bench                                  # both letter classifiers
  python -m launch.bench --config=configs/cnn_classifier.py:fashion_mnist --steps=50

Each config runs in its own child process, so its peak host memory (max RSS) is its own. The
timed steps run the real train step on the config's real data through the real input pipeline,
after warm-up steps that include compilation. Prints one table row per config.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import jax
from absl import app, flags

from hwr_jax.config_lib import load_config_file
from hwr_jax.data import pipeline
from hwr_jax.errors import HwrError
from hwr_jax.training.loop import build_run
from launch.common import parse_flags, report_errors

_CONFIGS = flags.DEFINE_multi_string(
    'config', ['configs/cnn_classifier.py', 'configs/blstm_classifier.py'],
    'Config file[:variant] to measure; repeat the flag for several.')
_STEPS = flags.DEFINE_integer('steps', 30, 'Timed training steps per config.')
_WARMUP = flags.DEFINE_integer('warmup', 3, 'Untimed steps first (the first one compiles).')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 0, 'Override train.batch_size (0: config\'s).')
_CHILD = flags.DEFINE_string('child', '', 'Internal: measure this one config and print JSON.')


def peak_memory_mb() -> dict[str, float]:
  out = {'host_peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
  stats = jax.devices()[0].memory_stats() or {}
  if 'peak_bytes_in_use' in stats:
    out['device_peak_mb'] = stats['peak_bytes_in_use'] / 2**20
  return out


def measure(spec: str) -> dict:
  """Builds the config's run on its data and times `steps` train steps after warm-up."""
  config = load_config_file(spec)
  if _BATCH_SIZE.value:
    config.train.batch_size = _BATCH_SIZE.value
  run = build_run(config)
  key = jax.random.key(config.seed)
  state = run.initial_state
  batches = pipeline.train_batches(run.data.train, config.train.batch_size, config.seed, 0)
  try:
    start = time.perf_counter()
    state, _ = run.step_fn(state, next(batches), jax.random.fold_in(key, 0))
    jax.block_until_ready(state)
    compile_seconds = time.perf_counter() - start
    for step in range(1, _WARMUP.value):
      state, _ = run.step_fn(state, next(batches), jax.random.fold_in(key, step))
    jax.block_until_ready(state)
    start = time.perf_counter()
    for step in range(_STEPS.value):
      state, _ = run.step_fn(state, next(batches), jax.random.fold_in(key, step))
    jax.block_until_ready(state)
    seconds = time.perf_counter() - start
  finally:
    batches.close()
  return {'config': spec, 'platform': jax.default_backend(),
          'batch_size': config.train.batch_size,
          'images_per_second': _STEPS.value * config.train.batch_size / seconds,
          'compile_seconds': compile_seconds, **peak_memory_mb()}


def error_line(stderr: str) -> str:
  lines = [line for line in stderr.splitlines() if line.startswith('error:')]
  return lines[-1] if lines else stderr.strip().splitlines()[-1] if stderr.strip() else '?'


@report_errors
def main(argv):
  del argv
  if _CHILD.value:
    print(json.dumps(measure(_CHILD.value)))
    return
  rows, failed = [], []
  for spec in _CONFIGS.value:
    args = [sys.executable, '-m', 'launch.bench', f'--child={spec}', f'--steps={_STEPS.value}',
            f'--warmup={_WARMUP.value}', f'--batch_size={_BATCH_SIZE.value}']
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
      failed.append(f'{spec}: {error_line(done.stderr)}')
      continue
    rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
  print(f'{"config":45s} {"platform":8s} {"batch":>5s} {"img/s":>9s} {"compile s":>9s} '
        f'{"host peak MB":>12s} {"device peak MB":>14s}')
  for row in rows:
    device = f'{row["device_peak_mb"]:14.0f}' if 'device_peak_mb' in row else f'{"-":>14s}'
    print(f'{row["config"]:45s} {row["platform"]:8s} {row["batch_size"]:5d} '
          f'{row["images_per_second"]:9.0f} {row["compile_seconds"]:9.1f} '
          f'{row["host_peak_rss_mb"]:12.0f} {device}')
  if failed:
    raise HwrError('benchmark failed for ' + '; '.join(failed))


if __name__ == '__main__':
  app.run(main, flags_parser=parse_flags)
