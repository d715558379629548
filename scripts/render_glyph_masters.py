r"""Renders the committed glyph masters of the synthetic Syriac generator from fonts.

Run once, when the masters should change (then bump GENERATOR_VERSION in
hwr_jax/data/synthetic/writer.py so that cached sets are regenerated):

  python -m scripts.render_glyph_masters \
      [--out=hwr_jax/data/synthetic/glyph_masters.npz] [--fonts=a.ttf,b.otf] [--preview=x.png]

The default fonts are Noto Sans Syriac Regular, Thin and Black (Debian fonts-noto-core and
fonts-noto-extra) and GNU Unifont (fonts-unifont); the npz records each font's family, style,
version string and file hash, and the Pillow and raqm versions that shaped them. The preview is
one row per (font, form), the 22 letters in alphabet order, ink dark on white.
"""

from absl import app, flags
import numpy as np
from PIL import Image

from hwr_jax.data.synthetic.masters import DEFAULT_FONTS, DEFAULT_MASTERS_PATH, GlyphMasters
from hwr_jax.data.synthetic.masters import render_masters
from launch.common import parse_flags, report_errors

_OUT = flags.DEFINE_string('out', DEFAULT_MASTERS_PATH, 'Where to write the masters (.npz).')
_FONTS = flags.DEFINE_list('fonts', list(DEFAULT_FONTS), 'Font files to render, in order.')
_PREVIEW = flags.DEFINE_string('preview', '', 'Optional PNG showing every master.')


def preview(masters: GlyphMasters) -> np.ndarray:
  """Every master on one sheet, baselines drawn faintly so that alignment can be checked."""
  rows = []
  for font in masters.bitmaps:
    for form in range(font.shape[1]):
      row = np.concatenate(list(font[:, form]), axis=1)
      row[masters.baseline] = np.maximum(row[masters.baseline], 60)
      rows.append(row)
  return 255 - np.concatenate(rows, axis=0)


@report_errors
def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  masters = render_masters(_FONTS.value)
  masters.save(_OUT.value)
  if _PREVIEW.value:
    Image.fromarray(preview(masters)).save(_PREVIEW.value)
  print(f'wrote {_OUT.value}: {masters.num_fonts} fonts, canvas {masters.canvas_shape}, '
        f'baseline row {masters.baseline}')
  for line, shaped in zip(masters.fonts, masters.shaped):
    print(f'  {line}' + ('' if shaped else '  (no positional forms)'))


if __name__ == '__main__':
  app.run(main, flags_parser=parse_flags)
