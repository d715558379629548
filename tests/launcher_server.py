"""A warm interpreter that starts the tests' launcher processes: `python tests/launcher_server.py
SOCKET`.

A launcher spends about 3 s of CPU importing JAX, Flax, Optax, Orbax and the rest before its
first line of work, and the suite starts about a hundred of them. This server imports those
once, then forks a copy of itself for each request, which runs the launcher module as
`python -m` would, with the client's argv, working directory, environment and standard
streams (passed as file descriptors). The imports read no settings from the environment, except
JAX's own, which it reads at import: a request whose JAX_* or XLA_* variables differ from the
server's is executed in a fresh interpreter instead. Nothing here touches a device, so every
copy starts with no backend and no threads of XLA's.

Per request a monitor process forks the launcher, sends the client its pid, and once it ends,
its exit code (negative for a signal, as subprocess reports it).
"""

import importlib
import json
import os
import runpy
import signal
import socket
import sys

# What every launcher imports; tensorboardX is the writers' (and imports PyTorch where it is
# installed).
WARM_MODULES = ('absl.app', 'flax.linen', 'jax.numpy', 'ml_collections', 'numpy', 'optax',
                'orbax.checkpoint', 'PIL.Image', 'scipy.ndimage', 'tensorboardX')
for name in WARM_MODULES:
  importlib.import_module(name)

STARTUP_ENVIRONMENT = dict(os.environ)
STREAMS = 3  # stdin, stdout, stderr


def read_at_import(environment: dict) -> dict:
  return {k: v for k, v in environment.items() if k.startswith(('JAX_', 'XLA_'))}


def become_launcher(request: dict, fds: list[int]) -> None:
  """Turns this process into `python -m MODULE ARGS` (or `python -c CODE ARGS`); returns to run
  it at top level, so that the interpreter ends the way a fresh one would."""
  for target, fd in enumerate(fds):
    os.dup2(fd, target)
    os.close(fd)
  os.chdir(request['cwd'])
  if read_at_import(request['env']) != read_at_import(STARTUP_ENVIRONMENT):
    os.execve(sys.executable, [sys.executable, *request['python_args']], request['env'])
  os.environ.clear()
  os.environ.update(request['env'])
  signal.signal(signal.SIGCHLD, signal.SIG_DFL)
  sys.path[0] = request['cwd']


def receive(connection: socket.socket) -> tuple[dict, list[int]]:
  """One request: a line of JSON, sent with the three streams' file descriptors."""
  message, fds, _, _ = socket.recv_fds(connection, 1 << 16, STREAMS)
  while not message.endswith(b'\n'):
    message += connection.recv(1 << 16)
  return json.loads(message), fds


def serve(path: str) -> None:
  server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
  server.bind(f'{path}.binding')
  server.listen()
  os.rename(f'{path}.binding', path)  # the path appears once it takes connections
  server.settimeout(5)
  client = os.getppid()
  signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped by the kernel
  while os.getppid() == client:  # ends with the test process that started it
    try:
      connection, _ = server.accept()
    except TimeoutError:
      continue
    connection.settimeout(None)
    request, fds = receive(connection)
    if os.fork() == 0:
      server.close()
      signal.signal(signal.SIGCHLD, signal.SIG_DFL)
      launcher = os.fork()
      if launcher == 0:
        connection.close()
        become_launcher(request, fds)
        return run(request)
      for fd in fds:
        os.close(fd)
      connection.sendall(f'{launcher}\n'.encode())
      _, status = os.waitpid(launcher, 0)
      connection.sendall(f'{os.waitstatus_to_exitcode(status)}\n'.encode())
      os._exit(0)
    for fd in fds:
      os.close(fd)
    connection.close()


def run(request: dict) -> None:
  args = request['python_args']
  if args[0] == '-m':
    sys.argv = [args[1], *args[2:]]
    runpy.run_module(args[1], run_name='__main__', alter_sys=True)
  else:
    sys.argv = ['-c', *args[2:]]
    exec(compile(args[1], '<string>', 'exec'), {'__name__': '__main__'})


if __name__ == '__main__':
  serve(sys.argv[1])
