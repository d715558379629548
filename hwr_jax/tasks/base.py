"""What a task gives the training loop: a state, a pure step, and an evaluation."""

from __future__ import annotations

import abc
from typing import Mapping, Optional

import jax
import ml_collections
import numpy as np

from hwr_jax.data.dataset import DataInfo, LetterDataset
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.evaluator import Evaluator, make_evaluators
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.training.state import TrainState


class Task(abc.ABC):
  """A kind of training. Subclasses keep `train_step` pure: (state, batch, rng) -> (state,
  metrics), with metrics a flat dict of scalars; the loop jit-compiles it once."""

  # Evaluator name -> type (a module of hwr_jax/evaluation), for configs that name none.
  DEFAULT_EVALS: Mapping[str, str] = {}

  # The params subtree of the task's output layer over the vocabulary's letters (each of its
  # arrays has one entry per letter along its last axis), for tasks that have one: what
  # init.labels=union|new rebuilds and init.freeze=trunk leaves to train
  # (hwr_jax/training/init_from.py). None: the task has no such layer.
  output_head: Optional[str] = None

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

  def evaluators(self) -> dict[str, Evaluator]:
    """The evaluators config.evals names; the task's defaults for runs recorded before
    configs named them."""
    evals = self.config.get('evals') or {name: {'type': kind}
                                         for name, kind in self.DEFAULT_EVALS.items()}
    return make_evaluators(self.config, self.data_info, evals)

  @abc.abstractmethod
  def outputs(self, state: TrainState, dataset: LetterDataset) -> dict[str, np.ndarray]:
    """The task's answers for every image of `dataset`, in order (name -> array with a row
    per image): what evaluators score and what launch.predict writes."""

  # Whether `answers` reads each image's label (a model conditioned on the letter).
  answers_need_labels = False

  # Whether the task binarises whole images of any size (`binarise_pages`), as launch.predict
  # and launch.evaluate then read a folder: each image at its own size.
  binarises_pages = False

  def answers(self, state: TrainState, dataset: LetterDataset) -> dict[str, np.ndarray]:
    """What launch.predict writes for every image of `dataset`, in order: 'probabilities'
    (N, classes), 'predicted' class ids, 'z' codes, 'year', or 'image' (uint8 (N, H, W)).
    Labels are read only where answers_need_labels."""
    raise ConfigError(f'a {self.config.task_name} run answers nothing for single images: '
                      'predict with a classifier, an encoder, a dating model, a denoiser or an '
                      'autoencoder')

  def pictures(self, state: TrainState, dataset: LetterDataset,
               outputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Pictures of the task's answers on `dataset` (name -> uint8 image), beside those the
    evaluators draw. None by default."""
    del state, dataset, outputs
    return {}

  def evaluate(self, state: TrainState, datasets: Mapping[str, LetterDataset],
               out_dir: Optional[str]) -> EvalResult:
    """Scores `state` on each named data set with every evaluator; writes reports and
    pictures under out_dir when given."""
    result = EvalResult(scalars={})
    evaluators = self.evaluators()
    for name, dataset in datasets.items():
      outputs = self.outputs(state, dataset)
      for evaluator in evaluators.values():
        evaluator(name, dataset, outputs, result, out_dir)
      for tag, image in self.pictures(state, dataset, outputs).items():
        result.add_image(f'{name}/{tag}', image, out_dir, f'{tag}_{name}.png')
    result.write_report(out_dir)
    return result

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
