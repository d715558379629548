"""Two processes on one machine (jax.distributed, one CPU device each) train as one process."""

import socket

import jax
import numpy as np

from hwr_jax.tasks.restore import load_trained
import launchers

TINY = 'configs/cnn_classifier.py:tiny'
# Plain SGD, for the reason given at tests/test_parallel.py's GAN: Adam turns the rounding
# differences of another summation order into differences of up to 9e-4 in some weights, larger
# or smaller by chance of the initialisation; SGD keeps them at the gradients' own size.
SGD = ('--config.optimizer.name=sgd', '--config.optimizer.learning_rate=0.01')


def free_port() -> int:
  with socket.socket() as s:
    s.bind(('localhost', 0))
    return s.getsockname()[1]


def test_two_processes_train_as_one(tmp_path, launcher):
  alone, together = tmp_path / 'alone', tmp_path / 'together'
  launcher('train', f'--config={TINY}', *SGD, f'--workdir={alone}')
  address = f'localhost:{free_port()}'
  processes = [launchers.start(
      ['-m', 'launch.train', f'--config={TINY}', *SGD, f'--workdir={together}',
       '--num_processes=2', f'--process_id={pid}', f'--coordinator_address={address}'])
      for pid in (0, 1)]
  outputs = [p.communicate(timeout=600) for p in processes]
  assert [p.returncode for p in processes] == [0, 0], outputs[0][1][-3000:]
  assert 'cpu:2048' in outputs[0][1]  # process 0 sees process 1's device
  figures = [[line for line in out.splitlines() if line.startswith(('test:', 'context:'))]
             for out, _ in outputs]
  assert figures[0] == figures[1] and len(figures[0]) == 2
  with open(alone / 'metrics.jsonl', encoding='utf-8') as f:
    expected_lines = len(f.readlines())
  with open(together / 'metrics.jsonl', encoding='utf-8') as f:
    assert len(f.readlines()) == expected_lines  # written once, by process 0
  states = [jax.device_get((state.params, state.batch_stats))
            for _, state in (load_trained(str(alone)), load_trained(str(together)))]
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5), *states)
