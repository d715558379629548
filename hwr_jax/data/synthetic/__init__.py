"""Synthetic handwritten Syriac letters: the project's default data set, needing no download.

The 22 letters are drawn in their positional forms from glyph masters (committed, rendered from
fonts of two scripts, Estrangela and Serto), distorted into a manuscript's hand (slant, width,
pen, rotation, elastic bending), printed on noisy paper, and written as letter crops, context
crops (gray and binarised) and clean targets in the layout of a user's own data, so they go
through the ordinary folder loader. Module by module:

  letters   the alphabet, Unicode joining types, positional forms and letter frequencies
  masters   rendering glyph masters from fonts (each with its script), the committed masters
  hand      a manuscript's script and style, and how the style drifts with its date
  words     neighbours consistent with a letter's form, placed on a shared baseline
  distort   warps, pen width, paper and ink
  render    one letter instance: its letter crop, context crop and clean target
  writer    the data set on disk, its parameters, and the cache
  pages     manuscript pages of shaped words in one hand, their ground truth and PAGE-XML
"""

from hwr_jax.data.synthetic.letters import FORMS, LETTER_NAMES, LETTERS, Letter
from hwr_jax.data.synthetic.masters import GlyphMasters, load_masters, render_masters
from hwr_jax.data.synthetic.pages import PageParams, ensure_pages, generate_pages
from hwr_jax.data.synthetic.writer import GENERATOR_VERSION, SyntheticParams
from hwr_jax.data.synthetic.writer import default_cache_root, ensure_synthetic, generate

__all__ = [
    'FORMS', 'GENERATOR_VERSION', 'GlyphMasters', 'LETTERS', 'LETTER_NAMES', 'Letter',
    'PageParams', 'SyntheticParams', 'default_cache_root', 'ensure_pages', 'ensure_synthetic',
    'generate', 'generate_pages', 'load_masters', 'render_masters',
]
