r"""Answers of a trained run for every image of a data set, labelled or not, as a CSV.

  python -m launch.predict --workdir=DIR --data=PATH --out=FILE.csv [--top_k=3] [--step=N]

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
--out a folder name.
"""

import os

from absl import flags

from hwr_jax.data import streams
from hwr_jax.data.sources import image_options, infer_kind, load_path
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.loop import log_platform
from hwr_jax.prediction import predict
from hwr_jax.tasks.restore import load_trained
from launch.common import report_errors, run_console_script

_WORKDIR = flags.DEFINE_string('workdir', None, 'Workdir of a trained run.')
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
flags.mark_flags_as_required(['workdir', 'data', 'out'])


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


@report_errors
def main(argv):
  del argv
  log_platform()
  data_path = os.path.abspath(_DATA.value)
  if not os.path.exists(data_path):
    raise DataError(f'data not found: {data_path}')
  if _CHUNK.value < 1:
    raise ConfigError(f'--chunk_size={_CHUNK.value}: must be 1 or more')
  task, state = load_trained(_WORKDIR.value, _STEP.value)
  stream = open_stream(data_path, task)
  summary = predict(task, state, stream, _OUT.value, top_k=_TOP_K.value,
                    chunk_size=_CHUNK.value)
  print(f'{summary.count} images in {summary.seconds:.1f} s '
        f'({summary.count / max(summary.seconds, 1e-9):.0f} images/s)')
  if summary.accuracy is not None:
    print(f'accuracy {summary.accuracy:.4f} on {summary.count} labelled images')
  for path in summary.files:
    print(f'written: {path}')


def run():
  """The `hwr-predict` console script: the same as python -m launch.predict."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
