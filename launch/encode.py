r"""Exports the codes (z vectors) an encoder run gives every image of a data set, to npz.

  python -m launch.encode --workdir=DIR [--data=PATH [--labels=FILE]] [--out=FILE]

Without --data, every split of the run's own data (train, validation if any, test and any
extra test sets, in that order); with it, any data set launch.evaluate reads, its labels mapped through the run's
vocabulary. The npz holds one row per image, in the data set's order:
  z            (N, D) float32 codes
  predicted    (N,) the encoder's class ids, where it predicts labels
  labels       (N,) class ids; label_names (N,) their names; vocabulary (C,) all names
  names        (N,) image ids (file names); split (N,) the split each image came from
  meta_<key>   (N,) every metadata column the data has (manuscript, date, ...)
It goes to --out, by default DIR/codes_<name>.npz.
"""

import os

import numpy as np
from absl import flags

from hwr_jax.data.sources import infer_kind, load_path, load_splits
from hwr_jax.errors import DataError
from hwr_jax.io_utils import atomic_file
from hwr_jax.loop import log_platform
from hwr_jax.tasks.restore import load_trained
from launch.common import report_errors, run_console_script

_WORKDIR = flags.DEFINE_string('workdir', None, 'Workdir of a trained encoder run.')
_DATA = flags.DEFINE_string('data', '', 'Data set to encode (folder, npz, arrays, IDX); '
                            'default: every split of the run\'s own data.')
_LABELS = flags.DEFINE_string('labels', '', 'Labels file (IDX labels, or a folder\'s labels).')
_OUT = flags.DEFINE_string('out', '', 'npz to write; default DIR/codes_<name>.npz.')
_STEP = flags.DEFINE_integer('step', None, 'Checkpoint step; default: the latest.')
flags.mark_flags_as_required(['workdir'])


def load_sets(task) -> tuple[str, dict]:
  """(name of the export, {split name: data set})."""
  if not _DATA.value:
    data = load_splits(task.config.data, task.config.seed)
    splits = {'train': data.train, 'val': data.val, 'test': data.test, **data.extra_tests}
    return 'all', {split: dataset for split, dataset in splits.items() if dataset is not None}
  path = os.path.abspath(_DATA.value)
  dataset = load_path(infer_kind(path), path, _LABELS.value, task.config.data,
                      task.data_info.vocabulary)
  if dataset.image_shape != task.data_info.image_shape:
    raise DataError(f'{path}: images are {dataset.image_shape}, the encoder was trained on '
                    f'{task.data_info.image_shape}')
  name = os.path.splitext(os.path.basename(path.rstrip('/')))[0]
  return name, {name: dataset}


def export_columns(task, state, sets: dict) -> dict[str, np.ndarray]:
  """Every per-image column, concatenated over the sets in order."""
  columns: dict[str, list] = {}
  for split, dataset in sets.items():
    rows = {**task.encode(state, dataset.images), 'labels': dataset.labels,
            'label_names': np.asarray(task.data_info.vocabulary.labels)[dataset.labels],
            'names': dataset.names, 'split': np.full(len(dataset), split),
            **{f'meta_{key}': value for key, value in dataset.metadata.items()}}
    for key, value in rows.items():
      columns.setdefault(key, []).append(np.asarray(value))
  out = {key: np.concatenate(parts) for key, parts in columns.items()}
  out['vocabulary'] = np.asarray(task.data_info.vocabulary.labels)
  return out


@report_errors
def main(argv):
  del argv
  log_platform()
  task, state = load_trained(_WORKDIR.value, _STEP.value)
  name, sets = load_sets(task)
  columns = export_columns(task, state, sets)
  out = _OUT.value or os.path.join(_WORKDIR.value, f'codes_{name}.npz')
  with atomic_file(out, 'wb') as f:
    np.savez(f, **columns)
  counts = ', '.join(f'{split} {len(d)}' for split, d in sets.items())
  print(f'{len(columns["z"])} codes of size {columns["z"].shape[1]} ({counts}) -> {out}')


def run():
  """The `hwr-encode` console script: the same as python -m launch.encode."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
