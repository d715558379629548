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
manuscript by the other manuscripts' mean date. The table goes to stdout, and with --out
to OUT/table.md and OUT/table.json.
"""

from __future__ import annotations

import os

import numpy as np
from absl import flags, logging

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.sources import load_splits, resize_images
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.evaluation.domain_classifier import DomainClassifier
from hwr_jax.evaluation.hands import baseline_figures, hand_figures, manuscript_ids
from hwr_jax.evaluation.tables import figures_table, write_table
from hwr_jax.loop import log_platform
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
_SEED = flags.DEFINE_integer('seed', 0, 'Seed of the drawing of letter groups.')
_OUT = flags.DEFINE_string('out', '', 'Folder for table.md and table.json.')


def letters_of(config, set_name: str) -> LetterDataset:
  """The letters of a run's data: one set, or train, val and test joined ('all'; the extra
  test sets, such as the context crops, show the same letters again)."""
  data = load_splits(config.data, config.seed)
  splits = {'train': data.train, 'val': data.val, 'test': data.test}
  splits = {name: dataset for name, dataset in splits.items() if dataset is not None}
  sets = {**splits, **data.extra_tests}
  if set_name == 'all':
    chosen = list(splits.values())
    return LetterDataset(
        images=np.concatenate([d.images for d in chosen]),
        labels=np.concatenate([d.labels for d in chosen]), vocabulary=chosen[0].vocabulary,
        names=np.concatenate([d.names for d in chosen]),
        metadata={key: np.concatenate([d.metadata[key] for d in chosen])
                  for key in chosen[0].metadata if all(key in d.metadata for d in chosen)})
  if set_name not in sets:
    raise ConfigError(f'--set={set_name}: the data has sets {sorted(sets)} (or all)')
  return sets[set_name]


def run_name(workdir: str) -> str:
  return os.path.basename(os.path.normpath(workdir))


def codes_of(workdir: str, images: np.ndarray) -> np.ndarray:
  """The codes a trained run gives the letters, resized to its image size."""
  task, state = load_trained(workdir)
  images = resize_images(images, tuple(task.data_info.image_shape))
  return np.asarray(task.encode(state, images)['z'])


def classifier_features(workdir: str, images: np.ndarray) -> np.ndarray:
  task, state = load_trained(workdir)
  classifier = DomainClassifier(workdir, task, state, task.data_info.vocabulary,
                                images.shape[1:3])
  return classifier.judge(images)[1]


def vector_spaces(letters: LetterDataset) -> dict[str, np.ndarray]:
  """Every vector space asked for: name -> (N, D) vectors of the letters."""
  spaces = {'pixels': letters.images.reshape(len(letters), -1)}
  for workdir in _WORKDIRS.value:
    spaces[f'z {run_name(workdir)}'] = codes_of(workdir, letters.images)
  if _CLASSIFIER.value:
    spaces[f'features {run_name(_CLASSIFIER.value)}'] = classifier_features(
        _CLASSIFIER.value, letters.images)
  return spaces


@report_errors
def main(argv):
  del argv
  log_platform()
  first = (_WORKDIRS.value or [_CLASSIFIER.value])[0]
  if not first:
    raise ConfigError('give --workdirs (runs whose codes to measure) and/or --classifier')
  letters = letters_of(load_run(first)[0], _SET.value)
  if 'manuscript' not in letters.metadata:
    raise DataError(f'the letters of {first} (set {_SET.value}) name no manuscript: hand '
                    'identification needs a manuscript column')
  dates = letters.metadata.get('date')
  _, manuscripts = manuscript_ids(letters.metadata['manuscript'])
  logging.info('%d letters of %d manuscripts (set %s of %s)', len(letters), len(manuscripts),
               _SET.value, first)
  rows = []
  for name, vectors in vector_spaces(letters).items():
    figures = hand_figures(vectors, letters.metadata['manuscript'], dates, _LETTERS.value,
                           _SEED.value)
    rows.append({'cell': {'space': name, 'size': vectors.shape[1]}, 'workdir': first,
                 'scalars': figures})
  figures = list(rows[0]['scalars'])
  rows.append({'cell': {'space': 'baseline', 'size': '-'}, 'workdir': first,
               'scalars': baseline_figures(letters.metadata['manuscript'], dates, figures)})
  table = (f'{len(letters)} letters of {len(manuscripts)} manuscripts (set {_SET.value})\n\n'
           + figures_table(rows, ['space', 'size'], figures))
  if _OUT.value:
    write_table(_OUT.value, table, rows)
  print(table)


def run():
  """The `hwr-hands` console script: the same as python -m launch.hands."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
