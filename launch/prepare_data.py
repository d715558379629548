r"""Writes a data set to disk, as an image folder or an npz export, and prints a summary.

Beside every output goes <out>.preview.png (for an npz, <stem>.preview.png): the first 100
images as the model will see them (prepared at --image_size with --resize and --polarity, as
the data block's keys of the same names would), to check polarity and cropping at a glance.

  # the synthetic Syriac set (letters/, context/, context_binary/, clean/ with labels.csv):
  python -m launch.prepare_data --source=synthetic --out=data/syriac [--num_manuscripts=40]
  # any data set to an npz export (images, labels, vocabulary, metadata):
  python -m launch.prepare_data --source=idx --data=train-images-idx3-ubyte.gz \
      --labels=train-labels-idx1-ubyte.gz --format=npz --out=data/fmnist.npz
  # a folder of crops, resized to 32x32, as npz:
  python -m launch.prepare_data --source=folder --data=my_letters --image_size=32 \
      --format=npz --out=data/letters.npz
  # the glyphs of PAGE-XML (or ALTO: --source=alto) pages with their images, as a folder of
  # crops and labels.csv (--level=word|line for larger regions; --pad pixels of margin):
  python -m launch.prepare_data --source=pagexml --data=pages/ --out=data/pages \
      [--level=glyph] [--pad=4] [--resize=pad --polarity=dark_ink]
  # synthetic manuscript pages: pages/ (page images and their PAGE-XML), truth/ (the binary
  # ground truth), meta.json; the preview is the first page and its ground truth:
  python -m launch.prepare_data --source=synthetic_pages --out=data/pages [--pages=24] [--seed=0]
"""

import os

import numpy as np
from absl import flags

from hwr_jax import config_lib
from hwr_jax.data import arrays, export, images, page_regions, streams, synthetic
from hwr_jax.data.sources import SOURCES, SYNTHETIC_PAGES, image_options, load_path
from hwr_jax.data.sources import pages_params, synthetic_params, synthetic_root
from hwr_jax.data.synthetic import pages as synthetic_pages
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.io_utils import atomic_directory, write_png
from launch.common import report_errors, run_console_script

_DEFAULTS = config_lib.data_block()
PREVIEW_COUNT, PREVIEW_COLUMNS = 100, 10

_SOURCE = flags.DEFINE_enum('source', 'synthetic',
                            SOURCES + (SYNTHETIC_PAGES,) + page_regions.SOURCES,
                            'Kind of input data (pagexml, alto: a folder of pages and their '
                            'images, cut into crops; synthetic_pages: manuscript pages with '
                            'their ground truth and PAGE-XML).')
_DATA = flags.DEFINE_string('data', '', 'Input path (folder, IDX images, npz, npy or mat, or '
                            'a folder of PAGE-XML/ALTO pages).')
_LABELS = flags.DEFINE_string('labels', '', 'Labels file (IDX labels or a folder\'s labels).')
_OUT = flags.DEFINE_string('out', None, 'Output folder, or .npz file with --format=npz.')
_FORMAT = flags.DEFINE_enum('format', 'folder', ['folder', 'npz'], 'Output format.')
_IMAGE_SIZE = flags.DEFINE_integer('image_size', 0, 'Resize to this square size (0: keep; '
                                   'PAGE-XML/ALTO crops are written as cut and previewed at '
                                   f'this size, 0: {_DEFAULTS.image_size}).')
_RESIZE = flags.DEFINE_enum('resize', _DEFAULTS.resize, images.RESIZE_MODES,
                            'How images reach --image_size, as data.resize: stretch, or pad '
                            '(aspect ratio kept, filled with the background).')
_POLARITY = flags.DEFINE_enum('polarity', _DEFAULTS.polarity, images.POLARITIES,
                              'How image files are made ink bright, as data.polarity: auto '
                              '(guessed per image), dark_ink (always inverted), light_ink '
                              '(never).')
_LEVEL = flags.DEFINE_enum('level', 'glyph', page_regions.LEVELS,
                           'PAGE-XML/ALTO: the regions to cut out.')
_PAD = flags.DEFINE_integer('pad', 4, 'PAGE-XML/ALTO: pixels of margin around a region.')
_LABEL_NAMES = flags.DEFINE_string('label_names', '', '"fashion_mnist" or comma-separated '
                                   'class names for IDX/array labels.')
_NUM_MANUSCRIPTS = flags.DEFINE_integer('num_manuscripts', 40, 'Synthetic: manuscripts.')
_LETTERS = flags.DEFINE_integer('letters_per_manuscript', 300, 'Synthetic: letters each.')
_SYNTH_SIZE = flags.DEFINE_integer('synthetic_size', 64, 'Synthetic: crop size in pixels.')
_SEED = flags.DEFINE_integer('seed', 0, 'Synthetic (letters or pages): seed.')
_PAGES = flags.DEFINE_integer('pages', config_lib.pages_block().num_pages,
                              'Synthetic pages: pages to draw.')
_FONTS = flags.DEFINE_string('fonts', '', 'Synthetic: comma-separated font files '
                             '(default: the committed Noto Sans Syriac / Unifont masters).')
flags.mark_flag_as_required('out')


def data_config():
  pages = _SOURCE.value in page_regions.SOURCES
  # Page crops come out in every size and are written as cut; they are previewed at the size a
  # run reads them at, the data block's own unless --image_size says otherwise.
  size = _IMAGE_SIZE.value or (_DEFAULTS.image_size if pages else 0)
  block = config_lib.data_block(
      'folder' if pages else _SOURCE.value, image_size=size, resize=_RESIZE.value,
      polarity=_POLARITY.value, label_names=_LABEL_NAMES.value,
      synthetic=config_lib.synthetic_block(
          num_manuscripts=_NUM_MANUSCRIPTS.value, letters_per_manuscript=_LETTERS.value,
          image_size=_SYNTH_SIZE.value, seed=_SEED.value, fonts=_FONTS.value))
  return block


def preview_path(out: str, output_format: str) -> str:
  """<out>.preview.png beside the output, never inside it: a folder's labels list and its
  atomic rename stay untouched. An npz's preview takes its stem, as its vocabulary file does."""
  if output_format == 'npz':
    return os.path.splitext(out)[0] + '.preview.png'
  return os.path.normpath(out) + '.preview.png'


def write_preview(prepared, path: str) -> None:
  """The first PREVIEW_COUNT images (N, H, W) as one grid, PREVIEW_COLUMNS to a row."""
  write_png(path, image_grid(prepared, min(PREVIEW_COLUMNS, len(prepared))))


def write_synthetic_pages(out: str):
  """Draws the pages into the folder `out`; returns the first page and its ground truth, as
  a model reads them (ink bright)."""
  if _FORMAT.value != 'folder':
    raise ConfigError(f'--source={SYNTHETIC_PAGES} writes a folder of pages (--format=folder)')
  params = pages_params(config_lib.pages_block(num_pages=_PAGES.value, seed=_SEED.value,
                                               fonts=_FONTS.value))
  with atomic_directory(out) as partial:
    synthetic_pages.generate_pages(partial, params)
  table = synthetic_pages.page_table(out)
  print(f'{len(table)} pages of {params.num_manuscripts} manuscripts, '
        f'{sum(row["glyphs"] for row in table)} letters; page sizes from '
        f'{min(row["width"] for row in table)}x{min(row["height"] for row in table)} to '
        f'{max(row["width"] for row in table)}x{max(row["height"] for row in table)}')
  first = table[0]['image']
  return np.stack([images.read_image(os.path.join(out, folder, first))
                   for folder in (synthetic_pages.PAGES_DIR, synthetic_pages.TRUTH_DIR)])


def write_page_crops(config, out: str):
  """Cuts the pages' regions into the folder `out`; returns the first crops, prepared."""
  if _FORMAT.value != 'folder':
    raise ConfigError(f'--source={_SOURCE.value} writes an image folder (--format=folder); '
                      f'make an npz of it afterwards with --source=folder --data={out}')
  summary = page_regions.write_crops(_SOURCE.value, _DATA.value, out, _LEVEL.value, _PAD.value)
  print(summary)
  stream = streams.folder_stream(out, image_options(config))
  return stream.read(0, min(PREVIEW_COUNT, len(stream)))


@report_errors
def main(argv):
  del argv
  config = data_config()
  out = _OUT.value
  if _SOURCE.value not in ('synthetic', SYNTHETIC_PAGES) and not _DATA.value:
    raise ConfigError(f'--source={_SOURCE.value} needs --data')
  if _SOURCE.value == SYNTHETIC_PAGES:
    prepared = write_synthetic_pages(out)
  elif _SOURCE.value in page_regions.SOURCES:
    prepared = write_page_crops(config, out)
  else:
    if _SOURCE.value == 'synthetic' and _FORMAT.value == 'folder':
      with atomic_directory(out) as partial:
        synthetic.generate(partial, synthetic_params(config.synthetic))
      dataset = load_path('folder', os.path.join(out, 'letters'), '', config)
    else:
      if _SOURCE.value == 'synthetic':
        root = synthetic_root(config)
        dataset = load_path('folder', os.path.join(root, 'letters'), '', config)
      else:
        dataset = load_path(_SOURCE.value, _DATA.value, _LABELS.value, config)
      if _FORMAT.value == 'npz':
        arrays.save_npz(dataset, out)
      else:
        export.write_image_folder(dataset, out)
    print(dataset.summary())
    prepared = dataset.images[:PREVIEW_COUNT]
  preview = preview_path(out, _FORMAT.value)
  write_preview(prepared, preview)
  print(f'written to {out}')
  print(f'preview: {preview}')


def run():
  """The `hwr-prepare-data` console script: the same as python -m launch.prepare_data."""
  run_console_script(main, __name__)


if __name__ == '__main__':
  run()
