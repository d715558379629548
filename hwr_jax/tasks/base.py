"""What a task gives the training loop: a state, a pure step, and an evaluation."""

from __future__ import annotations

import abc
import dataclasses
import os
from typing import Any, Mapping, Optional

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError
from hwr_jax.io_utils import write_json, write_png
from hwr_jax.training.state import TrainState


@dataclasses.dataclass(frozen=True)
class DateSummary:
  """The known dates (years) of the training images: what a dating model scales its targets
  by and what the baseline that always predicts the training mean predicts."""

  mean: float
  std: float
  first: float
  last: float

  @classmethod
  def of(cls, dates: np.ndarray) -> Optional[DateSummary]:
    known = np.asarray(dates, np.float64)
    known = known[np.isfinite(known)]
    if not known.size:
      return None
    return cls(float(known.mean()), float(known.std()), float(known.min()), float(known.max()))


@dataclasses.dataclass(frozen=True)
class DataInfo:
  """What a task may know of its training data; saved in the workdir for later evaluation."""

  vocabulary: Vocabulary
  image_shape: tuple[int, int]
  class_counts: tuple[int, ...]
  dates: Optional[DateSummary] = None

  @classmethod
  def of(cls, dataset: LetterDataset) -> DataInfo:
    dates = dataset.metadata.get('date')
    return cls(dataset.vocabulary, tuple(dataset.image_shape),
               tuple(int(c) for c in dataset.class_counts()),
               None if dates is None else DateSummary.of(dates))

  def to_json(self) -> dict:
    out = {'image_shape': list(self.image_shape), 'class_counts': list(self.class_counts),
           'num_classes': len(self.vocabulary)}
    if self.dates is not None:
      out['dates'] = dataclasses.asdict(self.dates)
    return out

  @classmethod
  def from_json(cls, saved: dict, vocabulary: Vocabulary) -> DataInfo:
    dates = saved.get('dates')
    return cls(vocabulary, tuple(saved['image_shape']), tuple(saved['class_counts']),
               None if dates is None else DateSummary(**dates))


REPORT_FILE = 'report.json'


@dataclasses.dataclass
class EvalResult:
  """scalars: per data set name, its scalar metrics; images: TensorBoard tag -> uint8 image;
  report: the JSON-serialisable details written to the workdir."""

  scalars: dict[str, dict[str, float]]
  images: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
  report: dict[str, Any] = dataclasses.field(default_factory=dict)

  def add_image(self, tag: str, image: np.ndarray, out_dir: Optional[str],
                filename: str) -> None:
    """Keeps a picture for TensorBoard, and writes it to out_dir/filename when out_dir is set."""
    self.images[tag] = image
    if out_dir:
      write_png(os.path.join(out_dir, filename), image)

  def write_report(self, out_dir: Optional[str]) -> None:
    if out_dir:
      write_json(os.path.join(out_dir, REPORT_FILE), self.report)


COMPUTE_DTYPES = {'float32': jnp.float32, 'bfloat16': jnp.bfloat16}


def compute_dtype(config: ml_collections.ConfigDict) -> Any:
  """train.compute_dtype as a dtype: the precision of the models' arithmetic (bfloat16 for
  mixed precision on GPUs); parameters and optimizer state stay float32. Runs recorded before
  the setting existed computed in float32."""
  name = config.train.get('compute_dtype', 'float32')
  if name not in COMPUTE_DTYPES:
    raise ConfigError(f'train.compute_dtype={name!r}: expected one of {sorted(COMPUTE_DTYPES)}')
  return COMPUTE_DTYPES[name]


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
