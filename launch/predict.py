r"""Answers of a trained run for every image of a data set, labelled or not, as a CSV.

  python -m launch.predict --workdir=DIR --data=PATH --out=FILE.csv [--top_k=3] [--step=N]
  python -m launch.predict --workdir=DENOISER_RUN --data=PAGES --out=FOLDER
  python -m launch.predict --method=otsu|sauvola --data=PAGES --out=FOLDER

PATH is a folder of images with no labels file (every image in it, by name; --recursive for
sub-folders), a labelled image folder (its labels become a true_label column and the accuracy
is printed), an npz export, other .npy/.npz/.mat arrays or IDX images (with --labels), or a
folder of PAGE-XML or ALTO pages with their images (the regions of --level are cut out).
Images are prepared as the run's training data were (size, resizing, polarity,
binarisation).

The CSV has one row per image, in the data's order: image, label, probability, label_2,
probability_2, ... (classifiers), label (encoders; their z go to FILE.z.npz), year (dating
models; each manuscript's median year goes to FILE.manuscripts.csv), then true_label and the
data's metadata columns. Denoisers and autoencoders write their output images instead: give
--out a folder name. An unconditional denoiser binarises every image of a folder (pages, crops)
at its own size, tile by tile, and so do the thresholding baselines of --method (Otsu's global
threshold, Sauvola's local one) without a trained run; each binarisation is written as a PNG
of its input's size, ink black on white.
"""

import functools
import os

from absl import flags

from hwr_jax.data import streams
from hwr_jax.data.sources import image_options, infer_kind, load_path
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.evaluation import baselines
from hwr_jax.loop import log_platform
from hwr_jax.prediction import PredictionSummary, predict, predict_pages
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.progress import format_interval, format_rate
from launch.common import report_errors, run_console_script

_WORKDIR = flags.DEFINE_string('workdir', None, 'Workdir of a trained run (or --method).')
_SAUVOLA_WINDOW = flags.DEFINE_integer('sauvola_window', baselines.SAUVOLA_WINDOW,
                                       '--method=sauvola: the window side, odd, in pixels.')
_SAUVOLA_K = flags.DEFINE_float('sauvola_k', baselines.SAUVOLA_K, '--method=sauvola: k.')
_METHOD = flags.DEFINE_enum('method', None, baselines.METHODS,
                            'Binarise the images of a folder with a classical threshold instead '
                            'of a trained run: otsu (global) or sauvola (local).')
_DATA = flags.DEFINE_string('data', None, 'Images to answer for (folder, PAGE-XML/ALTO folder, '
                            'npz, arrays, IDX).')
_OUT = flags.DEFINE_string('out', None, 'Output CSV file (or folder, for image answers).')
_LABELS = flags.DEFINE_string('labels', '', 'IDX labels file, for IDX images.')
_TOP_K = flags.DEFINE_integer('top_k', 1, 'Classifiers: letters and probabilities per row.')
_STEP = flags.DEFINE_integer('step', None, 'Checkpoint step; default: the latest.')
_RECURSIVE = flags.DEFINE_boolean('recursive', False, 'Unlabelled folders: read sub-folders.')
_LEVEL = flags.DEFINE_enum('level', 'glyph', ['glyph', 'word', 'line'],
                           'PAGE-XML/ALTO pages: the regions to cut out.')
_PAD = flags.DEFINE_integer('pad', 4, 'PAGE-XML/ALTO pages: pixels of margin around a region.')
_CHUNK = flags.DEFINE_integer('chunk_size', 1024, 'Images read and answered at a time.')
flags.mark_flags_as_required(['data', 'out'])


def open_stream(path: str, task) -> streams.ImageStream:
  """The data at `path` as a stream, prepared with the trained run's data settings."""
  data_config = task.config.data
  options = image_options(data_config)
  if os.path.isdir(path):
    pages = streams.page_folder(path)
    if pages:
      source, xml_folder = pages
      return streams.page_stream(source, xml_folder, options, _LEVEL.value, _PAD.value)
    return streams.folder_stream(path, options, _RECURSIVE.value)
  dataset = load_path(infer_kind(path), path, _LABELS.value, data_config)
  return streams.from_dataset(dataset)


def binarise(data_path: str, task=None, state=None) -> PredictionSummary:
  """The binarisation of every image of the folder `data_path`: by the trained denoiser
  `task` at `state`, or without one by --method."""
  if not os.path.isdir(data_path):
    raise DataError(f'{data_path}: binarising reads a folder of images (pages or crops)')
  if task is None:
    images = streams.whole_images(data_path, 'auto', _RECURSIVE.value)
    return predict_pages(
        lambda pages: (baselines.binarise(_METHOD.value, page, _SAUVOLA_WINDOW.value,
                                          _SAUVOLA_K.value) for page in pages),
        images, _OUT.value)
  images = streams.whole_images(data_path, task.config.data.get('polarity', 'auto'),
                                _RECURSIVE.value)
  return predict_pages(functools.partial(task.binarise_pages, state), images, _OUT.value)


@report_errors
def main(argv):
  del argv
  log_platform()
  data_path = os.path.abspath(_DATA.value)
  if not os.path.exists(data_path):
    raise DataError(f'data not found: {data_path}')
  if _CHUNK.value < 1:
    raise ConfigError(f'--chunk_size={_CHUNK.value}: must be 1 or more')
  if bool(_WORKDIR.value) == bool(_METHOD.value):
    raise ConfigError('give either --workdir (a trained run) or --method (a threshold)')
  if _METHOD.value:
    summary = binarise(data_path)
  else:
    task, state = load_trained(_WORKDIR.value, _STEP.value)
    if task.binarises_pages and os.path.isdir(data_path):
      summary = binarise(data_path, task, state)
    else:
      summary = predict(task, state, open_stream(data_path, task), _OUT.value,
                        top_k=_TOP_K.value, chunk_size=_CHUNK.value)
  print(f'{summary.count} images in {summary.seconds:.1f} s '
        f'({format_rate(summary.count / max(summary.seconds, 1e-9))} images/s, '
        f'{format_interval(summary.seconds / max(summary.count, 1))} per image)')
  if summary.accuracy is not None:
    print(f'accuracy {summary.accuracy:.4f} on {summary.count} labelled images')
  for path in summary.files:
    print(f'written: {path}')


def run():
  """The `hwr-predict` console script: the same as python -m launch.predict."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
