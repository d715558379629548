r"""Trains one config over a grid of settings and prints the table of their final figures.

  python -m launch.sweep --config=configs/gan.py:fashion_mnist --workdir=runs/ablation \
      --axis=model.label_position=input,conv1,conv2 --axis=gan.matching_aware=true,false \
      [--config.train.steps=1000 ...]

Every cell of the grid is the same config and seed with one value per axis, trained in its
own workdir DIR/<key=value,...> (so a stopped sweep resumes where it was). The table (one row
per cell, one column per figure of --set) goes to stdout and to DIR/table.md and
DIR/table.json. Every axis key and value is checked before anything trains. Values are split at
the commas outside brackets, so tuples can be values: --axis=model.hidden=(1024,),(64,).

Seeds: with --axis=seed=0,1,2 the table is followed by one over the seeds, a row per setting
of the other axes and, for each figure, its mean ± sample standard deviation (n=seeds), also in
DIR/summary.json with every seed's value:

  python -m launch.sweep --config=configs/conv_autoencoder.py --workdir=runs/cae_seeds \
      --axis=seed=0,1,2

A pipeline: --then trains a second config after each cell, in DIR/<cell>.<its task> (or
<cell>.<--then_name>), with its key --then_link set to the cell's workdir (by default
encoder.gan_workdir: an encoder of each GAN); --then_set overrides its settings, and it takes
the cell's seed when seed is an axis. Its figures join the row, prefixed with that name:

  python -m launch.sweep --config=configs/gan.py:fashion_mnist --workdir=runs/zstudy \
      --axis=model.z_dim=16,32,64,100 --config.eval.classifier_workdir=runs/cnn_fm \
      --then=configs/encoder.py:fashion_mnist --then_set=train.steps=500

Run again with another --then_name (and settings), a finished sweep trains only the new second
stage; its cells are evaluated again, not retrained:

  python -m launch.sweep ... --then_set=encoder.graft=false --then_name=fresh
"""

from __future__ import annotations

import ast
import copy
import itertools
import os

import ml_collections
from absl import flags, logging
from ml_collections import config_flags

from hwr_jax.config_keys import MissingKey, assign, lookup
from hwr_jax.config_lib import load_config_file
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.evaluation.tables import SEED_KEY, figures_table, over_seeds, write_table
from hwr_jax.loop import train_and_evaluate
from launch.common import report_errors, run_console_script

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file, optionally with a variant: configs/x.py:variant.',
    lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Folder of the sweep: one workdir per cell.')
_AXES = flags.DEFINE_multi_string('axis', [], 'key=value1,value2,...: a config key and the '
                                  'values it takes; repeat for more axes.')
_SET = flags.DEFINE_string('set', 'test', 'Data set whose figures fill the table.')
_THEN = flags.DEFINE_string('then', '', 'Config file[:variant] to train after each cell, '
                            'reading the cell\'s workdir.')
_THEN_LINK = flags.DEFINE_string('then_link', 'encoder.gan_workdir', 'Key of the --then '
                                 'config that is set to the cell\'s workdir.')
_THEN_SET = flags.DEFINE_multi_string('then_set', [], 'key=value: a setting of the --then '
                                      'config; repeat for more.')
_THEN_NAME = flags.DEFINE_string('then_name', '', 'Suffix of the --then workdirs and prefix of '
                                 'their figures; default: the --then config\'s task.')
flags.mark_flags_as_required(['config', 'workdir'])


def parse_value(text: str, current):
  """A command-line value in the type of the config field it replaces."""
  if isinstance(current, bool):
    if text.lower() not in ('true', 'false'):
      raise ConfigError(f'{text!r} is not true or false')
    return text.lower() == 'true'
  if isinstance(current, str):
    return text
  try:
    value = ast.literal_eval(text)
  except (ValueError, SyntaxError):
    raise ConfigError(f'{text!r} is not a {type(current).__name__}') from None
  return float(value) if isinstance(current, float) and isinstance(value, int) else value


def split_values(text: str) -> list[str]:
  """The values of an axis: split at the commas outside brackets."""
  values, depth, start = [], 0, 0
  for i, char in enumerate(text):
    depth += (char in '([{') - (char in ')]}')
    if char == ',' and depth == 0:
      values.append(text[start:i])
      start = i + 1
  return values + [text[start:]]


def parse_axis(spec: str, config: ml_collections.ConfigDict) -> tuple[str, list]:
  key, sep, values = spec.partition('=')
  if not sep or not values:
    raise ConfigError(f'--axis={spec}: expected key=value1,value2,...')
  try:
    current = lookup(config, key)
  except MissingKey:
    raise ConfigError(f'--axis={spec}: the config has no key {key!r}') from None
  try:
    return key, [parse_value(text, current) for text in split_values(values)]
  except ConfigError as e:
    raise ConfigError(f'--axis={spec}: {e}') from None


def cell_config(config: ml_collections.ConfigDict, cell: dict) -> ml_collections.ConfigDict:
  out = copy.deepcopy(config)
  for key, value in cell.items():
    try:
      assign(out, key, value)
    except TypeError as e:
      raise ConfigError(f'--axis {key}={value!r}: {e}') from None
  return out


def figures_of(result: EvalResult, set_name: str) -> dict[str, float]:
  """The figures of --set; none where the evaluation scored nothing (a GAN without a
  judge)."""
  if not result.scalars:
    return {}
  if set_name not in result.scalars:
    raise ConfigError(f'--set={set_name}: the evaluation has sets {sorted(result.scalars)}')
  return dict(result.scalars[set_name])


def follow_on_config(spec: str, link: str, settings: list[str]) -> ml_collections.ConfigDict:
  """The --then config with its --then_set values; its link key checked to hold a path."""
  config = load_config_file(spec)
  _, (path,) = parse_axis(f'{link}=path', config)
  if not isinstance(path, str):
    raise ConfigError(f'--then_link={link}: {spec} holds no path there')
  overrides = {}
  for setting in settings:
    key, values = parse_axis(setting, config)
    if len(values) != 1:
      raise ConfigError(f'--then_set={setting}: one value, not {len(values)}')
    overrides[key] = values[0]
  return cell_config(config, overrides)


def follow_on_settings(link: str, workdir: str, cell: dict) -> dict:
  """What the --then config takes from its cell: the link to its workdir, and its seed."""
  settings = {link: workdir}
  if SEED_KEY in cell:
    settings[SEED_KEY] = cell[SEED_KEY]
  return settings


def follow_on(config: ml_collections.ConfigDict, link: str, workdir: str, cell: dict,
              set_name: str, name: str) -> tuple[str, dict[str, float]]:
  """Trains the --then config on the cell's workdir (with the cell's seed, when seed is an
  axis) in <workdir>.<name>: that workdir and its figures, prefixed with name."""
  then_workdir = f'{workdir}.{name}'
  result = train_and_evaluate(cell_config(config, follow_on_settings(link, workdir, cell)),
                              then_workdir)
  return then_workdir, {f'{name}.{figure}': value
                        for figure, value in figures_of(result, set_name).items()}


def cell_name(cell: dict) -> str:
  return ','.join(f'{key.rsplit(".", 1)[-1]}={value}' for key, value in cell.items())


@report_errors
def main(argv):
  del argv
  config = _CONFIG.value
  if not _AXES.value:
    raise ConfigError('give at least one --axis=key=value1,value2,...')
  axes = [parse_axis(spec, config) for spec in _AXES.value]
  keys = [key for key, _ in axes]
  cells = [dict(zip(keys, values)) for values in itertools.product(*(v for _, v in axes))]
  configs = [cell_config(config, cell) for cell in cells]
  then = follow_on_config(_THEN.value, _THEN_LINK.value, _THEN_SET.value) if _THEN.value else None
  rows = []
  for cell, cell_cfg in zip(cells, configs):
    workdir = os.path.join(_WORKDIR.value, cell_name(cell))
    logging.info('Sweep cell %d/%d: %s', len(rows) + 1, len(cells), cell_name(cell))
    result = train_and_evaluate(cell_cfg, workdir)
    row = {'cell': cell, 'workdir': workdir, 'scalars': figures_of(result, _SET.value)}
    if then is not None:
      row['then_workdir'], figures = follow_on(then, _THEN_LINK.value, workdir, cell,
                                                     _SET.value,
                                                     _THEN_NAME.value or then.task_name)
      row['scalars'].update(figures)
    rows.append(row)
  figures = sorted({name for row in rows for name in row['scalars']})
  table = figures_table(rows, keys, figures)
  summary = None
  if SEED_KEY in keys:
    summary = over_seeds(rows)
    others = [key for key in keys if key != SEED_KEY]
    table += ('\n\nOver seeds: mean ± sample standard deviation (n=seeds)\n\n'
              + figures_table(summary, others, figures))
  write_table(_WORKDIR.value, table, rows, summary)
  print(table)


def run():
  """The `hwr-sweep` console script: the same as python -m launch.sweep."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
