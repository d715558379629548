"""What launch.bench times: a config's compiled train step on its real data, the step's FLOPs,
and the machine's peak as a large matrix product.

The FLOPs are XLA's cost analysis of the compiled one-step program (`compiled.cost_analysis()`):
every multiply-add of its convolutions and products counts two, elementwise arithmetic one. A
K-steps-per-call program is a loop whose body XLA's analysis counts once, so a row of K steps
per call takes its FLOPs per step from the one-step program of the same step.
"""

from __future__ import annotations

import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from hwr_jax.config_lib import load_config_file
from hwr_jax.data import pipeline
from hwr_jax.loop import build_run, compiled_step
from hwr_jax.training import init_from


def program_flops(compiled: Any) -> float:
  """The FLOPs of one call of a compiled program, by XLA's cost analysis."""
  analysis = compiled.cost_analysis()
  if isinstance(analysis, (list, tuple)):  # one per device program in older JAX versions
    analysis = analysis[0]
  return float(analysis['flops'])


class ConfigStep:
  """The train step of one config (file[:variant]) as launch.train runs it, on the config's
  data through the input pipeline, compiled, its FLOPs counted and warmed up; `time()` runs
  `calls` calls (steps_per_call steps each) and returns their seconds."""

  def __init__(self, spec: str, batch_size: int = 0, steps_per_call: int = 1,
               compute_dtype: str = '', steps: int = 30, warmup: int = 3):
    config = load_config_file(spec)
    if batch_size:
      config.train.batch_size = batch_size
    if compute_dtype:
      config.train.compute_dtype = compute_dtype
    config.train.steps_per_call = steps_per_call
    self.calls = max(steps // steps_per_call, 1)
    config.train.update(steps=self.calls * steps_per_call, log_every=0, checkpoint_every=0)
    self.config = config
    run = build_run(config)
    self.state = run.initial_state
    self.key = jax.random.key(config.seed)
    self.batches = pipeline.train_batches(run.data.train, config.train.batch_size, config.seed,
                                          0, mesh=run.mesh, steps_per_item=steps_per_call)
    batch = next(self.batches)
    start = time.perf_counter()
    self.step_fn = run.step_fn.lower(self.state, batch, self.key, np.int32(1)).compile()
    self.compile_seconds = time.perf_counter() - start
    if steps_per_call == 1:
      self.flops_per_step = program_flops(self.step_fn)
    else:
      one_step = compiled_step(run.task, config.train.nan_policy, 1, run.mesh,
                               init_from.train_step(config, run.task.train_step,
                                                    run.task.output_head))
      first = jax.tree.map(lambda stacked: stacked[0], batch)
      self.flops_per_step = program_flops(
          one_step.lower(self.state, first, self.key, np.int32(1)).compile())
    for _ in range(max(warmup // steps_per_call, 2)):
      self._call()
    jax.block_until_ready(self.state)

  def _call(self) -> None:
    self.state, _ = self.step_fn(self.state, next(self.batches), self.key, np.int32(1))

  @property
  def images_per_call(self) -> int:
    return self.config.train.steps_per_call * self.config.train.batch_size

  def info(self) -> dict:
    train = self.config.train
    return {'platform': jax.default_backend(), 'devices': jax.device_count(),
            'batch_size': train.batch_size, 'steps_per_call': train.steps_per_call,
            'compute_dtype': train.get('compute_dtype', 'float32'),
            'compile_seconds': self.compile_seconds, 'flops_per_step': self.flops_per_step,
            'images_per_round': self.calls * self.images_per_call}

  def time(self) -> float:
    start = time.perf_counter()
    for _ in range(self.calls):
      self._call()
    jax.block_until_ready(self.state)
    return time.perf_counter() - start

  def close(self) -> None:
    self.batches.close()


class MatmulPeak:
  """The machine's peak for launch.bench's GFLOP/s columns: an n x n by n x n product in
  `dtype` on the default device, repeated for about `seconds` per `time()`."""

  def __init__(self, n: int, dtype: str = 'float32', seconds: float = 0.5):
    self.n = n
    keys = jax.random.split(jax.random.key(0))
    self.a, self.b = (jax.random.normal(k, (n, n), jnp.dtype(dtype)) for k in keys)
    self.product = jax.jit(lambda a, b: a @ b)
    jax.block_until_ready(self.product(self.a, self.b))
    start = time.perf_counter()
    jax.block_until_ready(self.product(self.a, self.b))
    self.repeats = max(1, round(seconds / (time.perf_counter() - start)))

  @property
  def flops(self) -> float:
    """The FLOPs of one `time()`."""
    return 2.0 * self.n ** 3 * self.repeats

  def time(self) -> float:
    start = time.perf_counter()
    for _ in range(self.repeats):
      out = self.product(self.a, self.b)
    jax.block_until_ready(out)
    return time.perf_counter() - start
