r"""Evaluates a trained workdir's checkpoint on any data set.

  python -m launch.evaluate --workdir=DIR --data=PATH [--labels=FILE] [--name=NAME]

PATH is an image folder (labels.csv / labels.txt inside, or --labels), an .npz export, other
.npy/.npz/.mat arrays, or an IDX images file (with --labels). Labels are mapped through the
vocabulary saved in the workdir; a label the model never saw is an error. Reports go to
DIR/eval/NAME/ (report.json, confusion_NAME.png).
"""

import os

from absl import flags

from hwr_jax.data.sources import infer_kind, load_path
from hwr_jax.errors import DataError
from hwr_jax.loop import log_platform
from hwr_jax.tasks.restore import load_trained
from launch.common import print_scalars, report_errors, run_console_script

_WORKDIR = flags.DEFINE_string('workdir', None, 'Workdir of a trained run.')
_DATA = flags.DEFINE_string('data', None, 'Data set to evaluate on (folder, npz, arrays, IDX).')
_LABELS = flags.DEFINE_string('labels', '', 'Labels file (IDX labels, or a folder\'s labels).')
_NAME = flags.DEFINE_string('name', '', 'Name of this data set in reports; default: its file '
                            'or folder name.')
_STEP = flags.DEFINE_integer('step', None, 'Checkpoint step; default: the latest.')
flags.mark_flags_as_required(['workdir', 'data'])


@report_errors
def main(argv):
  del argv
  log_platform()
  data_path = os.path.abspath(_DATA.value)
  kind = infer_kind(data_path)
  task, state = load_trained(_WORKDIR.value, _STEP.value)
  dataset = load_path(kind, data_path, _LABELS.value, task.config.data,
                      task.data_info.vocabulary)
  if dataset.image_shape != task.data_info.image_shape:
    raise DataError(f'{data_path}: images are {dataset.image_shape}, the model was trained on '
                    f'{task.data_info.image_shape} (set data.image_size when training)')
  name = _NAME.value or os.path.splitext(os.path.basename(data_path.rstrip('/')))[0]
  out_dir = os.path.join(_WORKDIR.value, 'eval', name)
  os.makedirs(out_dir, exist_ok=True)
  result = task.evaluate(state, {name: dataset}, out_dir)
  print_scalars(result.scalars)
  print(f'reports in {out_dir}')


def run():
  """The `hwr-evaluate` console script: the same as python -m launch.evaluate."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
