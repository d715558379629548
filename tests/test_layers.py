"""Packages import downward only, and no module imports itself back through others.

Read from the source (every import statement, at any depth, of every module of the library,
the launchers and the configs), so a new upward import fails here before anyone trips on it.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Lowest first. A module may import its own unit or a lower one, never a higher one.
LAYERS = (
    ('hwr_jax.errors',),
    ('hwr_jax.io_utils', 'hwr_jax.registry', 'hwr_jax.config_keys', 'hwr_jax.parallel'),
    ('hwr_jax.data', 'hwr_jax.models'),
    ('hwr_jax.training',),
    ('hwr_jax.evaluation',),
    ('hwr_jax.tasks',),
    ('hwr_jax.loop', 'hwr_jax.prediction', 'hwr_jax.config_lib'),
    ('hwr_jax.benchmarks',),
    ('launch', 'configs'),
)
UNITS = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def module_name(path: pathlib.Path) -> str:
  parts = path.relative_to(ROOT).with_suffix('').parts
  return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


def all_modules() -> dict[str, pathlib.Path]:
  files = [*ROOT.glob('hwr_jax/**/*.py'), *ROOT.glob('launch/*.py'), *ROOT.glob('configs/*.py')]
  return {module_name(path): path for path in files}


def unit_of(module: str) -> str:
  """The longest layer unit that is `module` or contains it."""
  candidates = [u for u in UNITS if module == u or module.startswith(u + '.')]
  if not candidates:
    raise AssertionError(f'{module} belongs to no layer of tests/test_layers.py: add it there')
  return max(candidates, key=len)


def imported_modules(path: pathlib.Path, known: set[str]) -> set[str]:
  """The project modules `path` imports: `from a.b import c` means a.b.c where that is a
  module, else a.b."""
  out = set()
  for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
    if isinstance(node, ast.Import):
      names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.level:
      raise AssertionError(f'{path}:{node.lineno}: a relative import; write the full path, '
                           'so this check sees it')
    elif isinstance(node, ast.ImportFrom) and node.module:
      names = [f'{node.module}.{alias.name}' if f'{node.module}.{alias.name}' in known
               else node.module for alias in node.names]
    else:
      continue
    out.update(name for name in names if name in known)
  return out


@pytest.fixture(scope='module')
def graph() -> dict[str, set[str]]:
  modules = all_modules()
  return {name: imported_modules(path, set(modules)) for name, path in modules.items()}


def test_every_import_points_down_or_stays_in_its_unit(graph):
  upward = [f'{importer} ({unit_of(importer)}) imports {imported} ({unit_of(imported)})'
            for importer, targets in graph.items() for imported in targets
            if UNITS[unit_of(imported)] > UNITS[unit_of(importer)]
            or (UNITS[unit_of(imported)] == UNITS[unit_of(importer)]
                and unit_of(imported) != unit_of(importer))]
  assert not upward, '\n'.join(upward)


def find_cycle(graph: dict[str, set[str]]):
  """A list of modules that import each other round, or None."""
  done, path = set(), []

  def visit(module):
    if module in path:
      return path[path.index(module):] + [module]
    if module in done:
      return None
    path.append(module)
    for target in sorted(graph.get(module, ())):
      cycle = visit(target)
      if cycle:
        return cycle
    path.pop()
    done.add(module)
    return None

  for module in sorted(graph):
    cycle = visit(module)
    if cycle:
      return cycle
  return None


def test_no_import_cycle(graph):
  cycle = find_cycle(graph)
  assert cycle is None, ' -> '.join(cycle)


def test_the_checks_catch_an_upward_import_and_a_cycle(graph):
  bad = {**graph, 'hwr_jax.data.pipeline': graph['hwr_jax.data.pipeline'] | {'hwr_jax.loop'}}
  assert find_cycle(bad) is not None
  assert UNITS[unit_of('hwr_jax.loop')] > UNITS[unit_of('hwr_jax.data.pipeline')]
  assert 'hwr_jax.data.pipeline' in graph and graph['hwr_jax.loop']
