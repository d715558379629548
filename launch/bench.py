r"""Measures training speed and memory of model configs: images/s, FLOPs, compile time, memory.

  python -m launch.bench                        # every model config, one step per call
  python -m launch.bench --config=configs/gan.py:fashion_mnist --batch_size=256 \
      --steps_per_call=1,10 --compute_dtypes=float32,bfloat16 --rounds=5

Each config runs in child processes of its own, one per steps-per-call value and compute dtype,
so its peak host memory (max RSS) is its own. The timed steps run the real train step on the
config's real data through the real input pipeline (batches sharded over every device), after
warm-up calls that include compilation.

With PyTorch installed (pip install -r requirements-torch.txt), the configs that have a
PyTorch eager twin (hwr_jax/benchmarks/torch_eager.py: the CNN and BLSTM classifiers, the
Fashion-MNIST and the deeper Syriac conditional DCGANs) are also measured in PyTorch, in child
processes of their own at the same batch size, on the same device (a GPU where JAX runs on one
and PyTorch sees it) and in the same compute dtype, and the table gives the ratio JAX /
PyTorch.

Beside images/s the table gives how close each step comes to the machine's limit: its FLOPs
(XLA's cost analysis of the compiled step), the GFLOP/s they make, and the machine's peak, a
large matrix product timed in the same run. All children stay up and are timed in turn, one
round after another (JAX, its PyTorch twin, the matrix product), so that the load of the
machine, which moves, weighs on every column alike; each figure is the best of --rounds.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile

import jax
from absl import flags

from hwr_jax.benchmarks import report
from hwr_jax.config_lib import load_config_file
from hwr_jax.errors import HwrError
from launch.common import report_errors, run_console_script

_CONFIGS = flags.DEFINE_multi_string(
    'config', ['configs/cnn_classifier.py', 'configs/blstm_classifier.py',
               'configs/gan.py:fashion_mnist', 'configs/gan.py'],
    'Config file[:variant] to measure; repeat the flag for several.')
_STEPS = flags.DEFINE_integer('steps', 10, 'Timed training steps per round.')
_ROUNDS = flags.DEFINE_integer('rounds', 3, 'Timed rounds; each figure is the best round.')
_WARMUP = flags.DEFINE_integer('warmup', 3, 'Untimed steps first (the first one compiles).')
_BATCH_SIZE = flags.DEFINE_integer('batch_size', 0, 'Override train.batch_size (0: config\'s).')
_STEPS_PER_CALL = flags.DEFINE_list('steps_per_call', ['1'], 'Train steps per compiled call '
                                    '(train.steps_per_call) to measure, comma-separated.')
_COMPUTE_DTYPES = flags.DEFINE_list('compute_dtypes', ['float32'], 'train.compute_dtype '
                                    'values to measure, comma-separated (float32, bfloat16).')
_PEAK_SIZE = flags.DEFINE_integer('peak_size', 0, 'Side of the square matrices whose product '
                                  'gives the peak (0: 2048 on a CPU, 8192 on an accelerator).')
_TORCH = flags.DEFINE_bool('torch', True, 'Also measure the PyTorch eager twins, if PyTorch '
                           'is installed.')
_CHILD = flags.DEFINE_string('child', '', 'Internal: serve this one config\'s step.')
_CHILD_TORCH = flags.DEFINE_string('child_torch', '', 'Internal: serve this PyTorch model.')
_CHILD_PEAK = flags.DEFINE_bool('child_peak', False, 'Internal: serve the matrix product.')
_TORCH_DEVICE = flags.DEFINE_string('torch_device', 'cpu', 'Internal: the twin\'s device.')

# The configs whose networks and steps hwr_jax/benchmarks/torch_eager.py rebuilds in PyTorch.
TORCH_TWINS = {'configs/cnn_classifier.py': 'cnn', 'configs/gan.py:fashion_mnist': 'dcgan',
               'configs/gan.py': 'dcgan_syriac', 'configs/blstm_classifier.py': 'blstm'}


def peak_memory_mb() -> dict[str, float]:
  out = {'host_peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
  stats = jax.devices()[0].memory_stats() or {}
  if 'peak_bytes_in_use' in stats:
    out['device_peak_mb'] = stats['peak_bytes_in_use'] / 2**20
  return out


def serve(timed, info: dict) -> None:
  """A child's side of the conversation: `info` as the first line, then one line of seconds
  per 'measure' read from stdin, and its peak memory at 'done'."""
  print(json.dumps(info), flush=True)
  for command in sys.stdin:
    if command.strip() == 'measure':
      print(json.dumps({'seconds': timed.time()}), flush=True)
    else:
      break
  print(json.dumps(peak_memory_mb()), flush=True)


def serve_config(spec: str) -> None:
  from hwr_jax.benchmarks import timing  # pylint: disable=import-outside-toplevel
  step = timing.ConfigStep(spec, _BATCH_SIZE.value, int(_STEPS_PER_CALL.value[0]),
                           _COMPUTE_DTYPES.value[0], _STEPS.value, _WARMUP.value)
  try:
    serve(step, step.info())
  finally:
    step.close()


def serve_torch(model: str) -> None:
  from hwr_jax.benchmarks import torch_eager  # pylint: disable=import-outside-toplevel
  import torch  # pylint: disable=import-outside-toplevel
  timed = torch_eager.TimedSteps(model, _BATCH_SIZE.value, _STEPS.value, _WARMUP.value,
                                 _TORCH_DEVICE.value, _COMPUTE_DTYPES.value[0])
  serve(timed, {'torch_version': torch.__version__, 'threads': torch.get_num_threads(),
                'device': _TORCH_DEVICE.value,
                'images_per_round': _STEPS.value * _BATCH_SIZE.value})


def serve_peak() -> None:
  from hwr_jax.benchmarks import timing  # pylint: disable=import-outside-toplevel
  size = _PEAK_SIZE.value or (2048 if jax.default_backend() == 'cpu' else 8192)
  peak = timing.MatmulPeak(size, _COMPUTE_DTYPES.value[0])
  serve(peak, {'size': size, 'flops': peak.flops, 'dtype': _COMPUTE_DTYPES.value[0],
               'platform': jax.default_backend()})


class Child:
  """One measuring child process, started and kept waiting for 'measure' lines."""

  def __init__(self, label: str, args: list[str]):
    self.label = label
    self.stderr = tempfile.TemporaryFile(mode='w+')
    self.process = subprocess.Popen(
        [sys.executable, '-m', 'launch.bench', *args, f'--steps={_STEPS.value}',
         f'--warmup={_WARMUP.value}'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=self.stderr, text=True)
    self.info = self._read()
    self.seconds: list[float] = []

  def _read(self) -> dict:
    line = self.process.stdout.readline()
    if not line:
      self.process.wait()
      self.stderr.seek(0)
      raise ChildFailed(f'{self.label}: {error_line(self.stderr.read())}')
    return json.loads(line)

  def measure(self) -> None:
    self.process.stdin.write('measure\n')
    self.process.stdin.flush()
    self.seconds.append(self._read()['seconds'])

  def finish(self) -> dict:
    """The child's figures: its info, best round and peak memory; it exits."""
    self.process.stdin.write('done\n')
    self.process.stdin.flush()
    memory = self._read()
    self.process.wait()
    return {**self.info, **memory, 'seconds': min(self.seconds)}

  def kill(self) -> None:
    if self.process.poll() is None:
      self.process.kill()
      self.process.wait()


class ChildFailed(HwrError):
  pass


def error_line(stderr: str) -> str:
  lines = [line for line in stderr.splitlines() if line.startswith('error:')]
  return lines[-1] if lines else stderr.strip().splitlines()[-1] if stderr.strip() else '?'


def config_batch_size(spec: str) -> int:
  return _BATCH_SIZE.value or load_config_file(spec).train.batch_size


def start(label: str, args: list[str], failed: list[str]) -> Child | None:
  try:
    return Child(label, args)
  except ChildFailed as e:
    failed.append(str(e))
    return None


def measure_config(spec: str, peaks: dict[str, Child], failed: list[str]
                   ) -> tuple[list[dict], dict[str, dict]]:
  """The rows of one config (one per steps-per-call value and dtype) and its PyTorch twin's
  figures per dtype, from rounds taken in turn with the peaks."""
  jax_children, torch_children = [], {}
  try:
    for k in _STEPS_PER_CALL.value:
      for dtype in _COMPUTE_DTYPES.value:
        child = start(spec, [f'--child={spec}', f'--steps_per_call={k}',
                             f'--compute_dtypes={dtype}', f'--batch_size={_BATCH_SIZE.value}'],
                      failed)
        if child:
          jax_children.append(child)
    if jax_children and _TORCH.value and spec in TORCH_TWINS and torch_eager_available():
      on_gpu = jax_children[0].info['platform'] == 'gpu' and torch_cuda_available()
      for dtype in _COMPUTE_DTYPES.value:
        child = start(f'PyTorch twin of {spec} ({dtype})',
                      [f'--child_torch={TORCH_TWINS[spec]}', f'--compute_dtypes={dtype}',
                       f'--batch_size={config_batch_size(spec)}',
                       f'--torch_device={"cuda" if on_gpu else "cpu"}'], failed)
        if child:
          torch_children[dtype] = child
    children = [*jax_children, *torch_children.values()]
    for _ in range(_ROUNDS.value if children else 0):
      for child in [*children, *peaks.values()]:
        child.measure()
    rows = [{'config': spec, **child.finish()} for child in jax_children]
    twins = {dtype: child.finish() for dtype, child in torch_children.items()}
    return rows, twins
  finally:
    for child in [*jax_children, *torch_children.values()]:
      child.kill()


@report_errors
def main(argv):
  del argv
  if _CHILD.value:
    serve_config(_CHILD.value)
    return
  if _CHILD_TORCH.value:
    serve_torch(_CHILD_TORCH.value)
    return
  if _CHILD_PEAK.value:
    serve_peak()
    return
  rows, twins, failed, peaks = [], {}, [], {}
  try:
    for dtype in _COMPUTE_DTYPES.value:
      child = start(f'the {dtype} peak', ['--child_peak', f'--compute_dtypes={dtype}',
                                          f'--peak_size={_PEAK_SIZE.value}'], failed)
      if child:
        peaks[dtype] = child
    for spec in _CONFIGS.value:
      spec_rows, spec_twins = measure_config(spec, peaks, failed)
      rows += spec_rows
      twins.update({(spec, dtype): twin for dtype, twin in spec_twins.items()})
    peak_figures = {dtype: {**child.info, **child.finish()} for dtype, child in peaks.items()
                    if child.seconds}
  finally:
    for child in peaks.values():
      child.kill()
  report.print_table(rows, twins, peak_figures, _ROUNDS.value, _STEPS.value)
  if _TORCH.value and not torch_eager_available():
    print('PyTorch is not installed: pip install -r requirements-torch.txt to measure the '
          'PyTorch eager twins of ' + ', '.join(TORCH_TWINS) + ' beside them')
  if failed:
    raise HwrError('benchmark failed for ' + '; '.join(failed))


def torch_eager_available() -> bool:
  from hwr_jax.benchmarks import torch_eager  # pylint: disable=import-outside-toplevel
  return torch_eager.available()


def torch_cuda_available() -> bool:
  import torch  # pylint: disable=import-outside-toplevel
  return torch.cuda.is_available()


def run():
  """The `hwr-bench` console script: the same as python -m launch.bench."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
