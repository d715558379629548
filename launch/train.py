r"""Trains any model of the project from a config file.

  python -m launch.train --config=configs/cnn_classifier.py[:variant] --workdir=DIR \
      [--config.train.steps=100 ...]

Started again on the same workdir, a run resumes from its latest checkpoint. SIGTERM or
Ctrl-C saves a checkpoint and exits with status 128 + the signal number.

Batches are split over every device. Over several hosts (or several processes on one
machine), run the same command in each process with --num_processes=N, its own
--process_id=0..N-1 and process 0's --coordinator_address=host:port; process 0 writes the
workdir, which must be the same shared folder for all.
"""

from absl import flags
from ml_collections import config_flags

from hwr_jax import parallel
from hwr_jax.loop import train_and_evaluate
from launch.common import print_scalars, report_errors, run_console_script

_CONFIG = config_flags.DEFINE_config_file(
    'config', None, 'Config file, optionally with a variant: configs/x.py:variant.',
    lock_config=True)
_WORKDIR = flags.DEFINE_string('workdir', None, 'Directory for checkpoints, logs and reports.')
_START_OVER = flags.DEFINE_bool(
    'start_over', False, 'Move an existing workdir aside (to WORKDIR.replaced-<time>) and '
    'start a new run there, instead of resuming it or refusing it.')
_COORDINATOR = flags.DEFINE_string('coordinator_address', '', 'host:port of process 0, for a '
                                   'multi-process run.')
_NUM_PROCESSES = flags.DEFINE_integer('num_processes', 1, 'Processes in the run (1: alone).')
_PROCESS_ID = flags.DEFINE_integer('process_id', 0, 'This process\'s index, 0..N-1.')
flags.mark_flags_as_required(['config', 'workdir'])


@report_errors
def main(argv):
  del argv
  parallel.initialize_processes(_COORDINATOR.value, _NUM_PROCESSES.value, _PROCESS_ID.value)
  result = train_and_evaluate(_CONFIG.value, _WORKDIR.value, _START_OVER.value)
  print_scalars(result.scalars)


def run():
  """The `hwr-train` console script: the same as python -m launch.train."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
