r"""One table of the final figures of several trained workdirs, of any tasks: to compare the
encoders of configs/encoder.py, bigan.py, vaegan.py, discriminator_encoder.py and finetune.py
(or any runs whose evaluations share figures).

  python -m launch.compare --workdirs=runs/enc_graft,runs/bigan,runs/vaegan \
      [--set=test] [--figures=reconstruction_l2,y_accuracy] [--out=runs/encoders]

Each row is a workdir (its folder name and task), each column a scalar of its final
evaluation of data set --set, as the run logged it (DIR/metrics.jsonl; DIR/eval/report.json
marks a finished run); '-' where a run has no such figure.
The table goes to stdout, and with --out to OUT/table.md and OUT/table.json.

Runs over seeds: an entry of --workdirs may be a glob pattern; the runs it matches (of one
task) make one row, labelled by the pattern, whose figures are mean ± sample standard
deviation (n=runs); OUT/summary.json then holds every run's value:

  python -m launch.compare --workdirs='runs/sae/seed=*,runs/cae/seed=*' --out=runs/ae
"""

from __future__ import annotations

import glob
import os

from absl import flags

from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.result import REPORT_FILE
from hwr_jax.evaluation.tables import figures_table, over_runs, write_table
from hwr_jax.loop import EVAL_DIR
from hwr_jax.training.workdir import load_run
from hwr_jax.training.writers import read_metrics
from launch.common import report_errors, run_console_script

_WORKDIRS = flags.DEFINE_list('workdirs', None, 'Trained workdirs, comma-separated; a glob '
                              'pattern makes one row of the runs it matches.')
_SET = flags.DEFINE_string('set', 'test', 'Data set whose figures fill the table.')
_FIGURES = flags.DEFINE_list('figures', [], 'Figures to show, in order; default: all.')
_OUT = flags.DEFINE_string('out', '', 'Folder for table.md and table.json.')
flags.mark_flags_as_required(['workdirs'])


def final_figures(workdir: str, set_name: str) -> dict[str, float]:
  """The scalars of set_name in a workdir's final evaluation, as it logged them (the figures
  that launch.sweep tabulates; the report's details and settings are left out)."""
  config, _ = load_run(workdir)
  if not os.path.exists(os.path.join(workdir, EVAL_DIR, REPORT_FILE)):
    raise ConfigError(f'{workdir}: no {EVAL_DIR}/{REPORT_FILE}: its {config.task_name} run '
                      'has not finished training')
  evaluations = [record for record in read_metrics(workdir) if record['split'] != 'train']
  scored = [record for record in evaluations if record['split'] == set_name]
  if not scored:
    raise ConfigError(f'{workdir}: no figures of --set={set_name}; its evaluations score '
                      f'{sorted({record["split"] for record in evaluations})}')
  return {name: value for name, value in scored[-1].items() if name not in ('step', 'split')}


def comparison_rows(workdirs: list[str], set_name: str) -> list[dict]:
  return [{'cell': {'run': os.path.basename(os.path.normpath(workdir)),
                    'task': load_run(workdir)[0].task_name},
           'workdir': workdir, 'scalars': final_figures(workdir, set_name)}
          for workdir in workdirs]


def matching_runs(pattern: str) -> list[str]:
  """The folders a glob pattern matches, in order; none is an error that names the pattern."""
  matches = sorted(path for path in glob.glob(pattern) if os.path.isdir(path))
  if not matches:
    raise ConfigError(f'--workdirs: {pattern!r} matches no folder')
  return matches


def pattern_runs(pattern: str, set_name: str) -> list[dict]:
  """The rows of the runs a pattern matches, refusing a mixture of tasks."""
  rows = comparison_rows(matching_runs(pattern), set_name)
  tasks = sorted({row['cell']['task'] for row in rows})
  if len(tasks) > 1:
    raise ConfigError(f'--workdirs: {pattern!r} matches runs of several tasks '
                      f'({", ".join(tasks)}); a row over seeds needs runs of one')
  return rows


def grouped_rows(patterns: list[str], set_name: str) -> tuple[list[dict], list[dict]]:
  """Every run's row, and one row per pattern with each figure's spread over its runs."""
  runs, groups = [], []
  for pattern in patterns:
    rows = pattern_runs(pattern, set_name)
    runs += rows
    groups.append(over_runs({'run': pattern, 'task': rows[0]['cell']['task']}, rows))
  return runs, groups


def chosen_figures(rows: list[dict], asked: list[str]) -> list[str]:
  """The figures asked for (all the runs have, when none are), refusing one no run has."""
  known = sorted({name for row in rows for name in row['scalars']})
  unknown = [name for name in asked if name not in known]
  if unknown:
    raise ConfigError(f'--figures: no run has {", ".join(unknown)}; they have '
                      f'{", ".join(known)}')
  return asked or known


@report_errors
def main(argv):
  del argv
  entries = _WORKDIRS.value
  summary = None
  if any(glob.has_magic(entry) for entry in entries):
    rows, summary = grouped_rows(entries, _SET.value)
  else:
    rows = comparison_rows(entries, _SET.value)
  figures = chosen_figures(rows, _FIGURES.value)
  table = figures_table(summary or rows, ['run', 'task'], figures)
  if summary is not None:
    table = 'Mean ± sample standard deviation (n=runs)\n\n' + table
  if _OUT.value:
    write_table(_OUT.value, table, rows, summary)
  print(table)


def run():
  """The `hwr-compare` console script: the same as python -m launch.compare."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
