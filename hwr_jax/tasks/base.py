"""What a task gives the training loop: a state, a pure step, and an evaluation."""

from __future__ import annotations

import abc
from typing import Mapping, Optional

import jax
import ml_collections
import numpy as np

from hwr_jax.data.dataset import DataInfo, LetterDataset
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.training.state import TrainState


class Task(abc.ABC):
  """A kind of training. Subclasses keep `train_step` pure: (state, batch, rng) -> (state,
  metrics), with metrics a flat dict of scalars; the loop jit-compiles it once."""

  def __init__(self, config: ml_collections.ConfigDict, data_info: DataInfo):
    self.config = config
    self.data_info = data_info

  def check_data(self, datasets: Mapping[str, LetterDataset]) -> None:
    """Raises DataError, naming the set and the image, on data the task cannot use (such as
    an image without the metadata it trains on); the loop calls it before anything is
    written. Nothing by default."""

  def prepare(self) -> None:
    """Loads what the task needs beyond its config and data (such as a trained model it
    scores with); the loop calls it before training, so a bad reference fails before any
    work. Nothing by default."""

  @abc.abstractmethod
  def init_state(self, rng: jax.Array) -> TrainState:
    """A fresh state from the config and `rng`."""

  @abc.abstractmethod
  def train_step(self, state: TrainState, batch: Mapping[str, jax.Array],
                 rng: jax.Array) -> tuple[TrainState, dict[str, jax.Array]]:
    """One optimisation step."""

  @abc.abstractmethod
  def evaluate(self, state: TrainState, datasets: Mapping[str, LetterDataset],
               out_dir: Optional[str]) -> EvalResult:
    """Scores `state` on each named data set; writes reports under out_dir when given."""

  def encode(self, state: TrainState, images: np.ndarray) -> dict[str, np.ndarray]:
    """Codes of uint8 images (N, H, W), in order: 'z' (N, D) and any per-image predictions.
    Tasks that train an encoder implement it (launch.encode exports it)."""
    raise ConfigError(f'task {self.config.task_name!r} trains no encoder, so there are no codes '
                      'to export: train one with configs/encoder.py')

  def snapshot(self, state: TrainState, reference: LetterDataset) -> dict[str, np.ndarray]:
    """Pictures of training progress (name -> uint8 image), drawn every train.sample_every
    steps; `reference` holds real letters to show beside them. None by default."""
    del state, reference
    return {}
