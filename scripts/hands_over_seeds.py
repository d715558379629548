r"""Folds the tables of launch.hands run once per seed into one, each figure as mean ± sample
standard deviation (n=seeds): rows match by their place in the table (each seed's runs in the
same order); where the seeds name a row differently ('z seed=0.grafted', 'z seed=1.grafted'),
the characters that differ become '*' ('z seed=*.grafted').

  python -m scripts.hands_over_seeds runs/seeds/hands_all/seed=0 runs/seeds/hands_all/seed=1 ...
"""

from __future__ import annotations

import os
import sys

from hwr_jax.evaluation.tables import figures_table, over_runs
from hwr_jax.io_utils import read_json


def merged_name(values: list) -> object:
  """One name for a row's cell value over the seeds."""
  if all(value == values[0] for value in values):
    return values[0]
  texts = [str(value) for value in values]
  if len({len(text) for text in texts}) != 1:
    return '|'.join(texts)
  return ''.join(chars[0] if len(set(chars)) == 1 else '*' for chars in zip(*texts))


def folded(folders: list[str], file_name: str, keys: list[str]) -> str:
  tables = [read_json(os.path.join(folder, file_name)) for folder in folders]
  if len({len(table) for table in tables}) != 1:
    raise SystemExit(f'{file_name}: the folders hold tables of different lengths')
  rows = [over_runs({key: merged_name([row['cell'][key] for row in rows]) for key in keys}, rows)
          for rows in zip(*tables)]
  return figures_table(rows, keys, list(tables[0][0]['scalars']))


def main(folders: list[str]) -> None:
  if len(folders) < 2:
    raise SystemExit('usage: python -m scripts.hands_over_seeds FOLDER FOLDER [...]')
  print(folded(folders, 'table.json', ['space', 'size']))
  if all(os.path.exists(os.path.join(folder, 'edits.json')) for folder in folders):
    print()
    print(folded(folders, 'edits.json', ['run', 'letters']))


if __name__ == '__main__':
  main(sys.argv[1:])
