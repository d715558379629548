r"""Writes a data set to disk, as an image folder or an npz export, and prints a summary.

  # the synthetic Syriac set (letters/, context/, clean/ folders with labels.csv):
  python -m launch.prepare_data --source=synthetic --out=data/syriac [--num_manuscripts=40]
  # any data set to an npz export (images, labels, vocabulary, metadata):
  python -m launch.prepare_data --source=idx --data=train-images-idx3-ubyte.gz \
      --labels=train-labels-idx1-ubyte.gz --format=npz --out=data/fmnist.npz
  # a folder of crops, resized to 32x32, as npz:
  python -m launch.prepare_data --source=folder --data=my_letters --image_size=32 \
      --format=npz --out=data/letters.npz
"""

import os

from absl import app, flags

from hwr_jax import config_lib
from hwr_jax.data import arrays, export, synthetic
from hwr_jax.data.sources import SOURCES, load_path, synthetic_params
from hwr_jax.errors import ConfigError
from hwr_jax.io_utils import atomic_directory
from launch.common import parse_flags, report_errors

_SOURCE = flags.DEFINE_enum('source', 'synthetic', SOURCES, 'Kind of input data.')
_DATA = flags.DEFINE_string('data', '', 'Input path (folder, IDX images, npz, npy or mat).')
_LABELS = flags.DEFINE_string('labels', '', 'Labels file (IDX labels or a folder\'s labels).')
_OUT = flags.DEFINE_string('out', None, 'Output folder, or .npz file with --format=npz.')
_FORMAT = flags.DEFINE_enum('format', 'folder', ['folder', 'npz'], 'Output format.')
_IMAGE_SIZE = flags.DEFINE_integer('image_size', 0, 'Resize to this square size (0: keep).')
_LABEL_NAMES = flags.DEFINE_string('label_names', '', '"fashion_mnist" or comma-separated '
                                   'class names for IDX/array labels.')
_NUM_MANUSCRIPTS = flags.DEFINE_integer('num_manuscripts', 40, 'Synthetic: manuscripts.')
_LETTERS = flags.DEFINE_integer('letters_per_manuscript', 300, 'Synthetic: letters each.')
_SYNTH_SIZE = flags.DEFINE_integer('synthetic_size', 64, 'Synthetic: crop size in pixels.')
_SEED = flags.DEFINE_integer('seed', 0, 'Synthetic: seed.')
_FONTS = flags.DEFINE_string('fonts', '', 'Synthetic: comma-separated font files '
                             '(default: the committed Noto Sans Syriac / Unifont masters).')
flags.mark_flag_as_required('out')


def data_config():
  block = config_lib.data_block(
      _SOURCE.value, image_size=_IMAGE_SIZE.value, label_names=_LABEL_NAMES.value,
      synthetic=config_lib.synthetic_block(
          num_manuscripts=_NUM_MANUSCRIPTS.value, letters_per_manuscript=_LETTERS.value,
          image_size=_SYNTH_SIZE.value, seed=_SEED.value, fonts=_FONTS.value))
  return block


@report_errors
def main(argv):
  del argv
  config = data_config()
  out = _OUT.value
  if _SOURCE.value == 'synthetic' and _FORMAT.value == 'folder':
    with atomic_directory(out) as partial:
      synthetic.generate(partial, synthetic_params(config.synthetic))
    dataset = load_path('folder', os.path.join(out, 'letters'), '', config)
  else:
    if _SOURCE.value == 'synthetic':
      root = synthetic.ensure_synthetic(synthetic_params(config.synthetic))
      dataset = load_path('folder', os.path.join(root, 'letters'), '', config)
    else:
      if not _DATA.value:
        raise ConfigError(f'--source={_SOURCE.value} needs --data')
      dataset = load_path(_SOURCE.value, _DATA.value, _LABELS.value, config)
    if _FORMAT.value == 'npz':
      arrays.save_npz(dataset, out)
    else:
      export.write_image_folder(dataset, out)
  print(dataset.summary())
  print(f'written to {out}')


if __name__ == '__main__':
  app.run(main, flags_parser=parse_flags)
