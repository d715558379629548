"""Markdown tables of figures, as the study launchers (sweep, compare) print and save them."""

from __future__ import annotations

import os
from typing import Sequence

from hwr_jax.io_utils import atomic_file, write_json


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
  lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  lines += ['| ' + ' | '.join(cells) + ' |' for cells in rows]
  return '\n'.join(lines)


def figures_table(rows: list[dict], keys: list[str], figures: list[str]) -> str:
  """rows: {'cell': {key: value}, 'scalars': {figure: value}}; one line per row, the cell's
  values (under the last part of each dotted key), then its figures ('-' where missing)."""
  header = [key.rsplit('.', 1)[-1] for key in keys] + figures
  return markdown_table(header, [
      [str(row['cell'][key]) for key in keys]
      + [format_figure(row['scalars'][name]) if name in row['scalars'] else '-'
         for name in figures]
      for row in rows])


def format_figure(value) -> str:
  """Counts as they are, other figures to four decimals."""
  return str(value) if isinstance(value, int) else f'{value:.4f}'


def write_table(out_dir: str, table: str, rows: list[dict]) -> None:
  """OUT/table.md (the table) and OUT/table.json (the rows it was made from)."""
  os.makedirs(out_dir, exist_ok=True)
  with atomic_file(os.path.join(out_dir, 'table.md')) as f:
    f.write(table + '\n')
  write_json(os.path.join(out_dir, 'table.json'), rows)
