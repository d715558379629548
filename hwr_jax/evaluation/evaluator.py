"""Evaluators chosen by name, as big_vision's `config.evals`.

A config lists its evaluators, `config.evals.<name>.type = 'classification'`; the type names a
module of this package that exposes an `Evaluator`. A task answers for every image of a data
set (its `outputs`: logits, years, reconstructions, codes, ...) without looking at labels;
each evaluator scores the answers it knows against what the data set holds. So a new measure
is a new module here and a config entry, and the predict command reuses the same answers on
data without labels.
"""

from __future__ import annotations

import abc
from typing import Mapping, Optional

import ml_collections
import numpy as np

from hwr_jax.data.dataset import DataInfo, LetterDataset
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.registry import import_named


class Evaluator(abc.ABC):
  """Scores a task's outputs on one named data set and adds figures, report and pictures."""

  def __init__(self, config: ml_collections.ConfigDict, data_info: DataInfo,
               settings: ml_collections.ConfigDict):
    self.config = config
    self.data_info = data_info
    self.settings = settings

  @abc.abstractmethod
  def __call__(self, name: str, dataset: LetterDataset, outputs: Mapping[str, np.ndarray],
               result: EvalResult, out_dir: Optional[str]) -> None:
    """Adds to `result` what this evaluator measures of `outputs` on `dataset`."""


def make_evaluators(config: ml_collections.ConfigDict, data_info: DataInfo,
                    evals: Mapping[str, ml_collections.ConfigDict]) -> dict[str, Evaluator]:
  """name -> Evaluator of each entry of `evals` ({name: {type: ..., settings...}})."""
  evaluators = {}
  for name, settings in evals.items():
    key = f'evals.{name}.type'
    module = import_named('evaluation', settings['type'], key)
    if not isinstance(getattr(module, 'Evaluator', None), type):
      raise ConfigError(f'{key}={settings["type"]!r}: hwr_jax/evaluation/{settings["type"]}.py '
                        'has no Evaluator')
    evaluators[name] = module.Evaluator(config, data_info, settings)
  return evaluators
