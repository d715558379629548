r"""Measures training speed and memory of model configs: images/s, compile time, peak memory.

  python -m launch.bench                        # every model config, one step per call
  python -m launch.bench --config=configs/gan.py:fashion_mnist --batch_size=256 \
      --steps_per_call=1,10

Each config runs in its own child process, so its peak host memory (max RSS) is its own. The
timed steps run the real train step on the config's real data through the real input pipeline
(batches sharded over every device), after warm-up calls that include compilation. Prints one
table row per config and steps-per-call value.

With PyTorch installed (pip install -r requirements-torch.txt), the configs that have a
PyTorch eager twin (hwr_jax/benchmarks/torch_eager.py: the CNN classifier and the
Fashion-MNIST conditional DCGAN) are also measured in PyTorch, in their own child processes at
the same batch size, and the table gives the ratio JAX / PyTorch.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import jax
import numpy as np
from absl import flags

from hwr_jax.config_lib import load_config_file
from hwr_jax.data import pipeline
from hwr_jax.errors import HwrError
from hwr_jax.loop import build_run
from launch.common import report_errors, run_console_script

_CONFIGS = flags.DEFINE_multi_string(
    'config', ['configs/cnn_classifier.py', 'configs/blstm_classifier.py',
               'configs/gan.py:fashion_mnist', 'configs/gan.py'],
    'Config file[:variant] to measure; repeat the flag for several.')
_STEPS = flags.DEFINE_integer('steps', 30, 'Timed training steps per config.')
_WARMUP = flags.DEFINE_integer('warmup', 3, 'Untimed steps first (the first one compiles).')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 0, 'Override train.batch_size (0: config\'s).')
_STEPS_PER_CALL = flags.DEFINE_list('steps_per_call', ['1'], 'Train steps per compiled call '
                                    '(train.steps_per_call) to measure, comma-separated.')
_TORCH = flags.DEFINE_bool('torch', True, 'Also measure the PyTorch eager twins, if PyTorch '
                           'is installed.')
_CHILD = flags.DEFINE_string('child', '', 'Internal: measure this one config and print JSON.')
_CHILD_TORCH = flags.DEFINE_string('child_torch', '', 'Internal: measure this PyTorch model.')

# The configs whose networks and steps hwr_jax/benchmarks/torch_eager.py rebuilds in PyTorch.
TORCH_TWINS = {'configs/cnn_classifier.py': 'cnn', 'configs/gan.py:fashion_mnist': 'dcgan'}


def peak_memory_mb() -> dict[str, float]:
  out = {'host_peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
  stats = jax.devices()[0].memory_stats() or {}
  if 'peak_bytes_in_use' in stats:
    out['device_peak_mb'] = stats['peak_bytes_in_use'] / 2**20
  return out


def measure(spec: str, steps_per_call: int) -> dict:
  """Builds the config's run on its data and times about --steps train steps after warm-up."""
  config = load_config_file(spec)
  if _BATCH_SIZE.value:
    config.train.batch_size = _BATCH_SIZE.value
  config.train.steps_per_call = steps_per_call
  calls = max(_STEPS.value // steps_per_call, 1)
  config.train.update(steps=calls * steps_per_call, log_every=0, checkpoint_every=0)
  run = build_run(config)
  key = jax.random.key(config.seed)
  state = run.initial_state
  batches = pipeline.train_batches(run.data.train, config.train.batch_size, config.seed, 0,
                                   mesh=run.mesh, steps_per_item=steps_per_call)
  try:
    start = time.perf_counter()
    state, _ = run.step_fn(state, next(batches), key, np.int32(1))
    jax.block_until_ready(state)
    compile_seconds = time.perf_counter() - start
    for _ in range(1, max(_WARMUP.value // steps_per_call, 2)):
      state, _ = run.step_fn(state, next(batches), key, np.int32(1))
    jax.block_until_ready(state)
    start = time.perf_counter()
    for _ in range(calls):
      state, _ = run.step_fn(state, next(batches), key, np.int32(1))
    jax.block_until_ready(state)
    seconds = time.perf_counter() - start
  finally:
    batches.close()
  return {'config': spec, 'platform': jax.default_backend(), 'devices': jax.device_count(),
          'batch_size': config.train.batch_size, 'steps_per_call': steps_per_call,
          'images_per_second': calls * steps_per_call * config.train.batch_size / seconds,
          'compile_seconds': compile_seconds, **peak_memory_mb()}


def measure_torch(model: str, batch_size: int) -> dict:
  from hwr_jax.benchmarks import torch_eager  # pylint: disable=import-outside-toplevel
  row = torch_eager.measure(model, batch_size, _STEPS.value, _WARMUP.value)
  return {**row, **peak_memory_mb()}


def error_line(stderr: str) -> str:
  lines = [line for line in stderr.splitlines() if line.startswith('error:')]
  return lines[-1] if lines else stderr.strip().splitlines()[-1] if stderr.strip() else '?'


def run_child(args: list[str], label: str, failed: list[str]):
  """Runs one measurement in a child process; its JSON row, or None (noted in `failed`)."""
  done = subprocess.run([sys.executable, '-m', 'launch.bench', *args, f'--steps={_STEPS.value}',
                         f'--warmup={_WARMUP.value}'],
                        capture_output=True, text=True, check=False)
  if done.returncode != 0:
    failed.append(f'{label}: {error_line(done.stderr)}')
    return None
  return json.loads(done.stdout.strip().splitlines()[-1])


def config_batch_size(spec: str) -> int:
  return _BATCH_SIZE.value or load_config_file(spec).train.batch_size


def print_table(rows: list[dict], torch_rows: dict) -> None:
  print(f'{"config":36s} {"platform":8s} {"dev":>3s} {"batch":>5s} {"K":>3s} {"img/s":>8s} '
        f'{"compile s":>9s} {"host MB":>8s} {"device MB":>9s} {"PyTorch img/s":>13s} '
        f'{"ratio":>6s}')
  for row in rows:
    device = f'{row["device_peak_mb"]:9.0f}' if 'device_peak_mb' in row else f'{"-":>9s}'
    twin = torch_rows.get(row['config'])
    versus = (f'{twin["images_per_second"]:13.0f} '
              f'{row["images_per_second"] / twin["images_per_second"]:5.2f}x') if twin else (
                  f'{"-":>13s} {"-":>6s}')
    print(f'{row["config"]:36s} {row["platform"]:8s} {row["devices"]:3d} '
          f'{row["batch_size"]:5d} {row["steps_per_call"]:3d} {row["images_per_second"]:8.0f} '
          f'{row["compile_seconds"]:9.1f} {row["host_peak_rss_mb"]:8.0f} {device} {versus}')
  for spec, twin in torch_rows.items():
    print(f'PyTorch {twin["torch_version"]} eager twin of {spec}: {twin["threads"]} threads, '
          f'peak host memory {twin["host_peak_rss_mb"]:.0f} MB')


@report_errors
def main(argv):
  del argv
  if _CHILD.value:
    print(json.dumps(measure(_CHILD.value, int(_STEPS_PER_CALL.value[0]))))
    return
  if _CHILD_TORCH.value:
    print(json.dumps(measure_torch(_CHILD_TORCH.value, _BATCH_SIZE.value)))
    return
  per_call = [int(k) for k in _STEPS_PER_CALL.value]
  rows, torch_rows, failed = [], {}, []
  for spec in _CONFIGS.value:
    for k in per_call:
      row = run_child([f'--child={spec}', f'--steps_per_call={k}',
                       f'--batch_size={_BATCH_SIZE.value}'], spec, failed)
      if row:
        rows.append(row)
    if _TORCH.value and spec in TORCH_TWINS and torch_eager_available():
      twin = run_child([f'--child_torch={TORCH_TWINS[spec]}',
                        f'--batch_size={config_batch_size(spec)}'], f'PyTorch twin of {spec}',
                       failed)
      if twin:
        torch_rows[spec] = twin
  print_table(rows, torch_rows)
  if _TORCH.value and not torch_eager_available():
    print('PyTorch is not installed: pip install -r requirements-torch.txt to measure the '
          'PyTorch eager twins of ' + ' and '.join(TORCH_TWINS) + ' beside them')
  if failed:
    raise HwrError('benchmark failed for ' + '; '.join(failed))


def torch_eager_available() -> bool:
  from hwr_jax.benchmarks import torch_eager  # pylint: disable=import-outside-toplevel
  return torch_eager.available()


def run():
  """The `hwr-bench` console script: the same as python -m launch.bench."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
