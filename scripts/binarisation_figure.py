r"""The picture of page binarisation in docs/: a part of a page, its ground truth, and what each
method makes of it, side by side.

Every method binarises the whole page (the denoisers tile by tile, as launch.predict does) and
the same box is cut from each result, so the picture shows what the table's figures score.

  python -m scripts.binarisation_figure --pages=runs/pages_test \
      --workdirs=runs/denoiser_crops,runs/denoiser_pages \
      --names='crop-trained denoiser,page-trained denoiser' \
      --out=docs/page_binarisation.png
"""

from __future__ import annotations

import os

import numpy as np
from absl import app, flags
from PIL import Image, ImageDraw, ImageFont

from hwr_jax.data import images
from hwr_jax.data.synthetic.pages import PAGES_DIR, TRUTH_DIR, page_table
from hwr_jax.evaluation import baselines
from hwr_jax.io_utils import write_png
from hwr_jax.tasks.restore import load_trained

_PAGES = flags.DEFINE_string('pages', None, 'A folder of synthetic pages (prepare_data '
                             '--source=synthetic_pages).')
_PAGE = flags.DEFINE_string('page', '', 'The page to show (file name); default: the first.')
_WORKDIRS = flags.DEFINE_list('workdirs', [], 'Trained denoisers, in the order to show them.')
_NAMES = flags.DEFINE_list('names', [], 'Their captions (default: the workdirs\' names).')
_BOX = flags.DEFINE_list('box', ['0', '0', '240', '320'],
                         'top,left,height,width of the part shown, in page pixels, counted '
                         'from the top right corner of the text block (where a line starts).')
_COLUMNS = flags.DEFINE_integer('columns', 3, 'Pictures per row.')
_OUT = flags.DEFINE_string('out', 'docs/page_binarisation.png', 'The picture to write.')
flags.mark_flags_as_required(['pages'])

GAP, CAPTION = 6, 16


def text_box(truth: np.ndarray, box: list[int]) -> tuple[int, int, int, int]:
  """(top, left, bottom, right) of the box, placed from the top right corner of the ink."""
  rows, cols = np.nonzero(truth)
  top, left, height, width = box
  y = max(0, int(rows.min()) - 8 + top)
  x = min(truth.shape[1], int(cols.max()) + 8 - left)
  return y, max(0, x - width), min(truth.shape[0], y + height), x


def panel(image: np.ndarray, caption: str) -> Image.Image:
  picture = Image.new('L', (image.shape[1], image.shape[0] + CAPTION), 255)
  picture.paste(Image.fromarray(image), (0, CAPTION))
  ImageDraw.Draw(picture).text((2, 2), caption, fill=0, font=ImageFont.load_default())
  return picture


def main(argv):
  del argv
  name = _PAGE.value or page_table(_PAGES.value)[0]['image']
  scan = np.asarray(Image.open(os.path.join(_PAGES.value, PAGES_DIR, name)).convert('L'))
  page = images.normalize_polarity(scan, 'auto')
  truth = images.read_image(os.path.join(_PAGES.value, TRUTH_DIR, name)) > 0
  outputs = [('page', scan), ('ground truth', truth)]
  outputs += [(method, baselines.binarise(method, page)) for method in baselines.METHODS]
  captions = _NAMES.value or [os.path.basename(w.rstrip('/')) for w in _WORKDIRS.value]
  for workdir, caption in zip(_WORKDIRS.value, captions):
    task, state = load_trained(workdir)
    polarity = task.config.data.get('polarity', 'auto')
    outputs.append((caption, next(task.binarise_pages(
        state, [images.normalize_polarity(scan, polarity)]))))
  top, left, bottom, right = text_box(truth, [int(v) for v in _BOX.value])
  panels = [panel(image[top:bottom, left:right] if image.dtype == np.uint8 else
                  np.where(image[top:bottom, left:right], 0, 255).astype(np.uint8), caption)
            for caption, image in outputs]
  columns = _COLUMNS.value
  rows = -(-len(panels) // columns)
  width, height = panels[0].size
  sheet = Image.new('L', (columns * (width + GAP) + GAP, rows * (height + GAP) + GAP), 160)
  for i, picture in enumerate(panels):
    row, column = divmod(i, columns)
    sheet.paste(picture, (GAP + column * (width + GAP), GAP + row * (height + GAP)))
  write_png(_OUT.value, np.asarray(sheet))
  print(f'{name}, rows {top}..{bottom}, columns {left}..{right}: {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
