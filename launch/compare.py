r"""One table of the final figures of several trained workdirs, of any tasks: to compare the
encoders of configs/encoder.py, bigan.py, vaegan.py, discriminator_encoder.py and finetune.py
(or any runs whose evaluations share figures).

  python -m launch.compare --workdirs=runs/enc_graft,runs/bigan,runs/vaegan \
      [--set=test] [--figures=reconstruction_l2,y_accuracy] [--out=runs/encoders]

Each row is a workdir (its folder name and task), each column a figure of its final
evaluation's report (DIR/eval/report.json, data set --set); '-' where a run has no such figure.
The table goes to stdout, and with --out to OUT/table.md and OUT/table.json.
"""

from __future__ import annotations

import os

from absl import app, flags

from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.tables import figures_table, write_table
from hwr_jax.io_utils import read_json
from hwr_jax.tasks.base import REPORT_FILE
from hwr_jax.training.loop import EVAL_DIR
from hwr_jax.training.workdir import load_run
from launch.common import parse_flags, report_errors

_WORKDIRS = flags.DEFINE_list('workdirs', None, 'Trained workdirs, comma-separated.')
_SET = flags.DEFINE_string('set', 'test', 'Data set whose figures fill the table.')
_FIGURES = flags.DEFINE_list('figures', [], 'Figures to show, in order; default: all.')
_OUT = flags.DEFINE_string('out', '', 'Folder for table.md and table.json.')
flags.mark_flags_as_required(['workdirs'])


def final_figures(workdir: str, set_name: str) -> dict[str, float]:
  """The numeric figures of set_name in a workdir's final evaluation report."""
  config, _ = load_run(workdir)
  path = os.path.join(workdir, EVAL_DIR, REPORT_FILE)
  if not os.path.exists(path):
    raise ConfigError(f'{workdir}: no {EVAL_DIR}/{REPORT_FILE}: its {config.task_name} run '
                      'has not finished training')
  report = read_json(path)
  if set_name not in report:
    raise ConfigError(f'{path}: no figures of --set={set_name}; it has {sorted(report)}')
  return {name: value for name, value in report[set_name].items()
          if isinstance(value, (int, float)) and not isinstance(value, bool)}


def comparison_rows(workdirs: list[str], set_name: str) -> list[dict]:
  return [{'cell': {'run': os.path.basename(os.path.normpath(workdir)),
                    'task': load_run(workdir)[0].task_name},
           'workdir': workdir, 'scalars': final_figures(workdir, set_name)}
          for workdir in workdirs]


@report_errors
def main(argv):
  del argv
  rows = comparison_rows(_WORKDIRS.value, _SET.value)
  figures = _FIGURES.value or sorted({name for row in rows for name in row['scalars']})
  table = figures_table(rows, ['run', 'task'], figures)
  if _OUT.value:
    write_table(_OUT.value, table, rows)
  print(table)


if __name__ == '__main__':
  app.run(main, flags_parser=parse_flags)
