"""What a workdir records about its run, and the refusal to mix two runs in one workdir.

A workdir holds config.json (the resolved config), vocabulary.json and data_info.json (image
shape and class counts) beside checkpoints/, tensorboard/, metrics.jsonl and eval/.
"""

from __future__ import annotations

import json
import os
from typing import Any

import ml_collections

from hwr_jax.data.vocabulary import VOCABULARY_FILE, Vocabulary
from hwr_jax.errors import ConfigError
from hwr_jax.io_utils import read_json, write_json
from hwr_jax.tasks.base import DataInfo

CONFIG_FILE = 'config.json'
DATA_INFO_FILE = 'data_info.json'

# A checkpoint only makes sense for the same model on the same kind of data.
_IDENTITY_KEYS = ('model_name', 'task_name', 'model')


def _flatten(tree: Any, prefix: str = '') -> dict[str, Any]:
  if isinstance(tree, dict):
    out = {}
    for key, value in tree.items():
      out.update(_flatten(value, f'{prefix}{key}.'))
    return out
  return {prefix[:-1]: list(tree) if isinstance(tree, tuple) else tree}


def config_to_dict(config: ml_collections.ConfigDict) -> dict:
  """The config as plain JSON data (tuples become lists)."""
  return json.loads(config.to_json_best_effort())


def check_same_run(saved: dict, config: dict, workdir: str) -> None:
  """Refuses a config whose model or task differs from the one the workdir was trained with."""
  for identity_key in _IDENTITY_KEYS:
    old = _flatten({identity_key: saved.get(identity_key)})
    new = _flatten({identity_key: config.get(identity_key)})
    for key in sorted(set(old) | set(new)):
      if old.get(key) != new.get(key):
        raise ConfigError(
            f'workdir {workdir} holds a run with {key}={old.get(key)!r}, but this config has '
            f'{key}={new.get(key)!r}; use another --workdir')


def check_same_data(saved: dict, saved_vocab: Vocabulary, info: DataInfo, workdir: str) -> None:
  if list(saved['image_shape']) != list(info.image_shape):
    raise ConfigError(f'workdir {workdir} was trained on images of {saved["image_shape"]}, '
                      f'this data has {list(info.image_shape)}; use another --workdir')
  if saved_vocab != info.vocabulary:
    added = sorted(set(info.vocabulary.labels) - set(saved_vocab.labels))
    missing = sorted(set(saved_vocab.labels) - set(info.vocabulary.labels))
    raise ConfigError(f'workdir {workdir} was trained with another label vocabulary '
                      f'(new labels: {added[:10]}, absent labels: {missing[:10]}); '
                      'use another --workdir')


def prepare_workdir(workdir: str, config: ml_collections.ConfigDict, info: DataInfo) -> None:
  """Checks an existing workdir belongs to this run, then records the config and data info."""
  config_dict = config_to_dict(config)
  config_path = os.path.join(workdir, CONFIG_FILE)
  if os.path.exists(config_path):
    check_same_run(read_json(config_path), config_dict, workdir)
  info_path = os.path.join(workdir, DATA_INFO_FILE)
  if os.path.exists(info_path):
    check_same_data(read_json(info_path), Vocabulary.load(workdir), info, workdir)
  os.makedirs(workdir, exist_ok=True)
  write_json(config_path, config_dict)
  info.vocabulary.save(workdir)
  write_json(info_path, info.to_json())


def load_run(workdir: str) -> tuple[ml_collections.ConfigDict, DataInfo]:
  """The config and data info of a trained workdir, for evaluation and sampling."""
  config_path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.exists(config_path):
    raise ConfigError(f'{workdir} is not a training workdir: {CONFIG_FILE} not found')
  config = ml_collections.ConfigDict(read_json(config_path))
  saved = read_json(os.path.join(workdir, DATA_INFO_FILE))
  vocabulary = Vocabulary.load(os.path.join(workdir, VOCABULARY_FILE))
  info = DataInfo(vocabulary, tuple(saved['image_shape']), tuple(saved['class_counts']))
  return config, info
