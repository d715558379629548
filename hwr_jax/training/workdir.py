"""What a workdir records about its run, and the refusal to mix two runs in one workdir.

A workdir holds config.json (the resolved config), vocabulary.json and data_info.json (image
shape, class counts, and the training dates' summary when the data is dated) beside
checkpoints/, tensorboard/, metrics.jsonl and eval/.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from typing import Any, Optional

import ml_collections
from absl import logging

from hwr_jax import parallel
from hwr_jax.config_keys import lookup_or_none
from hwr_jax.data.dataset import DataInfo
from hwr_jax.data.vocabulary import VOCABULARY_FILE, Vocabulary
from hwr_jax.errors import ConfigError
from hwr_jax.io_utils import read_json, write_json

CONFIG_FILE = 'config.json'
DATA_INFO_FILE = 'data_info.json'
LOCK_FILE = '.lock'

# A checkpoint only continues the same model, trained on the same batches: the batches are
# drawn from the seed and the batch size.
# The optimizer's name and clipping shape its state, which a checkpoint must fit.
_IDENTITY_KEYS = ('model_name', 'task_name', 'model', 'seed', 'train.batch_size',
                  'optimizer.name', 'optimizer.grad_clip_norm')
_WAY_OUT = 'use another --workdir, or --start_over to move that run aside'


def _flatten(tree: Any, prefix: str = '') -> dict[str, Any]:
  if isinstance(tree, dict):
    out = {}
    for key, value in tree.items():
      out.update(_flatten(value, f'{prefix}{key}.'))
    return out
  return {prefix[:-1]: list(tree) if isinstance(tree, tuple) else tree}


def warn_if_schedule_changes(saved: dict, config: dict) -> None:
  """A resumed run with another train.steps equals an uninterrupted one only if its
  learning-rate schedule, before and after, does not depend on the number of steps."""
  old, new = lookup_or_none(saved, 'train.steps'), lookup_or_none(config, 'train.steps')
  schedules = (lookup_or_none(saved, 'optimizer.schedule'),
               lookup_or_none(config, 'optimizer.schedule'))
  if old != new and schedules != ('constant', 'constant'):
    logging.warning('train.steps changed from %s to %s: the learning-rate schedule (%s, now %s) '
                    'is rebuilt for %s steps, so this run will not equal an uninterrupted %s-step '
                    'run', old, new, *schedules, new, new)


def config_to_dict(config: ml_collections.ConfigDict) -> dict:
  """The config as plain JSON data (tuples become lists)."""
  return json.loads(config.to_json_best_effort())


def check_same_run(saved: dict, config: dict, workdir: str) -> None:
  """Refuses a config whose model or task differs from the one the workdir was trained with."""
  for identity_key in _IDENTITY_KEYS:
    old = _flatten({identity_key: lookup_or_none(saved, identity_key)})
    new = _flatten({identity_key: lookup_or_none(config, identity_key)})
    for key in sorted(set(old) | set(new)):
      if old.get(key) != new.get(key):
        raise ConfigError(
            f'workdir {workdir} holds a run with {key}={old.get(key)!r}, but this config has '
            f'{key}={new.get(key)!r}; {_WAY_OUT}')


def check_same_data(saved: dict, saved_vocab: Vocabulary, info: DataInfo, workdir: str) -> None:
  if list(saved['image_shape']) != list(info.image_shape):
    raise ConfigError(f'workdir {workdir} was trained on images of {saved["image_shape"]}, '
                      f'this data has {list(info.image_shape)}; {_WAY_OUT}')
  if saved_vocab != info.vocabulary:
    added = sorted(set(info.vocabulary.labels) - set(saved_vocab.labels))
    missing = sorted(set(saved_vocab.labels) - set(info.vocabulary.labels))
    raise ConfigError(f'workdir {workdir} was trained with another label vocabulary '
                      f'(new labels: {added[:10]}, absent labels: {missing[:10]}); '
                      f'{_WAY_OUT}')
  if list(saved['class_counts']) != list(info.class_counts):
    raise ConfigError(f'workdir {workdir} was trained on another training set (class counts '
                      f'{saved["class_counts"]}, now {list(info.class_counts)}); {_WAY_OUT}')


class WorkdirLock:
  """An exclusive lock on a workdir for the length of a run.

  It is an flock on workdir/.lock, so the kernel releases it when the process dies in any way
  (SIGKILL included): a crashed run never leaves its workdir locked.
  """

  def __init__(self, workdir: str):
    self.workdir = workdir
    self._fd: Optional[int] = None

  def acquire(self) -> WorkdirLock:
    os.makedirs(self.workdir, exist_ok=True)
    fd = os.open(os.path.join(self.workdir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      holder = os.read(fd, 32).decode(errors='replace').strip() or 'unknown'
      os.close(fd)
      raise ConfigError(f'workdir {self.workdir} is in use by another run (process {holder}); '
                        'wait for it to finish or use another --workdir') from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    self._fd = fd
    return self

  def release(self) -> None:
    if self._fd is not None:
      fcntl.flock(self._fd, fcntl.LOCK_UN)
      os.close(self._fd)
      self._fd = None

  def __enter__(self) -> WorkdirLock:
    return self

  def __exit__(self, *exc) -> None:
    self.release()


def move_aside(workdir: str) -> str:
  """Renames an idle workdir to '<workdir>.replaced-<time>' so starting over loses nothing."""
  with WorkdirLock(workdir).acquire():
    backup = f'{workdir.rstrip("/")}.replaced-{time.strftime("%Y%m%d-%H%M%S")}'
    os.rename(workdir, backup)
  logging.info('Moved the previous run in %s to %s', workdir, backup)
  return backup


def prepare_workdir(workdir: str, config: ml_collections.ConfigDict, info: DataInfo,
                    start_over: bool = False) -> WorkdirLock:
  """Checks an existing workdir belongs to this run (or moves it aside when starting over),
  locks it and returns the held lock. Nothing is written yet: see record_run. In a
  multi-process run only process 0 does this; the others get a lock they do not hold."""
  if not parallel.is_primary():
    return WorkdirLock(workdir)
  config_dict = config_to_dict(config)
  config_path = os.path.join(workdir, CONFIG_FILE)
  info_path = os.path.join(workdir, DATA_INFO_FILE)
  if start_over and os.path.exists(workdir):
    move_aside(workdir)
  if os.path.exists(config_path):
    saved = read_json(config_path)
    check_same_run(saved, config_dict, workdir)
    warn_if_schedule_changes(saved, config_dict)
  if os.path.exists(info_path):
    check_same_data(read_json(info_path), Vocabulary.load(workdir), info, workdir)
  return WorkdirLock(workdir).acquire()


def record_run(workdir: str, config: ml_collections.ConfigDict, info: DataInfo) -> None:
  """Writes config.json, vocabulary.json and data_info.json: once the run's state is known to
  fit the workdir, so a refused resume leaves the previous record untouched. Process 0 of a
  multi-process run writes them."""
  if not parallel.is_primary():
    return
  write_json(os.path.join(workdir, CONFIG_FILE), config_to_dict(config))
  info.vocabulary.save(workdir)
  write_json(os.path.join(workdir, DATA_INFO_FILE), info.to_json())


def load_run(workdir: str) -> tuple[ml_collections.ConfigDict, DataInfo]:
  """The config and data info of a trained workdir, for evaluation and sampling."""
  config_path = os.path.join(workdir, CONFIG_FILE)
  if not os.path.exists(config_path):
    raise ConfigError(f'{workdir} is not a training workdir: {CONFIG_FILE} not found')
  config = ml_collections.ConfigDict(read_json(config_path))
  saved = read_json(os.path.join(workdir, DATA_INFO_FILE))
  vocabulary = Vocabulary.load(os.path.join(workdir, VOCABULARY_FILE))
  return config, DataInfo.from_json(saved, vocabulary)
