"""Deciding when periodic work is due, and reporting speed and time left."""

from __future__ import annotations

import time


def is_due(step: int, every: int, total_steps: int) -> bool:
  """True every `every` steps and at the last step (steps count from 1 once taken)."""
  if step == total_steps:
    return True
  return every > 0 and step % every == 0


def format_duration(seconds: float) -> str:
  seconds = int(round(seconds))
  hours, rest = divmod(seconds, 3600)
  minutes, seconds = divmod(rest, 60)
  if hours:
    return f'{hours}h{minutes:02d}m'
  if minutes:
    return f'{minutes}m{seconds:02d}s'
  return f'{seconds}s'


def format_rate(per_second: float) -> str:
  """A rate with the digits that matter: whole numbers from 10 up, two decimals below (a page
  binariser's 0.25 images/s is not 0)."""
  return f'{per_second:.0f}' if per_second >= 10 else f'{per_second:.2f}'


def format_interval(seconds: float) -> str:
  """Time per item, in milliseconds below a tenth of a second (a classifier answers a letter
  in half a millisecond, which three decimals of seconds would print as 0.000 s)."""
  return f'{seconds:.3f} s' if seconds >= 0.1 else f'{seconds * 1e3:.2f} ms'


class Chronometer:
  """Measures step throughput, leaving out the first step (which includes compilation)."""

  def __init__(self, first_step: int, total_steps: int, batch_size: int):
    self._total = total_steps
    self._batch_size = batch_size
    self._start_step = first_step
    self._start_time = time.perf_counter()
    self._timed_from: tuple[int, float] | None = None
    self.compile_seconds = 0.0

  def step_done(self, step: int):
    """Call after each step has finished on device (i.e. after a value was fetched)."""
    if self._timed_from is None:
      now = time.perf_counter()
      self.compile_seconds = now - self._start_time
      self._timed_from = (step, now)

  def steps_per_second(self, step: int) -> float:
    if self._timed_from is None or step <= self._timed_from[0]:
      return 0.0
    first, t0 = self._timed_from
    return (step - first) / max(time.perf_counter() - t0, 1e-9)

  def progress_line(self, step: int, scalars: dict) -> str:
    rate = self.steps_per_second(step)
    parts = [f'step {step}/{self._total}']
    parts += [f'{k} {v:.4g}' for k, v in scalars.items()]
    if rate:
      eta = (self._total - step) / rate
      parts.append(f'{rate:.2f} steps/s ({rate * self._batch_size:.0f} img/s)')
      parts.append(f'ETA {format_duration(eta)}')
    return '  '.join(parts)

  def elapsed(self) -> float:
    return time.perf_counter() - self._start_time
