"""Starting the real launchers from the tests, each a process of its own, from a warm server.

`start(python_args)` is `subprocess.Popen([python, *python_args])` for the parts of Popen the
tests use, served by tests/launcher_server.py: the same module or code, arguments, working
directory, environment, exit code and signals, without importing JAX again for every process.
Standard output goes to a file; standard error too, or to a pipe (`stream_stderr`) for a test
that reads the log while the process runs.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import IO

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'launcher_server.py')
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_server: dict = {}


def server_socket() -> str:
  """The socket of this process's server, started on first use (a server imports in ~3 s)."""
  if _server.get('pid') != os.getpid():
    folder = tempfile.mkdtemp(prefix='hwr_jax_launchers_')
    path = os.path.join(folder, 'socket')
    process = subprocess.Popen([sys.executable, SERVER, path], cwd=REPO,
                               stdin=subprocess.DEVNULL, env=dict(os.environ))
    atexit.register(process.kill)
    deadline = time.monotonic() + 120
    while not os.path.exists(path):
      if process.poll() is not None or time.monotonic() > deadline:
        raise RuntimeError(f'the launcher server {SERVER} did not start (exit {process.poll()})')
      time.sleep(0.05)
    _server.update(pid=os.getpid(), path=path)
  return _server['path']


class ServedProcess:
  """A launcher process started by the server, with the Popen methods the tests call."""

  def __init__(self, python_args: list[str], cwd: str, env: dict, stream_stderr: bool):
    self.args = [sys.executable, *python_args]
    self.returncode: int | None = None
    self._stdout = tempfile.TemporaryFile()
    self._stderr_file = None if stream_stderr else tempfile.TemporaryFile()
    if stream_stderr:
      read_end, write_end = os.pipe()
      self.stderr: IO[str] | None = os.fdopen(read_end, 'r', encoding='utf-8',
                                              errors='replace')
    else:
      write_end, self.stderr = os.dup(self._stderr_file.fileno()), None
    stdin = os.open(os.devnull, os.O_RDONLY)
    self._connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    self._connection.connect(server_socket())
    request = {'python_args': list(python_args), 'cwd': cwd, 'env': env}
    socket.send_fds(self._connection, [json.dumps(request).encode() + b'\n'],
                    [stdin, self._stdout.fileno(), write_end])
    for fd in (stdin, write_end):
      os.close(fd)
    self._replies = self._connection.makefile('r', encoding='utf-8')
    self.pid = int(self._replies.readline())

  def send_signal(self, sig: int) -> None:
    if self.returncode is None:
      os.kill(self.pid, sig)

  def kill(self) -> None:
    self.send_signal(signal.SIGKILL)

  def wait(self, timeout: float | None = None) -> int:
    if self.returncode is None:
      self._connection.settimeout(timeout)
      try:
        line = self._replies.readline()
      except TimeoutError as error:
        raise subprocess.TimeoutExpired(self.args, timeout) from error
      self.returncode = int(line)
      self._connection.close()
    return self.returncode

  def communicate(self, timeout: float | None = None) -> tuple[str, str]:
    """Waits for the process; returns all its standard output and the standard error not yet
    read."""
    if self.stderr is not None:
      rest = self.stderr.read()
      self.wait(timeout)
      return read_text(self._stdout), rest
    self.wait(timeout)
    return read_text(self._stdout), read_text(self._stderr_file)


def read_text(file: IO[bytes]) -> str:
  file.seek(0)
  return file.read().decode('utf-8', errors='replace')


def start(python_args: list[str], cwd: str = REPO, env: dict | None = None,
          stream_stderr: bool = False) -> ServedProcess:
  """Like `subprocess.Popen([sys.executable, *python_args], cwd=cwd, env=env)`."""
  return ServedProcess(python_args, cwd, dict(os.environ if env is None else env),
                       stream_stderr)


def run(python_args: list[str], cwd: str = REPO, env: dict | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess:
  """Like `subprocess.run([sys.executable, *python_args], capture_output=True, text=True)`."""
  process = start(python_args, cwd, env)
  try:
    stdout, stderr = process.communicate(timeout)
  except subprocess.TimeoutExpired:
    process.kill()
    raise
  return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
