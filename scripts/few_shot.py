r"""Few-shot table: how many labelled letters of a new hand a trained classifier needs.

One design of the synthetic generator (a glyph master font: every manuscript is written in
one) is held out. The default CNN is trained with its recipe (the main job's, letters shown in
context too) on the manuscripts of the other designs (data.split=font); then,
for k labelled letters per class of the held-out design, it is fine-tuned from that run
(configs/cnn_classifier.py:finetune) and, for comparison, the same recipe is trained from
scratch on the same letters. Every model is scored on the rest of the held-out design, beside
the untouched model (zero-shot). Each seed draws its own k letters and trains every run anew.

  python -m scripts.few_shot --out=runs/few_shot [--held_out=2] [--shots=1,5,20] [--seeds=0,1,2]

Writes under --out: the table (table.md, with each figure as mean ± sample standard deviation
where there are several seeds; table.json its rows; summary.json the spreads), and per seed, in
seed=N/, the labels files of each set and one workdir per run. A run already trained there is
resumed, not repeated.
"""

from __future__ import annotations

import csv
import json
import os

import numpy as np
from absl import app, flags

from hwr_jax.config_keys import assign
from hwr_jax.config_lib import load_config_file
from hwr_jax.data.sources import load_path, synthetic_root
from hwr_jax.evaluation.tables import figures_table, over_seeds, spread, write_table
from hwr_jax.io_utils import atomic_file
from hwr_jax.loop import train_and_evaluate
from hwr_jax.tasks.restore import load_trained

_OUT = flags.DEFINE_string('out', None, 'Folder of the study.')
_HELD_OUT = flags.DEFINE_integer('held_out', 2, 'Index of the held-out design in the masters '
                                 '(Estrangela: 0 Noto Regular, 1 Thin, 2 Black, 3 Unifont; '
                                 'Serto: 4 Noto Western Regular, 5 Thin, 6 Black).')
_SHOTS = flags.DEFINE_list('shots', ['1', '5', '20'], 'Labelled letters per class of the '
                           'held-out design.')
_SEEDS = flags.DEFINE_list('seeds', ['0'], 'Seeds, each of the draw of the k letters and of '
                           'every run.')
_BASE = flags.DEFINE_string('base_config', 'configs/cnn_classifier.py', "The base run's config; "
                            'its synthetic letters are the study\'s.')
_TUNE = flags.DEFINE_string('tune_config', 'configs/cnn_classifier.py:finetune', 'The config of '
                            'the runs on the k letters, fine-tuned and from scratch.')
flags.mark_flag_as_required('out')

FIGURES = ['untouched', 'fine-tuned', 'from scratch']


def read_rows(path: str) -> tuple[list[str], list[list[str]]]:
  with open(path, newline='', encoding='utf-8') as f:
    rows = list(csv.reader(f))
  return rows[0], rows[1:]


def write_rows(path: str, header: list[str], rows: list[list[str]]) -> str:
  with atomic_file(path) as f:
    csv.writer(f, lineterminator='\n').writerows([header, *rows])
  return path


def draw_shots(rows: list[list[str]], label: int, k: int, seed: int) -> tuple[list, list]:
  """k rows of each letter (column `label`; all of a letter that has fewer), drawn from the
  seed; and the rest."""
  rng = np.random.default_rng([seed, k])
  chosen = set()
  for letter in sorted({row[label] for row in rows}):
    indices = [i for i, row in enumerate(rows) if row[label] == letter]
    chosen.update(rng.permutation(indices)[:k].tolist())
  return ([row for i, row in enumerate(rows) if i in chosen],
          [row for i, row in enumerate(rows) if i not in chosen])


def train(config, workdir: str, seed: int, **settings) -> float:
  """Test accuracy of `config` trained in workdir with `seed` and `settings`."""
  config.seed = seed
  for key, value in settings.items():
    assign(config, key, value)
  return train_and_evaluate(config, workdir).scalars['test']['accuracy']


def train_base(workdir: str, font: str, seed: int) -> float:
  """The default recipe on the synthetic letters of every design but `font`; its accuracy on
  every letter of `font` (zero-shot)."""
  config = load_config_file(_BASE.value)
  config.data.update(split='font', test_groups=font)
  return train(config, workdir, seed)


def train_on_shots(spec: str, workdir: str, seed: int, letters: str, train_labels: str,
                   test_labels: str, **settings) -> float:
  """Test accuracy of the config `spec` trained on the letters of train_labels."""
  config = load_config_file(spec)
  config.data.update(source='folder', train=letters, train_labels=train_labels, test=letters,
                     test_labels=test_labels, extra_tests='', unlabelled='skip')
  return train(config, workdir, seed, **settings)


def score(trained: tuple, letters: str, labels: str) -> float:
  """Accuracy of a trained run (load_trained's task and state) on the letters of `labels`."""
  task, state = trained
  dataset = load_path('folder', letters, labels, task.config.data, task.data_info.vocabulary)
  return task.evaluate(state, {'rest': dataset}, None).scalars['rest']['accuracy']


def one_seed(out: str, seed: int, letters: str, header: list[str], held: list[list[str]]
             ) -> tuple[float, list[dict]]:
  """The zero-shot accuracy of the base run of `seed` and the table's rows, one per k."""
  base = os.path.join(out, 'base')
  zero_shot = train_base(base, held[0][header.index('font')], seed)
  untouched = load_trained(base)
  rows = []
  for k in (int(s) for s in _SHOTS.value):
    shots, rest = draw_shots(held, header.index('label'), k, seed)
    shots_csv = write_rows(os.path.join(out, f'shots_{k}.csv'), header, shots)
    rest_csv = write_rows(os.path.join(out, f'rest_{k}.csv'), header, rest)
    # The recipe's batches of 32, or all the letters where there are fewer (k=1: 22).
    batch = {'train.batch_size': min(32, len(shots))}
    tuned = train_on_shots(_TUNE.value, os.path.join(out, f'finetune_{k}'), seed,
                           letters, shots_csv, rest_csv, **batch,
                           **{'init.workdir': base, 'init.labels': 'union'})
    scratch = train_on_shots(_TUNE.value, os.path.join(out, f'scratch_{k}'), seed,
                             letters, shots_csv, rest_csv, **batch,
                             **{'init.workdir': '', 'init.labels': 'same',
                                'init.trunk_lr_scale': 1.0})
    # A row of the study tables: its three runs share the seed's folder.
    rows.append({'cell': {'seed': seed, 'k per class': k, 'letters': len(shots)},
                 'workdir': out,
                 'scalars': dict(zip(FIGURES, [score(untouched, letters, rest_csv), tuned, scratch]))})
  return zero_shot, rows


def main(argv):
  del argv
  out = _OUT.value
  root = synthetic_root(load_config_file(_BASE.value).data)
  letters = os.path.join(root, 'letters')
  with open(os.path.join(root, 'meta.json'), encoding='utf-8') as f:
    meta = json.load(f)
  font_of = {m['manuscript']: m['font'] for m in meta['manuscripts']}
  design = meta['masters']['fonts'][_HELD_OUT.value]
  header, rows = read_rows(os.path.join(letters, 'labels.csv'))
  column = header.index('manuscript')
  held = [row for row in rows if font_of[row[column]] == _HELD_OUT.value]
  trained_letters = len(rows) - len(held)
  zero_shots, table_rows = [], []
  for seed in (int(s) for s in _SEEDS.value):
    seed_out = os.path.join(out, f'seed={seed}')
    os.makedirs(seed_out, exist_ok=True)
    zero_shot, seed_rows = one_seed(seed_out, seed, letters, header, held)
    zero_shots.append(zero_shot)
    table_rows += seed_rows
  summary = over_seeds(table_rows) if len(zero_shots) > 1 else None
  keys = ['k per class', 'letters'] if summary else ['seed', 'k per class', 'letters']
  zero = spread(zero_shots)
  text = (f'Held-out design: {design} ({len(held)} letters, {len({r[column] for r in held})} '
          f'manuscripts); trained on {trained_letters} letters of the other designs; zero-shot '
          f'accuracy on every held-out letter {zero["mean"]:.4f}'
          + (f' ± {zero["sd"]:.4f} (n={zero["n"]})' if zero['sd'] is not None else '')
          + '. Scores on the held-out letters not used for tuning.\n\n'
          + figures_table(summary or table_rows, keys, FIGURES))
  write_table(out, text, table_rows, summary)
  print(text)


if __name__ == '__main__':
  app.run(main)
