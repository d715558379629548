"""What launch.bench times: a config's compiled train step on its real data, the step's FLOPs,
and the machine's peak as a large matrix product.

The FLOPs are XLA's cost analysis of the compiled one-step program (`compiled.cost_analysis()`):
every multiply-add of its convolutions and products counts two, elementwise arithmetic one.
XLA's analysis counts a loop's body once, whatever its trip count, so `step_flops` adds the
other trips of every `lax.scan` in the step (the BLSTM's 32 rows, forward and backward), each
body's FLOPs by the same analysis of the body compiled alone. A K-steps-per-call program is
itself such a loop, so a row of K steps per call takes its FLOPs per step from the one-step
program of the same step.
"""

from __future__ import annotations

import time
from typing import Any

import jax
import jax.extend
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


def _subjaxprs(params: dict):
  """The jaxprs among an equation's parameters (a pjit's, a custom VJP's, a cond's branches)."""
  for value in params.values():
    for item in value if isinstance(value, (list, tuple)) else (value,):
      if isinstance(item, jax.extend.core.ClosedJaxpr):
        yield item.jaxpr
      elif isinstance(item, jax.extend.core.Jaxpr):
        yield item


def uncounted_loop_flops(jaxpr) -> float:
  """The FLOPs XLA's analysis of `jaxpr`'s program leaves out: every trip of every scan but
  the first (nested scans too), each body counted by XLA's analysis of the body alone."""
  extra = 0.0
  for equation in jaxpr.eqns:
    if equation.primitive.name == 'scan':
      body = equation.params['jaxpr']
      shapes = [jax.ShapeDtypeStruct(aval.shape, aval.dtype) for aval in body.in_avals]
      once = program_flops(jax.jit(jax.extend.core.jaxpr_as_fun(body)).lower(*shapes).compile())
      trips = equation.params['length']
      extra += (trips - 1) * once + trips * uncounted_loop_flops(body.jaxpr)
    else:
      extra += sum(uncounted_loop_flops(sub) for sub in _subjaxprs(equation.params))
  return extra


def step_flops(step_fn: Any, compiled: Any, *args) -> float:
  """One call's FLOPs of `step_fn` compiled as `compiled`, every loop trip counted."""
  return program_flops(compiled) + uncounted_loop_flops(jax.make_jaxpr(step_fn)(*args).jaxpr)


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
    args = (self.state, batch, self.key, np.int32(1))
    self.step_fn = run.step_fn.lower(*args).compile()
    self.compile_seconds = time.perf_counter() - start
    if steps_per_call == 1:
      self.flops_per_step = step_flops(run.step_fn, self.step_fn, *args)
    else:
      one_step = compiled_step(run.task, config.train.nan_policy, 1, run.mesh,
                               init_from.train_step(config, run.task.train_step,
                                                    run.task.output_head))
      args = (self.state, jax.tree.map(lambda stacked: stacked[0], batch), self.key,
              np.int32(1))
      self.flops_per_step = step_flops(one_step, one_step.lower(*args).compile(), *args)
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
