r"""One table of the final figures of several trained workdirs, of any tasks: to compare the
encoders of configs/encoder.py, bigan.py, vaegan.py, discriminator_encoder.py and finetune.py
(or any runs whose evaluations share figures).

  python -m launch.compare --workdirs=runs/enc_graft,runs/bigan,runs/vaegan \
      [--set=test] [--figures=reconstruction_l2,y_accuracy] [--out=runs/encoders]

Each row is a workdir (its folder name and task), each column a scalar of its final
evaluation of data set --set, as the run logged it (DIR/metrics.jsonl; DIR/eval/report.json
marks a finished run); '-' where a run has no such figure.
The table goes to stdout, and with --out to OUT/table.md and OUT/table.json.
"""

from __future__ import annotations

import os

from absl import flags

from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.result import REPORT_FILE
from hwr_jax.evaluation.tables import figures_table, write_table
from hwr_jax.loop import EVAL_DIR
from hwr_jax.training.workdir import load_run
from hwr_jax.training.writers import read_metrics
from launch.common import report_errors, run_console_script

_WORKDIRS = flags.DEFINE_list('workdirs', None, 'Trained workdirs, comma-separated.')
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
  rows = comparison_rows(_WORKDIRS.value, _SET.value)
  figures = chosen_figures(rows, _FIGURES.value)
  table = figures_table(rows, ['run', 'task'], figures)
  if _OUT.value:
    write_table(_OUT.value, table, rows)
  print(table)


def run():
  """The `hwr-compare` console script: the same as python -m launch.compare."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
