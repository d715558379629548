"""Markdown tables of figures, as the study launchers (sweep, compare) print and save them.

A table's row is {'cell': {key: value}, 'workdir': ..., 'scalars': {figure: value}}. Rows of
several runs that differ only in their seed fold into one (over_runs), whose figures are
spreads: the mean, the sample standard deviation and the count of the runs that have them.
"""

from __future__ import annotations

import math
import os
from typing import Sequence

from hwr_jax.io_utils import atomic_file, write_json

SEED_KEY = 'seed'


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
  lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  lines += ['| ' + ' | '.join(cells) + ' |' for cells in rows]
  return '\n'.join(lines)


def figures_table(rows: list[dict], keys: list[str], figures: list[str]) -> str:
  """One line per row: the cell's values (under the last part of each dotted key), then its
  figures ('-' where missing)."""
  header = [key.rsplit('.', 1)[-1] for key in keys] + figures
  return markdown_table(header, [
      [str(row['cell'][key]) for key in keys]
      + [format_figure(row['scalars'][name]) if name in row['scalars'] else '-'
         for name in figures]
      for row in rows])


def format_figure(value) -> str:
  """Counts as they are, other figures to four decimals, spreads as 'mean ± sd (n=count)'."""
  if isinstance(value, dict):
    return format_spread(value)
  return str(value) if isinstance(value, int) else f'{value:.4f}'


def spread(values: Sequence[float]) -> dict:
  """The mean, sample standard deviation (None for a single value) and count of values."""
  count = len(values)
  mean = math.fsum(values) / count
  sd = (math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (count - 1))
        if count > 1 else None)
  return {'mean': mean, 'sd': sd, 'n': count, 'values': list(values)}


def format_spread(summary: dict) -> str:
  if summary['sd'] is None:
    return f'{summary["mean"]:.4f} (n=1)'
  return f'{summary["mean"]:.4f} ± {summary["sd"]:.4f} (n={summary["n"]})'


def over_runs(cell: dict, rows: list[dict]) -> dict:
  """One row for several runs: each figure's spread over the runs that have it."""
  names = sorted({name for row in rows for name in row['scalars']})
  return {'cell': cell, 'workdirs': [row['workdir'] for row in rows],
          'scalars': {name: spread([row['scalars'][name] for row in rows
                                    if name in row['scalars']])
                      for name in names}}


def over_seeds(rows: list[dict]) -> list[dict]:
  """Rows whose cells differ only in their seed, folded into one row each (first-seen order)."""
  groups = {}
  for row in rows:
    cell = {key: value for key, value in row['cell'].items() if key != SEED_KEY}
    groups.setdefault(repr(sorted(cell.items())), (cell, []))[1].append(row)
  return [over_runs(cell, members) for cell, members in groups.values()]


def write_table(out_dir: str, table: str, rows: list[dict],
                summary: list[dict] | None = None) -> None:
  """OUT/table.md (the table), OUT/table.json (the rows it was made from) and, for a table
  over seeds, OUT/summary.json (the folded rows with every spread)."""
  os.makedirs(out_dir, exist_ok=True)
  with atomic_file(os.path.join(out_dir, 'table.md')) as f:
    f.write(table + '\n')
  write_json(os.path.join(out_dir, 'table.json'), rows)
  if summary is not None:
    write_json(os.path.join(out_dir, 'summary.json'), summary)
