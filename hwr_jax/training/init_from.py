"""Starting a run from another run's parameters (config.init): what Kraken users do with
`ketos train --load model --resize union|new --freeze-backbone`.

init.workdir names a trained run. Its checkpoint of init.step (-1: the latest) gives the new run
its parameters and batch statistics: only those arrays are read (a partial restore,
checkpoints.restore_subtrees) and copied into the new run's fresh state (graft.graft), and the
graft report is logged. The optimizer state is fresh and the step starts at 0. A run started so
resumes like any other: the loop restores its own latest checkpoint over this start.

The source must be the same network (model_name and model) trained on images of the same size.
init.labels says what happens to the output layer over the letters (a task's `output_head`):
  same   the data has exactly the source run's letters; everything is copied.
  union  the new run knows the letters of both: its vocabulary is the sorted union, the data's
         labels are re-encoded into it, each letter the source knew keeps its row of the output
         layer (moved to its new position) and each new letter gets a fresh row.
  new    the data's own letters, under a fresh output layer.
init.freeze=trunk trains the output layer alone: every other parameter, and every batch
statistic, stays bit for bit the source's. Otherwise init.trunk_lr_scale sets the rate of the
trunk (every layer but the output layer) relative to the output layer's.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Callable, Mapping, Optional

import jax
import ml_collections
import numpy as np
from absl import logging
from flax import traverse_util

from hwr_jax.data.dataset import DataInfo
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError
from hwr_jax.training import checkpoints, graft, workdir as workdir_lib
from hwr_jax.training.optimizers import grouped_optimizer
from hwr_jax.training.state import TrainState

LABELS = ('same', 'union', 'new')
FREEZES = ('none', 'trunk')
LATEST = -1
HEAD, TRUNK = 'head', 'trunk'
SEP = graft.SEP


def default_config() -> ml_collections.ConfigDict:
  """workdir: the run to start from ('' : a fresh start); step: its checkpoint (-1: the
  latest); labels: same, union or new; freeze: none or trunk; trunk_lr_scale: the trunk's
  learning rate over the output layer's."""
  return ml_collections.ConfigDict(dict(workdir='', step=LATEST, labels='same', freeze='none',
                                        trunk_lr_scale=1.0))


def settings_of(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """config.init; the defaults (a fresh start) for runs recorded before the block existed."""
  return config.get('init') or default_config()


def check_settings(settings: ml_collections.ConfigDict) -> None:
  """Refuses values that mean nothing, and settings that would be silently ignored."""
  if settings.labels not in LABELS:
    raise ConfigError(f'init.labels={settings.labels!r}: expected one of {", ".join(LABELS)}')
  if settings.freeze not in FREEZES:
    raise ConfigError(f'init.freeze={settings.freeze!r}: expected one of {", ".join(FREEZES)}')
  if settings.trunk_lr_scale < 0:
    raise ConfigError(f'init.trunk_lr_scale={settings.trunk_lr_scale}: must be 0 or more')
  if settings.freeze == 'trunk' and settings.trunk_lr_scale != 1.0:
    raise ConfigError(f'init.trunk_lr_scale={settings.trunk_lr_scale} sets the rate of a trunk '
                      'that init.freeze=trunk freezes: leave it at 1.0, or set init.freeze=none')
  if not settings.workdir:
    changed = {key: settings[key] for key, value in default_config().items()
               if key != 'workdir' and settings[key] != value}
    if changed:
      raise ConfigError(f'init.{", init.".join(f"{k}={v!r}" for k, v in changed.items())} '
                        'start from a trained run, but init.workdir is not set')


@dataclasses.dataclass(frozen=True)
class Source:
  """The trained run a new run starts from, and how."""

  workdir: str
  step: int
  info: DataInfo
  labels: str


def model_of(config: ml_collections.ConfigDict) -> dict:
  """model_name and the model block, as JSON data (so a recorded config compares equal)."""
  return {'model_name': config.model_name,
          'model': workdir_lib.config_to_dict(config.model)}


def load_source(config: ml_collections.ConfigDict) -> Optional[Source]:
  """The run config.init starts from (None for a fresh start), checked against the config's
  network and for the checkpoint it names; reads no arrays."""
  settings = settings_of(config)
  check_settings(settings)
  workdir = settings.workdir
  if not workdir:
    return None
  if not os.path.isdir(workdir):
    raise ConfigError(f'init.workdir={workdir}: no such directory')
  if not os.path.exists(os.path.join(workdir, workdir_lib.CONFIG_FILE)):
    raise ConfigError(f'init.workdir={workdir} is not a training workdir: '
                      f'{workdir_lib.CONFIG_FILE} not found')
  source_config, info = workdir_lib.load_run(workdir)
  old, new = model_of(source_config), model_of(config)
  if old != new:
    raise ConfigError(
        f'init.workdir={workdir} holds a {old["model_name"]} model {old["model"]}, but this '
        f'config builds a {new["model_name"]} model {new["model"]}: a run starts only from a '
        'run of the same network (model_name and model)')
  steps = []
  if os.path.isdir(os.path.join(workdir, checkpoints.CHECKPOINT_DIR)):
    with checkpoints.Checkpointer(workdir, 1, 1) as checkpointer:
      steps = checkpointer.all_steps()
  if not steps:
    raise ConfigError(f'init.workdir={workdir} has no complete checkpoint: train it first')
  step = steps[-1] if settings.step == LATEST else settings.step
  if step not in steps:
    raise ConfigError(f'init.step={settings.step}: init.workdir={workdir} has no checkpoint of '
                      f'that step; it has {steps} (or -1: the latest)')
  return Source(workdir, step, info, settings.labels)


def run_vocabulary(source: Source, info: DataInfo) -> Vocabulary:
  """The new run's vocabulary, from the source's and the data's as init.labels says. The data
  must have images of the source's size."""
  if tuple(info.image_shape) != tuple(source.info.image_shape):
    raise ConfigError(
        f'init.workdir={source.workdir} was trained on images of '
        f'{list(source.info.image_shape)}, this data has images of {list(info.image_shape)}: '
        f'set data.image_size={source.info.image_shape[0]}')
  old, new = source.info.vocabulary, info.vocabulary
  if source.labels == 'union':
    return Vocabulary.from_labels(old.labels + new.labels)
  if source.labels == 'same' and old != new:
    raise ConfigError(
        f'init.labels=same, but the data\'s {len(new)} letters are not the {len(old)} of '
        f'init.workdir={source.workdir}: only in the data '
        f'{sorted(set(new.labels) - set(old.labels))}, only in {source.workdir} '
        f'{sorted(set(old.labels) - set(new.labels))}. Set init.labels=union to add the data\'s '
        'letters to the run\'s, or init.labels=new for a fresh output layer over the data\'s')
  return new


def under(path: str, subtree: Optional[str]) -> bool:
  return subtree is not None and (path == subtree or path.startswith(subtree + SEP))


def check_head(settings: Mapping[str, Any], head: Optional[str], task_name: str) -> None:
  """Settings that act on the output layer need a task that has one."""
  if head is not None:
    return
  for key, default in (('labels', 'same'), ('freeze', 'none'), ('trunk_lr_scale', 1.0)):
    if settings.get(key, default) != default:
      raise ConfigError(f'init.{key}={settings[key]!r} acts on an output layer over the letters, '
                        f'and the {task_name} task has none: leave it at {default!r}')


def moved_rows(old: Any, new: Any, old_vocabulary: Vocabulary,
               new_vocabulary: Vocabulary) -> np.ndarray:
  """`new` (an array of an output layer, one entry per letter of `new_vocabulary` along its last
  axis) with the entry of each letter of `old_vocabulary` taken from `old` (the same layer's
  array over those letters); the letters `old` does not know keep theirs."""
  moved = np.array(new)
  moved[..., new_vocabulary.encode(old_vocabulary.labels)] = np.asarray(old)
  return moved


def start_from(source: Source, state: TrainState, head: Optional[str],
               vocabulary: Vocabulary) -> TrainState:
  """`state` (a fresh one of the new run, over `vocabulary`) with the source's parameters
  and batch statistics, and its output layer `head` (a path in the params) as source.labels
  says; its optimizer state stays the fresh one (the shapes are the run's own). Logs what was
  copied and what is fresh. The loop has checked (check_head) that the task has a head where
  source.labels needs one."""
  target = {name: tree for name, tree in (('params', state.params),
                                          ('batch_stats', state.batch_stats)) if tree}
  flat_target = traverse_util.flatten_dict(target, sep=SEP)
  head_path = None if head is None else f'params{SEP}{head}'
  own_head = source.labels != 'same'
  # The source's output layer is read only to move its rows (union); its size is the source's.
  wanted = {}
  for path, value in flat_target.items():
    if under(path, head_path) and own_head:
      if source.labels == 'union':
        wanted[path] = jax.ShapeDtypeStruct(
            (*value.shape[:-1], len(source.info.vocabulary)), value.dtype)
    else:
      wanted[path] = jax.ShapeDtypeStruct(value.shape, value.dtype)
  restored, step = checkpoints.restore_subtrees(
      source.workdir, traverse_util.unflatten_dict(wanted, sep=SEP), source.step)
  copied = {path: path for path in wanted if not (own_head and under(path, head_path))}
  grafted, report = graft.graft(restored, target, copied)
  logging.info('Started from step %d of %s (init.labels=%s): %s', step, source.workdir,
               source.labels, report.summary())
  if source.labels == 'union':
    flat = traverse_util.flatten_dict(grafted, sep=SEP)
    for path, old in traverse_util.flatten_dict(restored, sep=SEP).items():
      if under(path, head_path):
        flat[path] = moved_rows(old, flat[path], source.info.vocabulary, vocabulary)
    grafted = traverse_util.unflatten_dict(flat, sep=SEP)
    fresh = sorted(set(vocabulary.labels) - set(source.info.vocabulary.labels))
    logging.info('Output layer params/%s over the union of the letters: the rows of the %d '
                 'letters of %s moved to their places among %d, %d new letters fresh%s', head,
                 len(source.info.vocabulary), source.workdir, len(vocabulary), len(fresh),
                 f' ({", ".join(fresh)})' if fresh else '')
  elif source.labels == 'new':
    logging.info('Output layer params/%s left fresh: init.labels=new gives a new one over the '
                 "data's %d letters", head, len(vocabulary))
  return state.replace(params=grafted['params'],
                       batch_stats=grafted.get('batch_stats', state.batch_stats))


def parameter_groups(head: str) -> Callable[[Any], Any]:
  """multi_transform labels: the output layer `head`, and the trunk (every other layer)."""
  def groups(params):
    flat = traverse_util.flatten_dict(params, sep=SEP)
    return traverse_util.unflatten_dict(
        {path: HEAD if under(path, head) else TRUNK for path in flat}, sep=SEP)

  return groups


def with_optimizer(config: ml_collections.ConfigDict, state: TrainState,
                   head: Optional[str]) -> TrainState:
  """`state` with the optimizer init.freeze and init.trunk_lr_scale call for (the output layer
  at the configured rate, the trunk frozen or at its own rate) and its fresh state; unchanged
  when they call for none. A fine-tuned run's state is built so wherever it is restored."""
  settings = settings_of(config)
  if settings.freeze == 'none' and settings.trunk_lr_scale == 1.0:
    return state
  trunk = None if settings.freeze == 'trunk' else settings.trunk_lr_scale
  tx = grouped_optimizer(config.optimizer, config.train.steps, {HEAD: 1.0, TRUNK: trunk},
                         parameter_groups(head))
  return state.replace(tx=tx, opt_state=tx.init(state.params))


def train_step(config: ml_collections.ConfigDict, step: Callable,
               head: Optional[str]) -> Callable:
  """The task's step as the run trains it. With init.freeze=trunk the batch statistics outside
  the output layer keep their values: at evaluation the trunk computes with them, so keeping
  them makes the frozen trunk exactly the source run's (every image gets the features it got
  there), where letting them follow a few hundred new letters would move every feature under a
  head trained on the old ones. Training still normalises each batch by its own statistics."""
  if settings_of(config).freeze != 'trunk':
    return step

  def frozen_statistics_step(state, batch, rng):
    new_state, metrics = step(state, batch, rng)
    old = traverse_util.flatten_dict(state.batch_stats, sep=SEP)
    new = traverse_util.flatten_dict(new_state.batch_stats, sep=SEP)
    kept = {path: value if under(path, head) else old[path] for path, value in new.items()}
    return new_state.replace(
        batch_stats=traverse_util.unflatten_dict(kept, sep=SEP) if kept
        else new_state.batch_stats), metrics

  return frozen_statistics_step
