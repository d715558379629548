r"""Draws letters of one class from a trained GAN's checkpoint, as a grid.

  python -m launch.sample --workdir=DIR --label=alaph [--num=64] [--columns=8] [--out=FILE]

The label is a name from the run's vocabulary (DIR/vocabulary.json); an unconditional GAN
takes no --label. Each --seed gives another set of z. The grid goes to --out, by default
DIR/samples/sample_<label>.png.
"""

import os

import jax
import numpy as np
from absl import flags

from hwr_jax.errors import ConfigError, UnknownLabelError
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.io_utils import write_png
from hwr_jax.loop import SAMPLES_DIR, log_platform
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training import workdir as workdir_lib
from launch.common import report_errors, run_console_script

_WORKDIR = flags.DEFINE_string('workdir', None, 'Workdir of a trained GAN.')
_LABEL = flags.DEFINE_string('label', '', 'Letter (class name) to draw; none for an '
                             'unconditional GAN.')
_NUM = flags.DEFINE_integer('num', 64, 'How many letters.', lower_bound=1)
_COLUMNS = flags.DEFINE_integer('columns', 8, 'Letters per row of the grid.', lower_bound=1)
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the z vectors.')
_STEP = flags.DEFINE_integer('step', None, 'Checkpoint step; default: the latest.')
_OUT = flags.DEFINE_string('out', '', 'PNG to write; default DIR/samples/sample_<label>.png.')
flags.mark_flags_as_required(['workdir'])


def check_is_gan(workdir: str) -> None:
  config, _ = workdir_lib.load_run(workdir)
  if config.task_name != 'adversarial':
    raise ConfigError(f'{workdir} holds a {config.task_name} run of model '
                      f'{config.model_name!r}, not a GAN; launch.sample needs a workdir '
                      'trained with task adversarial (configs/gan.py)')


def requested_labels(task, label: str, count: int) -> np.ndarray:
  """`count` copies of the id of `label`, checked against the run's vocabulary."""
  if not task.model.conditional:
    if label:
      raise ConfigError('this GAN is unconditional: it draws no chosen letter; omit --label')
    return np.zeros(count, np.int32)
  if not label:
    raise ConfigError('--label is required for a conditional GAN; its letters: '
                      + ', '.join(task.data_info.vocabulary.labels))
  vocabulary = task.data_info.vocabulary
  if label not in vocabulary.labels:
    raise UnknownLabelError(f'--label={label!r} is not a letter of this run; its letters: '
                            + ', '.join(vocabulary.labels))
  return np.full(count, vocabulary.encode([label])[0], np.int32)


@report_errors
def main(argv):
  del argv
  log_platform()
  check_is_gan(_WORKDIR.value)
  task, state = load_trained(_WORKDIR.value, _STEP.value)
  labels = requested_labels(task, _LABEL.value, _NUM.value)
  letters = task.generate(state, labels, jax.random.key(_SEED.value))
  out = _OUT.value or os.path.join(_WORKDIR.value, SAMPLES_DIR,
                                   f'sample_{_LABEL.value or "all"}.png')
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  write_png(out, image_grid(letters, _COLUMNS.value))
  print(f'wrote {len(letters)} letters{" of " + _LABEL.value if _LABEL.value else ""} from '
        f'step {int(state.step)} to {out}')


def run():
  """The `hwr-sample` console script: the same as python -m launch.sample."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
