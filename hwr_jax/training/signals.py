"""Turning SIGTERM and SIGINT into a clean stop that loses nothing.

A preempted job (SIGTERM from a scheduler) or a user's Ctrl-C must neither lose the steps since
the last checkpoint nor end in a traceback. While the loop trains, a signal is deferred: the
loop finishes its step, saves, and stops. At any other time (loading or generating data,
compiling, evaluating) it stops the run at once, which loses nothing either: data sets are
generated atomically and the final checkpoint exists before evaluation starts.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator, Optional

from hwr_jax.errors import HwrError

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class RunInterrupted(HwrError):
  """The run stopped on a signal; starting it again resumes it."""

  def __init__(self, signum: int, step: Optional[int] = None):
    self.signum = signum
    name = signal.Signals(signum).name
    if step is None:
      message = (f'stopped by {name} outside training (setting up or evaluating); nothing was '
                 'lost: run the same command to go on')
    else:
      message = (f'stopped by {name} after step {step}; a checkpoint of that step was saved: '
                 'run the same command to resume')
    super().__init__(message)


class StopSignal(BaseException):
  """Raised by the handler outside training. A BaseException, like KeyboardInterrupt, so
  that library code catching Exception (logging's emit, for one) cannot swallow it;
  stop_on_signals turns it into RunInterrupted."""

  def __init__(self, signum: int):
    super().__init__(signum)
    self.signum = signum


class StopRequest:
  """Records the first stop signal; raises it at once unless inside `deferred()`."""

  def __init__(self):
    self.signum: Optional[int] = None
    self._deferred = False

  def handle(self, signum, frame):
    del frame
    if self.signum is None:
      self.signum = signum
    if not self._deferred:
      raise StopSignal(signum)

  def check(self) -> None:
    """Raises a signal that arrived while it could not be raised (for instance inside a
    library callback that swallows exceptions)."""
    if self.signum is not None:
      raise RunInterrupted(self.signum)

  @contextlib.contextmanager
  def deferred(self) -> Iterator[None]:
    self._deferred = True
    try:
      yield
    finally:
      self._deferred = False


@contextlib.contextmanager
def stop_on_signals() -> Iterator[StopRequest]:
  """Within the block, SIGTERM/SIGINT go to a StopRequest instead of killing the process.

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
  except StopSignal as stopped:
    raise RunInterrupted(stopped.signum) from None
  finally:
    for signum, handler in previous.items():
      signal.signal(signum, handler)
