r"""Evaluates a trained workdir's checkpoint on any data set, or a thresholding baseline on
pages and their ground truth.

  python -m launch.evaluate --workdir=DIR --data=PATH [--labels=FILE] [--name=NAME]
  python -m launch.evaluate --workdir=DENOISER_RUN --data=PAGES --targets=TRUTH [--name=NAME]
  python -m launch.evaluate --method=otsu|sauvola --data=PAGES --targets=TRUTH [--out=DIR]

PATH is an image folder (labels.csv / labels.txt inside, or --labels), an .npz export, other
.npy/.npz/.mat arrays, or an IDX images file (with --labels). Labels are mapped through the
vocabulary saved in the workdir; a label the model never saw is an error. Reports go to
DIR/eval/NAME/ (report.json, confusion_NAME.png).

--targets pairs a folder of binary ground truth with the image folder PATH by file name (as
data.targets does). An unconditional denoiser then binarises every image at its own size
(pages of any size, or crops), tile by tile, and is scored by the F-table and the four DIBCO
measures (F-measure, pseudo-F, PSNR, DRD) per image and overall. --method scores a classical
threshold (Otsu's global one, Sauvola's local one) on the same pairs with the same code,
without a trained run; its reports go to --out when given.
"""

import os
import time

from absl import flags

from hwr_jax.data import paired
from hwr_jax.data.sources import infer_kind, load_path
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.evaluation import baselines, dibco
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.loop import log_platform
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.progress import format_interval
from launch.common import print_scalars, report_errors, run_console_script

_WORKDIR = flags.DEFINE_string('workdir', None, 'Workdir of a trained run (or --method).')
_DATA = flags.DEFINE_string('data', None, 'Data set to evaluate on (folder, npz, arrays, IDX).')
_LABELS = flags.DEFINE_string('labels', '', 'Labels file (IDX labels, or a folder\'s labels).')
_TARGETS = flags.DEFINE_string('targets', '', 'Folder of binary ground truth paired by file '
                               'name with the image folder --data (pages or crops).')
_METHOD = flags.DEFINE_enum('method', None, baselines.METHODS,
                            'Score a classical threshold instead of a trained run: otsu '
                            '(global) or sauvola (local); needs --targets.')
_OUT = flags.DEFINE_string('out', '', '--method: folder for its reports (none written without).')
_SAUVOLA_WINDOW = flags.DEFINE_integer('sauvola_window', baselines.SAUVOLA_WINDOW,
                                       '--method=sauvola: the window side, odd, in pixels.')
_SAUVOLA_K = flags.DEFINE_float('sauvola_k', baselines.SAUVOLA_K, '--method=sauvola: k.')
_NAME = flags.DEFINE_string('name', '', 'Name of this data set in reports; default: its file '
                            'or folder name.')
_STEP = flags.DEFINE_integer('step', None, 'Checkpoint step; default: the latest.')
flags.mark_flags_as_required(['data'])


def evaluate_method(data_path: str, name: str) -> None:
  """Scores --method on the pairs of --data and --targets; reports to --out, if given."""
  if not _TARGETS.value:
    raise ConfigError(f'--method={_METHOD.value} is scored against ground truth: give --targets')
  pages = paired.load_paired_pages(data_path, os.path.abspath(_TARGETS.value))
  start = time.perf_counter()
  outputs = [baselines.binarise(_METHOD.value, page, _SAUVOLA_WINDOW.value, _SAUVOLA_K.value)
             for page in pages.images]
  seconds = time.perf_counter() - start
  result = EvalResult(scalars={})
  out_dir = os.path.abspath(_OUT.value) if _OUT.value else None
  if out_dir:
    os.makedirs(out_dir, exist_ok=True)
  dibco.add_scores(name, outputs, [truth > 0 for truth in pages.targets], pages.names, result,
                   out_dir)
  result.write_report(out_dir)
  print_scalars(result.scalars)
  print(f'{_METHOD.value}: {len(pages)} images binarised in {seconds:.2f} s '
        f'({format_interval(seconds / len(pages))} per image)')
  if out_dir:
    print(f'reports in {out_dir}')


def load_data(data_path: str, task):
  """The data set at data_path as the run reads it: with --targets, paired with its ground
  truth, at each image's own size for a denoiser that binarises pages."""
  if _TARGETS.value:
    targets = os.path.abspath(_TARGETS.value)
    if task.binarises_pages:
      return paired.load_paired_pages(data_path, targets,
                                      polarity=task.config.data.get('polarity', 'auto'))
    dataset = load_path('folder', data_path, _LABELS.value, task.config.data,
                        task.data_info.vocabulary, targets)
  else:
    dataset = load_path(infer_kind(data_path), data_path, _LABELS.value, task.config.data,
                        task.data_info.vocabulary)
  if dataset.image_shape != task.data_info.image_shape:
    raise DataError(f'{data_path}: images are {dataset.image_shape}, the model was trained on '
                    f'{task.data_info.image_shape} (set data.image_size when training)')
  return dataset


@report_errors
def main(argv):
  del argv
  log_platform()
  data_path = os.path.abspath(_DATA.value)
  if not os.path.exists(data_path):
    raise DataError(f'data not found: {data_path}')
  name = _NAME.value or os.path.splitext(os.path.basename(data_path.rstrip('/')))[0]
  if bool(_WORKDIR.value) == bool(_METHOD.value):
    raise ConfigError('give either --workdir (a trained run) or --method (a threshold)')
  if _METHOD.value:
    evaluate_method(data_path, name)
    return
  if _OUT.value:
    raise ConfigError(f'--out is for --method; a run\'s reports go to {_WORKDIR.value}/eval/')
  task, state = load_trained(_WORKDIR.value, _STEP.value)
  if _TARGETS.value and not os.path.isdir(data_path):
    raise DataError(f'{data_path}: --targets pairs ground truth with an image folder')
  dataset = load_data(data_path, task)
  out_dir = os.path.join(_WORKDIR.value, 'eval', name)
  os.makedirs(out_dir, exist_ok=True)
  start = time.perf_counter()
  result = task.evaluate(state, {name: dataset}, out_dir)
  print_scalars(result.scalars)
  print(f'{len(dataset)} images scored in {time.perf_counter() - start:.1f} s')
  print(f'reports in {out_dir}')


def run():
  """The `hwr-evaluate` console script: the same as python -m launch.evaluate."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
