"""Stopping a run when a validation metric stops improving.

The loop evaluates the validation set every train.eval_every steps and hands the scalars to an
EarlyStopping; once `patience` evaluations in a row have not improved on the best value by more
than `min_delta`, the run stops there and its final checkpoint says so, so starting it again
evaluates instead of training on. The run ends with the state it stopped at (not the best
one seen), and its final evaluation is logged at the step it stopped at. The tracker's state
travels in every checkpoint's metadata: a resumed run stops where an uninterrupted one would.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Mapping, Optional

import ml_collections

from hwr_jax.errors import ConfigError

MODES = ('min', 'max')


def default_config() -> ml_collections.ConfigDict:
  """metric: a scalar of the validation set's evaluation (empty: never stop early); mode: min
  for errors, max for accuracies; patience: evaluations without improvement before stopping."""
  return ml_collections.ConfigDict(dict(metric='', mode='min', patience=5, min_delta=0.0))


@dataclasses.dataclass
class EarlyStopping:
  """The settings of train.early_stopping, and the best value so far (with its step), the
  evaluations since, and the step the run stopped at (None while it goes on)."""

  metric: str
  mode: str = 'min'
  patience: int = 5
  min_delta: float = 0.0
  best: Optional[float] = None
  best_step: Optional[int] = None
  waited: int = 0
  stopped_at: Optional[int] = None

  @classmethod
  def from_config(cls, settings: ml_collections.ConfigDict,
                  saved: Optional[Mapping] = None) -> EarlyStopping:
    """The tracker train.early_stopping describes, carrying on from a checkpoint's `saved`
    state when given."""
    if settings.mode not in MODES:
      raise ConfigError(f'train.early_stopping.mode={settings.mode!r}: expected min or max')
    if settings.patience < 1:
      raise ConfigError(f'train.early_stopping.patience={settings.patience}: must be 1 or more')
    tracker = cls(settings.metric, settings.mode, settings.patience, settings.min_delta)
    if saved:
      tracker.best, tracker.best_step = saved['best'], saved['best_step']
      tracker.waited, tracker.stopped_at = saved['waited'], saved['stopped_at']
    return tracker

  @property
  def active(self) -> bool:
    return bool(self.metric)

  @property
  def stopped(self) -> bool:
    return self.stopped_at is not None

  def check_metric(self, scalars: Mapping[str, float]) -> None:
    if self.metric not in scalars:
      raise ConfigError(f'train.early_stopping.metric={self.metric!r} is not among the '
                        f'validation scalars: {", ".join(sorted(scalars))}')

  def improves(self, value: float) -> bool:
    if self.best is None:
      return math.isfinite(value)
    if self.mode == 'min':
      return value < self.best - self.min_delta
    return value > self.best + self.min_delta

  def update(self, step: int, scalars: Mapping[str, float]) -> bool:
    """Records the evaluation at `step`; True when the run should stop there."""
    self.check_metric(scalars)
    value = float(scalars[self.metric])
    if self.improves(value):
      self.best, self.best_step, self.waited = value, step, 0
    else:
      self.waited += 1
    if self.waited >= self.patience:
      self.stopped_at = step
    return self.stopped

  def to_json(self) -> dict:
    return {'best': self.best, 'best_step': self.best_step, 'waited': self.waited,
            'stopped_at': self.stopped_at}
