"""Turning SIGTERM and SIGINT into a request the training loop honours between steps.

A preempted job (SIGTERM from a scheduler) or a user's Ctrl-C should not lose the steps since
the last checkpoint: the loop finishes its current step, saves, and exits.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator, Optional

from hwr_jax.errors import HwrError

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(HwrError):
  """The run stopped on a signal after saving a checkpoint; starting it again resumes it."""

  def __init__(self, signum: int, step: int):
    self.signum = signum
    super().__init__(f'stopped by {signal.Signals(signum).name} after step {step}; a '
                     'checkpoint of that step was saved: run the same command to resume')


class StopRequest:
  """Records the first stop signal received; `signum` is None until then."""

  def __init__(self):
    self.signum: Optional[int] = None

  def handle(self, signum, frame):
    del frame
    if self.signum is None:
      self.signum = signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
  """Within the block, SIGTERM/SIGINT set the request instead of killing the process.

  Handlers can only be installed from the main thread; elsewhere the block runs with the
  default behaviour.
  """
  request = StopRequest()
  if threading.current_thread() is not threading.main_thread():
    yield request
    return
  previous = {s: signal.signal(s, request.handle) for s in STOP_SIGNALS}
  try:
    yield request
  finally:
    for signum, handler in previous.items():
      signal.signal(signum, handler)
