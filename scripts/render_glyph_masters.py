r"""Renders the committed glyph masters of the synthetic Syriac generator from fonts.

Run once, when the masters should change (then bump GENERATOR_VERSION in
hwr_jax/data/synthetic/writer.py so that cached sets are regenerated):

  apt-get install fonts-noto-core fonts-noto-extra fonts-unifont
  (cd /tmp && npm pack @fontsource/noto-sans-syriac-western@5.3.0 && \
   tar xzf fontsource-noto-sans-syriac-western-5.3.0.tgz)
  python -m scripts.render_glyph_masters --serto_dir=/tmp/package/files \
      [--out=hwr_jax/data/synthetic/glyph_masters.npz] [--fonts=a.ttf:estrangela,b.otf:serto] \
      [--preview=docs/glyph_masters.png]

The default fonts are Noto Sans Syriac Regular, Thin and Black (Debian fonts-noto-core and
fonts-noto-extra) and GNU Unifont (fonts-unifont), which write Estrangela, and Noto Sans Syriac
Western Regular, Thin and Black, which write Serto (the Syriac subset of the fontsource npm
package, WOFF files that FreeType reads and raqm shapes). The npz records each font's family,
style, version string, file hash and script, and the Pillow and raqm versions that shaped
them. The preview is one row per (font, form), named on its left, the 22 letters in alphabet
order from alaph on the left, ink dark on white, at half the masters' size; a form a letter
lacks is a blank cell.
"""

import os


from absl import app, flags
import numpy as np
from PIL import Image, ImageDraw

from hwr_jax.data.synthetic.letters import FORMS
from hwr_jax.data.synthetic.masters import DEFAULT_MASTERS_PATH, ESTRANGELA, SERTO
from hwr_jax.data.synthetic.masters import GlyphMasters, render_masters
from launch.common import parse_flags, report_errors

ESTRANGELA_FONTS = (
    '/usr/share/fonts/truetype/noto/NotoSansSyriac-Regular.ttf',
    '/usr/share/fonts/truetype/noto/NotoSansSyriac-Thin.ttf',
    '/usr/share/fonts/truetype/noto/NotoSansSyriac-Black.ttf',
    '/usr/share/fonts/opentype/unifont/unifont.otf',
)
# Weights 400 (Regular), 100 (Thin) and 900 (Black), as the Estrangela ones.
SERTO_FONTS = tuple(f'noto-sans-syriac-western-syriac-{weight}-normal.woff'
                    for weight in (400, 100, 900))

_OUT = flags.DEFINE_string('out', DEFAULT_MASTERS_PATH, 'Where to write the masters (.npz).')
_FONTS = flags.DEFINE_list('fonts', [], 'Font files to render, in order, each as path[:script]; '
                           'empty = the default Estrangela and Serto fonts.')
_SERTO_DIR = flags.DEFINE_string('serto_dir', 'package/files', 'The files/ folder of the '
                                 'unpacked @fontsource/noto-sans-syriac-western package.')
_PREVIEW = flags.DEFINE_string('preview', '', 'Optional PNG showing every master.')
# Room left of the preview's rows for their names.
_CAPTION_WIDTH = 250


def default_fonts(serto_dir: str) -> list[str]:
  return ([f'{path}:{ESTRANGELA}' for path in ESTRANGELA_FONTS] +
          [f'{os.path.join(serto_dir, name)}:{SERTO}' for name in SERTO_FONTS])


def preview(masters: GlyphMasters) -> Image.Image:
  """Every master on one sheet, baselines drawn faintly so that alignment can be checked."""
  rows = []
  for font in masters.bitmaps:
    for form in range(font.shape[1]):
      row = np.concatenate(list(font[:, form]), axis=1)
      row[masters.baseline] = np.maximum(row[masters.baseline], 60)
      rows.append(row)
  sheet = Image.fromarray(255 - np.concatenate(rows, axis=0))
  sheet = sheet.resize((sheet.width // 2, sheet.height // 2), Image.Resampling.LANCZOS)
  row_height = masters.canvas_shape[0] / 2
  captioned = Image.new('L', (sheet.width + _CAPTION_WIDTH, sheet.height), 255)
  captioned.paste(sheet, (_CAPTION_WIDTH, 0))
  draw = ImageDraw.Draw(captioned)
  for f, script in enumerate(masters.scripts):
    for j, form in enumerate(FORMS):
      top = (f * len(FORMS) + j) * row_height
      draw.text((4, top + row_height / 2 - 6), f'{masters.design(f).replace("Noto Sans ", "")}'
                f' ({script}), {form}', fill=0)
  return captioned


@report_errors
def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  masters = render_masters(_FONTS.value or default_fonts(_SERTO_DIR.value))
  masters.save(_OUT.value)
  if _PREVIEW.value:
    preview(masters).save(_PREVIEW.value)
  print(f'wrote {_OUT.value}: {masters.num_fonts} fonts, canvas {masters.canvas_shape}, '
        f'baseline row {masters.baseline}')
  for line, script, shaped in zip(masters.fonts, masters.scripts, masters.shaped):
    print(f'  {line}, {script}' + ('' if shaped else '  (no positional forms)'))


if __name__ == '__main__':
  app.run(main, flags_parser=parse_flags)
