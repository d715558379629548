"""What every entry point does the same way: flag parsing, logging, and errors as exit codes."""

from __future__ import annotations

import functools
import logging as logging_std
import os
import signal
import sys
from typing import Callable, Optional, Sequence

from absl import app, flags, logging

from hwr_jax.config_keys import MissingKey, lookup
from hwr_jax.config_lib import load_config_file
from hwr_jax.errors import HwrError
from hwr_jax.training.signals import RunInterrupted

EXIT_USER_ERROR = 2


def _fail(message: str):
  lines = [line for line in message.strip().splitlines() if line.strip()]
  if any(line.startswith('Traceback') for line in lines):
    message = f'{lines[0]} {lines[-1]}'
  print(f'error: {message}', file=sys.stderr)
  sys.exit(EXIT_USER_ERROR)


def config_spec(argv: Sequence[str]) -> Optional[str]:
  """The value of --config (either '--config=x' or '--config x'), if given."""
  spec = next((a.split('=', 1)[1] for a in argv if a.startswith('--config=')), None)
  if spec is None and '--config' in argv[:-1]:
    spec = argv[argv.index('--config') + 1]
  return spec


def unknown_override(argv: Sequence[str]) -> Optional[str]:
  """Names the first --config.a.b=... override whose key the config file does not have."""
  spec = config_spec(argv)
  if spec is None:
    return None
  config = load_config_file(spec)
  for arg in argv:
    if not arg.startswith('--config.'):
      continue
    try:
      lookup(config, arg[len('--config.'):].split('=', 1)[0])
    except MissingKey as e:
      return f'unknown config key {e.key!r} in {arg}; {e.neighbours}'
  return None


def parse_flags(argv: list[str]) -> list[str]:
  """absl's parsing, with every bad flag or config override reported as one clear line."""
  spec = config_spec(argv)
  if spec is not None and not os.path.isfile(spec.partition(':')[0]):
    _fail(f'config file not found: {spec.partition(":")[0]}')
  try:
    return flags.FLAGS(argv)
  except flags.Error as e:
    _fail(str(e))
  except (AttributeError, KeyError, TypeError, ValueError) as e:
    _fail(unknown_override(argv) or f'bad command line: {e}')


class _QuietLibraries(logging_std.Filter):
  """Keeps only warnings and errors from libraries that log every checkpoint file they write."""

  _NOISY = ('/orbax/', '/etils/')

  def filter(self, record: logging_std.LogRecord) -> bool:
    return record.levelno >= logging_std.WARNING or not any(
        part in record.pathname for part in self._NOISY)


def report_errors(main: Callable) -> Callable:
  """Wraps an absl main: stray arguments, an HwrError or an OSError (a config file or workdir
  that cannot be read or made) become one 'error:' line on stderr and exit status 2; a run
  stopped by a signal (after saving) exits with 128 + its number."""

  @functools.wraps(main)
  def wrapped(argv):
    if len(argv) > 1:
      _fail(f'unexpected arguments: {argv[1:]}')
    logging.set_verbosity(logging.INFO)
    logging.get_absl_handler().addFilter(_QuietLibraries())
    try:
      return main(argv)
    except RunInterrupted as e:
      logging.warning('%s', e)
      print(f'interrupted: {e}', file=sys.stderr)
      sys.exit(128 + e.signum)
    except KeyboardInterrupt:
      print('interrupted: stopped by SIGINT before the run started', file=sys.stderr)
      sys.exit(128 + signal.SIGINT)
    except (HwrError, OSError) as e:
      _fail(str(e))

  return wrapped


def run_console_script(main: Callable, module_name: str) -> None:
  """Runs a launcher's absl `main`, as `python -m launch.<name>` does. Under a console script
  (hwr-train) the main module is the script, so absl's --help would list none of the
  launcher's flags: they and its docstring are given to the script first."""
  if module_name != '__main__':
    sys.modules['__main__'].__doc__ = sys.modules[module_name].__doc__
    for flag in flags.FLAGS.get_flags_for_module(module_name):
      flags.FLAGS.register_flag_by_module(sys.argv[0], flag)
  app.run(main, flags_parser=parse_flags)


def print_scalars(scalars: dict[str, dict[str, float]]) -> None:
  """The final figures on stdout, one line per data set: 'test: accuracy 0.9958'."""
  for name, values in scalars.items():
    print(f'{name}: ' + '  '.join(f'{k} {v:.4f}' for k, v in values.items()))
