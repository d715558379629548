r"""Pages of held-out synthetic letters with their PAGE-XML, for a round trip through the page
tools: cut by launch.prepare_data, answered by launch.predict.

The test letters of a trained run's own split (the letters it never trained on) are laid out
in rows on pages, each letter at its own crop's full size, and every page gets a PAGE-XML 2019
file with one TextLine per row and one Glyph per letter (its rectangle and its Unicode
character) and the manuscript in its metadata.

  python -m scripts.letter_pages --workdir=runs/cnn --out=runs/pages
  python -m launch.prepare_data --source=pagexml --data=runs/pages --out=runs/page_crops --pad=0
  python -m launch.predict --workdir=runs/cnn --data=runs/page_crops --out=runs/page_crops.csv
  python -m launch.predict --workdir=runs/cnn --data=runs/pages --out=runs/pages.csv --pad=0
"""

from __future__ import annotations

import os
from xml.sax.saxutils import escape

import numpy as np
from absl import app, flags
from PIL import Image

from hwr_jax.data.sources import load_splits, synthetic_root
from hwr_jax.data.synthetic.letters import LETTERS
from hwr_jax.io_utils import atomic_directory, atomic_file
from hwr_jax.training.workdir import load_run

_WORKDIR = flags.DEFINE_string('workdir', None, 'A classifier trained on the synthetic letters.')
_OUT = flags.DEFINE_string('out', None, 'Folder of pages to write (must not exist).')
_PER_ROW = flags.DEFINE_integer('per_row', 10, 'Letters per line.')
_ROWS = flags.DEFINE_integer('rows', 10, 'Lines per page.')
flags.mark_flags_as_required(['workdir', 'out'])

PAGE_NAMESPACE = 'http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15'
MARGIN, GAP, PAPER = 40, 12, 200
CHARACTERS = {letter.name: letter.char for letter in LETTERS}


def glyph_xml(region: str, x: int, y: int, size: int, label: str) -> str:
  right, bottom = x + size - 1, y + size - 1
  return (f'<Glyph id="{region}"><Coords points="{x},{y} {right},{y} {right},{bottom} '
          f'{x},{bottom}"/><TextEquiv><Unicode>{escape(CHARACTERS[label])}</Unicode>'
          '</TextEquiv></Glyph>')


def write_page(folder: str, name: str, crops: list[np.ndarray], labels: list[str]) -> None:
  """One page image and its PAGE-XML: the crops in rows of --per_row, right to left."""
  size, per_row = crops[0].shape[0], _PER_ROW.value
  rows = -(-len(crops) // per_row)
  width = 2 * MARGIN + per_row * size + (per_row - 1) * GAP
  height = 2 * MARGIN + rows * size + (rows - 1) * GAP
  page = np.full((height, width), PAPER, np.uint8)
  lines = []
  for row in range(rows):
    glyphs = []
    y = MARGIN + row * (size + GAP)
    for column, index in enumerate(range(row * per_row, min((row + 1) * per_row, len(crops)))):
      x = width - MARGIN - size - column * (size + GAP)
      page[y:y + size, x:x + size] = crops[index]
      glyphs.append(glyph_xml(f'r{row:02d}g{column:02d}', x, y, size, labels[index]))
    lines.append(f'<TextLine id="r{row:02d}">' + ''.join(glyphs) + '</TextLine>')
  Image.fromarray(page).save(os.path.join(folder, f'{name}.png'))
  xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{PAGE_NAMESPACE}"><Metadata>'
         '<Creator>hwr-jax scripts/letter_pages.py</Creator><MetadataItem name="manuscript" '
         'value="held-out letters"/></Metadata>'
         f'<Page imageFilename="{name}.png" imageWidth="{width}" imageHeight="{height}">'
         '<TextRegion id="text">' + ''.join(lines) + '</TextRegion></Page></PcGts>\n')
  with atomic_file(os.path.join(folder, f'{name}.xml')) as f:
    f.write(xml)


def main(argv):
  del argv
  config, _ = load_run(_WORKDIR.value)
  test = load_splits(config.data, config.seed).test
  letters = os.path.join(synthetic_root(config.data), 'letters')
  crops = [np.asarray(Image.open(os.path.join(letters, str(name))).convert('L'))
           for name in test.names]
  labels = [test.vocabulary.labels[i] for i in test.labels]
  per_page = _PER_ROW.value * _ROWS.value
  with atomic_directory(_OUT.value) as partial:
    for page, start in enumerate(range(0, len(crops), per_page)):
      write_page(partial, f'page{page:03d}', crops[start:start + per_page],
                 labels[start:start + per_page])
  print(f'{len(crops)} held-out letters on {-(-len(crops) // per_page)} pages in {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
