r"""What letters' vectors say about their manuscripts: hand identification and dating, for the
pixels, a classifier's features and the codes of trained encoders, side by side.

  python -m launch.hands --workdirs=runs/encoder,runs/cae [--classifier=runs/cnn] \
      [--set=test] [--letters=5] [--seed=0] [--out=runs/hands]

The letters are data set --set ('all': train, val and test) of the first workdir's data, which must
name each letter's manuscript (and its date, for the dating columns), as the synthetic letters
do. One row per vector space: 'pixels'; 'z <run>' for each --workdirs run that exports codes
(launch.encode's: GAN encoders, BiGAN, VAE-GAN, autoencoders); 'features <run>' for the
classifier's penultimate activations. Columns (hwr_jax/evaluation/hands.py):
  letter_top1/5     the own manuscript first / in the first five, by the nearest letter
  <k>_letters_top1/5  the same for the mean of k letters of one manuscript
  date_mae          years off, per manuscript, of a ridge regression from its mean vector,
                    each manuscript left out in turn
The 'baseline' row gives chance (1/M and 5/M for M manuscripts) and the error of dating each
manuscript by the other manuscripts' mean date.

A second table, for each run with a generator (GAN encoders, BiGAN, VAE-GAN): do letters drawn
from a letter's z keep its hand? For up to --edit_letters letters, z is drawn again as the same
letter (rebuilt) and as another one at random (edited); the drawings are encoded again and
identified by their nearest real letter (the letter itself left out), beside the real letters'
own ranks (real_top1/5); with --classifier, the share of rebuilt and edited letters it reads as
the letter asked for (fidelity).

The tables go to stdout, and with --out to OUT/table.md and OUT/table.json (and
OUT/edits.json).
"""

from __future__ import annotations

import os

import numpy as np
from absl import flags, logging

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.sources import named_letters, resize_images
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.evaluation.domain_classifier import DomainClassifier
from hwr_jax.evaluation.hands import (baseline_figures, edit_figures, hand_figures,
                                      manuscript_ids)
from hwr_jax.evaluation.tables import figures_table, write_table
from hwr_jax.io_utils import write_json
from hwr_jax.loop import log_platform
from hwr_jax.tasks.encoding import EncodingTask
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.workdir import load_run
from launch.common import report_errors, run_console_script

_WORKDIRS = flags.DEFINE_list('workdirs', [], 'Trained runs whose codes to measure (encoders, '
                              'autoencoders); the first one\'s data are the letters.')
_CLASSIFIER = flags.DEFINE_string('classifier', '', 'A trained classifier whose penultimate '
                                  'features to measure too.')
_SET = flags.DEFINE_string('set', 'test', 'Data set of the letters: train, val, test, an extra '
                           'test set, or all (train, val and test).')
_LETTERS = flags.DEFINE_integer('letters', 5, 'Letters per group for the few-letter columns.')
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the drawing of letter groups and edits.')
_EDIT_LETTERS = flags.DEFINE_integer('edit_letters', 2000, 'Letters drawn again as another '
                                     'letter, per run with a generator.')
_OUT = flags.DEFINE_string('out', '', 'Folder for table.md and table.json.')


def run_name(workdir: str) -> str:
  return os.path.basename(os.path.normpath(workdir))


def codes_of(task, state, images: np.ndarray) -> np.ndarray:
  """The codes a trained run gives the letters, resized to its image size."""
  images = resize_images(images, tuple(task.data_info.image_shape))
  return np.asarray(task.encode(state, images)['z'])


def load_classifier(workdir: str, image_shape: tuple[int, int]) -> DomainClassifier:
  task, state = load_trained(workdir)
  return DomainClassifier(workdir, task, state, task.data_info.vocabulary, image_shape)


def vector_spaces(letters: LetterDataset, runs: dict,
                  classifier: DomainClassifier | None) -> dict[str, np.ndarray]:
  """Every vector space asked for: name -> (N, D) vectors of the letters."""
  spaces = {'pixels': letters.images.reshape(len(letters), -1)}
  for name, (task, state) in runs.items():
    spaces[f'z {name}'] = codes_of(task, state, letters.images)
  if classifier is not None:
    spaces[f'features {run_name(classifier.workdir)}'] = classifier.judge(letters.images)[1]
  return spaces


def edit_row(name: str, task, state, letters: LetterDataset,
             classifier: DomainClassifier | None, count: int, seed: int) -> dict:
  """The hand-keeping figures of a run with a generator, on `count` letters drawn at random."""
  if task.data_info.vocabulary != letters.vocabulary:
    raise ConfigError(f'{name} knows other letters than the data of --workdirs\' first run: '
                      'redrawing a letter needs its label in the same vocabulary')
  if classifier is not None and classifier.vocabulary != task.data_info.vocabulary:
    raise ConfigError(f'--classifier={classifier.workdir} knows other letters than {name}: '
                      'fidelity needs a classifier of the same letters')
  rng = np.random.default_rng(seed)
  chosen = np.sort(rng.permutation(len(letters))[:count])
  images = resize_images(letters.images[chosen], tuple(task.data_info.image_shape))
  labels = letters.labels[chosen]
  classes = len(task.data_info.vocabulary)
  others = (labels + rng.integers(1, classes, size=len(labels))) % classes
  z = task.encode(state, images)['z']
  rebuilt, edited = task.rebuild(state, z, labels), task.rebuild(state, z, others)
  figures = edit_figures(z, task.encode(state, rebuilt)['z'], task.encode(state, edited)['z'],
                         letters.metadata['manuscript'][chosen])
  if classifier is not None:
    figures['rebuilt_fidelity'] = float(np.mean(classifier.judge(rebuilt)[0] == labels))
    figures['edited_fidelity'] = float(np.mean(classifier.judge(edited)[0] == others))
  return {'cell': {'run': name, 'letters': len(chosen)}, 'workdir': name, 'scalars': figures}


@report_errors
def main(argv):
  del argv
  log_platform()
  first = (_WORKDIRS.value or [_CLASSIFIER.value])[0]
  if not first:
    raise ConfigError('give --workdirs (runs whose codes to measure) and/or --classifier')
  letters = named_letters(load_run(first)[0], _SET.value)
  if 'manuscript' not in letters.metadata:
    raise DataError(f'the letters of {first} (set {_SET.value}) name no manuscript: hand '
                    'identification needs a manuscript column')
  dates = letters.metadata.get('date')
  _, manuscripts = manuscript_ids(letters.metadata['manuscript'])
  logging.info('%d letters of %d manuscripts (set %s of %s)', len(letters), len(manuscripts),
               _SET.value, first)
  runs = {run_name(workdir): load_trained(workdir) for workdir in _WORKDIRS.value}
  classifier = (load_classifier(_CLASSIFIER.value, letters.image_shape) if _CLASSIFIER.value
                else None)
  rows = []
  for name, vectors in vector_spaces(letters, runs, classifier).items():
    figures = hand_figures(vectors, letters.metadata['manuscript'], dates, _LETTERS.value,
                           _SEED.value)
    rows.append({'cell': {'space': name, 'size': vectors.shape[1]}, 'workdir': first,
                 'scalars': figures})
  figures = list(rows[0]['scalars'])
  rows.append({'cell': {'space': 'baseline', 'size': '-'}, 'workdir': first,
               'scalars': baseline_figures(letters.metadata['manuscript'], dates, figures)})
  table = (f'{len(letters)} letters of {len(manuscripts)} manuscripts (set {_SET.value})\n\n'
           + figures_table(rows, ['space', 'size'], figures))
  edits = [edit_row(name, task, state, letters, classifier, _EDIT_LETTERS.value, _SEED.value)
           for name, (task, state) in runs.items() if isinstance(task, EncodingTask)]
  if edits:
    table += ('\n\nLetters drawn again from their z (chance: '
              f'{1 / len(manuscripts):.4f} top-1, {min(1.0, 5 / len(manuscripts)):.4f} top-5)'
              '\n\n' + figures_table(edits, ['run', 'letters'], list(edits[0]['scalars'])))
  if _OUT.value:
    write_table(_OUT.value, table, rows)
    write_json(os.path.join(_OUT.value, 'edits.json'), edits)
  print(table)


def run():
  """The `hwr-hands` console script: the same as python -m launch.hands."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
