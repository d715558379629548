"""Evaluators chosen by name: the config lists them, the task's outputs feed each, and their
figures, reports and pictures add up in one result."""

import json
import os

import ml_collections
import numpy as np
import pytest

from hwr_jax.data.dataset import DataInfo, LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.evaluator import make_evaluators
from hwr_jax.evaluation.result import REPORT_FILE
from hwr_jax.tasks import base

VOCAB = Vocabulary(('alaph', 'beth', 'gamal'))
LABELS = np.array([0, 1, 2, 2])
# Rows of logits whose argmax is 0, 1, 1, 2: three of four right.
LOGITS = np.array([[3., 0, 0], [0, 2, 1], [0, 2, 1], [0, 0, 5]], np.float32)


def dataset() -> LetterDataset:
  images = np.zeros((4, 2, 2), np.uint8)
  images[:, 0, 0] = 255
  return LetterDataset(images, LABELS.astype(np.int32), VOCAB,
                       np.array([f'{i}.png' for i in range(4)]), {})


def config(evals: dict) -> ml_collections.ConfigDict:
  return ml_collections.ConfigDict({'task_name': 'fake', 'evals': evals})


class FakeTask(base.Task):
  """Answers with fixed logits and a reconstruction that misses one pixel of each image."""

  def init_state(self, rng):
    raise NotImplementedError

  def train_step(self, state, batch, rng):
    raise NotImplementedError

  def outputs(self, state, dataset):
    rebuilt = dataset.images.copy()
    rebuilt[:, 0, 0] = 0
    return {'logits': LOGITS, 'reconstruction': rebuilt}


def info() -> DataInfo:
  return DataInfo(VOCAB, (2, 2), (1, 1, 2))


def test_every_named_evaluator_adds_its_figures_report_and_pictures(tmp_path):
  task = FakeTask(config({'accuracy': {'type': 'classification'},
                          'rebuild': {'type': 'reconstruction'}}), info())
  result = task.evaluate(None, {'test': dataset()}, str(tmp_path))
  figures = result.scalars['test']
  assert figures['accuracy'] == 0.75
  # One pixel of four wrong by 1.0 in every image: MSE 1/4, L2 1 per image.
  assert figures['reconstruction_mse'] == pytest.approx(0.25)
  assert figures['reconstruction_l2'] == pytest.approx(1.0)
  saved = json.loads((tmp_path / REPORT_FILE).read_text())
  assert saved['test']['confusion'] == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
  assert saved['test']['count'] == 4
  assert os.path.exists(tmp_path / 'confusion_test.png')
  assert set(result.images) == {'test/confusion'}


def test_a_config_that_names_one_evaluator_gets_only_its_figures():
  task = FakeTask(config({'rebuild': {'type': 'reconstruction'}}), info())
  figures = task.evaluate(None, {'test': dataset()}, None).scalars['test']
  assert 'accuracy' not in figures and 'reconstruction_mse' in figures


def test_runs_recorded_before_configs_named_evaluators_get_the_task_defaults():
  class Defaults(FakeTask):
    DEFAULT_EVALS = {'accuracy': 'classification'}

  task = Defaults(ml_collections.ConfigDict({'task_name': 'fake'}), info())
  assert task.evaluate(None, {'test': dataset()}, None).scalars == {'test': {'accuracy': 0.75}}


def test_an_unknown_evaluator_type_names_the_config_key():
  with pytest.raises(ConfigError, match=r"evals.mine.type='accurasy': no module "
                                        r'hwr_jax/evaluation/accurasy.py'):
    make_evaluators(config({}), info(), {'mine': {'type': 'accurasy'}})


def test_a_module_without_an_evaluator_is_refused_by_name():
  with pytest.raises(ConfigError, match=r"evals.table.type='tables': "
                                        r'hwr_jax/evaluation/tables.py has no Evaluator'):
    make_evaluators(config({}), info(), {'table': {'type': 'tables'}})
