"""Synthetic handwritten Syriac letters: the project's default data set, needing no download.

The 22 letters are drawn in their positional forms from glyph masters (committed, rendered from
fonts), distorted into a manuscript's hand (slant, width, pen, rotation, elastic bending),
printed on noisy paper, and written as letter crops, context crops and clean targets in the
layout of a user's own data, so they go through the ordinary folder loader. Module by module:

  letters   the alphabet, joining classes, positional forms and letter frequencies
  masters   rendering glyph masters from fonts, and the committed default masters
  hand      a manuscript's style and how it drifts with the manuscript's date
  words     neighbours consistent with a letter's form, placed on a shared baseline
  distort   warps, pen width, paper and ink
  render    one letter instance: its letter crop, context crop and clean target
  writer    the data set on disk, its parameters, and the cache
"""

from hwr_jax.data.synthetic.letters import FORMS, LETTER_NAMES, LETTERS, Letter
from hwr_jax.data.synthetic.masters import GlyphMasters, load_masters, render_masters
from hwr_jax.data.synthetic.writer import GENERATOR_VERSION, SyntheticParams
from hwr_jax.data.synthetic.writer import default_cache_root, ensure_synthetic, generate

__all__ = [
    'FORMS', 'GENERATOR_VERSION', 'GlyphMasters', 'LETTERS', 'LETTER_NAMES', 'Letter',
    'SyntheticParams', 'default_cache_root', 'ensure_synthetic', 'generate', 'load_masters',
    'render_masters',
]
