"""Glyph masters: every positional form of every letter, rendered once from a font.

The generator never touches a font at run time unless the user asks for one: the default
masters are committed as `glyph_masters.npz` (rendered by scripts/render_glyph_masters.py from
Noto Sans Syriac Regular, Thin and Black and GNU Unifont, in the Estrangela script, and Noto Sans
Syriac Western Regular, Thin and Black, in the Serto script), so the default data set is the
same on every machine whatever fonts it has installed. Every font is recorded with its script,
and a synthetic manuscript is written in one script.

Positional forms come from OpenType shaping (Pillow's raqm layout): a zero-width joiner on the
side(s) where a letter joins makes the shaper pick the initial, medial or final glyph, exactly
as inside a word. Unifont has no Syriac shaping rules, so its four forms are all the isolated
glyph; `shaped` records which fonts really have distinct forms, and the generator draws only
isolated forms, unjoined, from a font that has none.

Layout of the masters: every bitmap is coverage (0 = paper, 255 = ink) on one canvas shared by
all fonts, letters and forms, with the baseline on row `baseline` and the left end of the
glyph's advance box (where the pen stops, since Syriac runs right to left) on column `origin`.
Placing form after form at their advances on a shared baseline therefore composes a joined
word. Each font is drawn at the size that makes the median ink height of its isolated letters
`body_height` pixels, so fonts whose letters fill the em box differently come out at one
size; `body_height` is the unit every size in the generator is expressed in.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import struct
from typing import Sequence

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageFont, features
from scipy import ndimage

from hwr_jax.data.synthetic.letters import FINAL, FORMS, INITIAL, ISOLATED, LETTER_NAMES
from hwr_jax.data.synthetic.letters import LETTERS, MEDIAL
from hwr_jax.errors import DataError

DEFAULT_MASTERS_PATH = os.path.join(os.path.dirname(__file__), 'glyph_masters.npz')
ESTRANGELA, SERTO = 'estrangela', 'serto'
BODY_HEIGHT = 30
# Room around the union of all glyph boxes, so that thickening strokes by a few pixels and
# the signed distance field around them stay inside the canvas.
CANVAS_MARGIN = 6
# Signed distance given to everything outside a glyph's canvas: far beyond any stroke width.
FAR = 64.0
_ZWJ = '\u200d'
_PROBE_SIZE = 64


@dataclasses.dataclass(frozen=True, eq=False)
class GlyphMasters:
  """Coverage bitmaps of every (font, letter, form) and what is needed to compose words.

  bitmaps:       (fonts, 22, 4, H, W) uint8 coverage; forms a letter lacks are blank.
  advances:      (fonts, 22, 4) float32 advance widths in pixels.
  baseline:      row of the baseline on the canvas.
  origin:        column of the left end of the advance box on the canvas.
  body_height:   median ink height of the isolated letters, in pixels (the size unit).
  stroke_widths: (fonts,) typical stroke width of each font in pixels.
  shaped:        (fonts,) whether the font has positional forms distinct from the isolated.
  fonts:         one line per font: family, style and version from its name table, and the
                 pixel size it was drawn at.
  font_files:    the file name each font came from, with the start of its SHA-256.
  scripts:       the script each font writes ('estrangela', 'serto', or a user's name).
  """

  bitmaps: np.ndarray
  advances: np.ndarray
  baseline: int
  origin: int
  body_height: float
  stroke_widths: np.ndarray
  shaped: np.ndarray
  fonts: tuple[str, ...]
  font_files: tuple[str, ...]
  scripts: tuple[str, ...]

  @property
  def num_fonts(self) -> int:
    return self.bitmaps.shape[0]

  @property
  def canvas_shape(self) -> tuple[int, int]:
    return tuple(self.bitmaps.shape[-2:])

  @property
  def script_names(self) -> tuple[str, ...]:
    """The scripts of the fonts, each once, in the order they first appear."""
    return tuple(dict.fromkeys(self.scripts))

  def design(self, font: int) -> str:
    """A font's family and style (its description without version and size): the name a
    design split holds out."""
    return self.fonts[font].split(',')[0]

  @functools.cached_property
  def signed_distances(self) -> np.ndarray:
    """(fonts, 22, 4, H, W) float32 signed distance to the ink outline, negative inside.

    Strokes are modelled as a distance field so that a pen of any width is one threshold
    away (dilation and erosion by a fraction of a pixel), and a word is the minimum of its
    letters' fields.
    """
    flat = self.bitmaps.reshape((-1,) + self.canvas_shape)
    return np.stack([signed_distance(b) for b in flat]).reshape(self.bitmaps.shape)

  @functools.cached_property
  def ink_boxes(self) -> np.ndarray:
    """(fonts, 22, 4, 4) float32 ink box (top, left, bottom, right) of each bitmap; the
    crops are centred on it, as a segmenter centres the letters it cuts out."""
    boxes = np.zeros(self.bitmaps.shape[:3] + (4,), np.float32)
    for index in np.ndindex(*self.bitmaps.shape[:3]):
      rows, cols = np.nonzero(self.bitmaps[index] >= 128)
      if rows.size:
        boxes[index] = (rows.min(), cols.min(), rows.max() + 1, cols.max() + 1)
    return boxes

  def describe(self) -> dict:
    """What meta.json records about the masters a data set was drawn from."""
    return {'fonts': list(self.fonts), 'font_files': list(self.font_files),
            'scripts': list(self.scripts), 'shaped': [bool(s) for s in self.shaped],
            'body_height': float(self.body_height)}

  def save(self, path: str) -> None:
    """Writes the masters as a compressed npz (strings as unicode arrays, no pickles)."""
    np.savez_compressed(
        path, bitmaps=self.bitmaps, advances=self.advances, baseline=self.baseline,
        origin=self.origin, body_height=self.body_height, stroke_widths=self.stroke_widths,
        shaped=self.shaped, fonts=np.array(self.fonts), font_files=np.array(self.font_files),
        scripts=np.array(self.scripts), letters=np.array(LETTER_NAMES), forms=np.array(FORMS),
        renderer=np.array(f'Pillow {PIL.__version__}, raqm {features.version("raqm")}'))


def signed_distance(coverage: np.ndarray) -> np.ndarray:
  """Signed distance in pixels from each pixel to the 50% coverage outline, negative in ink.

  Pixels on the anti-aliased edge take their distance from their coverage, which keeps the
  outline's sub-pixel position that a plain distance transform of the binary mask would lose.
  """
  alpha = coverage.astype(np.float32) / 255.0
  inside = alpha >= 0.5
  if not inside.any():
    return np.full(coverage.shape, FAR, np.float32)
  outside_distance = ndimage.distance_transform_edt(~inside)
  inside_distance = ndimage.distance_transform_edt(inside)
  distance = np.where(inside, 0.5 - inside_distance, outside_distance - 0.5)
  edge = (alpha > 0) & (alpha < 1) & (np.abs(distance) <= 1.0)
  distance = np.where(edge, 0.5 - alpha, distance)
  return np.minimum(distance, FAR).astype(np.float32)


def _shaped_text(char: str, form: str) -> str:
  """The text whose shaping yields `form`: a joiner on each side the letter connects to.
  Text is in logical order, so the right-hand (preceding) joiner comes first."""
  return {ISOLATED: char, INITIAL: char + _ZWJ, MEDIAL: _ZWJ + char + _ZWJ,
          FINAL: _ZWJ + char}[form]


def _name_table_version(data: bytes) -> str:
  """The version (name id 5) of an OpenType/TrueType font file, '' if unreadable."""
  try:
    offset = struct.unpack('>I', data[12:16])[0] if data[:4] == b'ttcf' else 0
    num_tables = struct.unpack('>H', data[offset + 4:offset + 6])[0]
    for i in range(num_tables):
      entry = offset + 12 + 16 * i
      tag, _, table, _ = struct.unpack('>4sIII', data[entry:entry + 16])
      if tag != b'name':
        continue
      _, count, strings = struct.unpack('>HHH', data[table:table + 6])
      for j in range(count):
        record = table + 6 + 12 * j
        platform, _, _, name_id, length, start = struct.unpack(
            '>6H', data[record:record + 12])
        if name_id == 5:
          raw = data[table + strings + start:table + strings + start + length]
          text = raw.decode('utf-16-be' if platform in (0, 3) else 'latin-1')
          # Build-tool notes (ttfautohint options) follow a semicolon; the version is before.
          return text.split(';')[0].strip()
  except (struct.error, UnicodeDecodeError):
    pass
  return ''


def _open_font(path: str, size: int) -> ImageFont.FreeTypeFont:
  try:
    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)
  except OSError as e:
    raise DataError(f'cannot load font {path}: {e}') from e


def _ink_box(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int]:
  return font.getbbox(text, anchor='ls', direction='rtl')


def _draw(font: ImageFont.FreeTypeFont, text: str, shape: tuple[int, int], baseline: int,
          origin: int) -> np.ndarray:
  image = Image.new('L', (shape[1], shape[0]), 0)
  ImageDraw.Draw(image).text((origin, baseline), text, font=font, fill=255, anchor='ls',
                             direction='rtl')
  return np.asarray(image)


def _stroke_width(bitmaps: np.ndarray) -> float:
  """Median over glyphs of 2 * area / outline length, which is the width of a long stroke."""
  widths = []
  for bitmap in bitmaps:
    ink = bitmap >= 128
    outline = ink & ~ndimage.binary_erosion(ink)
    if outline.sum():
      widths.append(2.0 * ink.sum() / outline.sum())
  return float(np.median(widths))


def _has_positional_forms(bitmaps: np.ndarray) -> bool:
  """Whether any letter's joined forms differ from its isolated one ((22, 4, H, W) input)."""
  isolated = FORMS.index(ISOLATED)
  return any(not np.array_equal(bitmaps[i, FORMS.index(form)], bitmaps[i, isolated])
             for i, letter in enumerate(LETTERS) for form in letter.forms)


def _sized_font(path: str, body_height: float) -> ImageFont.FreeTypeFont:
  """The font at the pixel size where its isolated letters' median ink height is
  `body_height`; refuses fonts that lack a Syriac letter rather than drawing boxes."""
  if not os.path.isfile(path):
    raise DataError(f'font file not found: {path}')
  probe = _open_font(path, _PROBE_SIZE)
  probe_shape = (3 * _PROBE_SIZE, 3 * _PROBE_SIZE)

  def draw(text: str) -> np.ndarray:
    return _draw(probe, text, probe_shape, 2 * _PROBE_SIZE, _PROBE_SIZE)

  missing = draw('\U0010fffd')
  heights = []
  for letter in LETTERS:
    if np.array_equal(draw(letter.char), missing):
      raise DataError(f'font {path} has no glyph for {letter.name} (U+{letter.code_point:04X})')
    top, bottom = _ink_box(probe, letter.char)[1::2]
    if bottom <= top:
      raise DataError(f'font {path} draws nothing for {letter.name} '
                      f'(U+{letter.code_point:04X})')
    heights.append(bottom - top)
  return _open_font(path, max(8, round(_PROBE_SIZE * body_height / float(np.median(heights)))))


def parse_font(spec: str) -> tuple[str, str]:
  """'path[:script]' -> (path, script); without a script, the font writes Estrangela, the
  script of the default masters' majority and of most printed Syriac fonts."""
  path, colon, script = spec.rpartition(':')
  if not colon or not script or '/' in script or '.' in script:
    return spec, ESTRANGELA
  return path, script.strip().lower()


def render_masters(font_specs: Sequence[str], body_height: float = BODY_HEIGHT) -> GlyphMasters:
  """Renders every positional form of the 22 letters from each font, given as 'path[:script]'.

  This is the one code path for the committed default masters and for a user's own fonts
  (Estrangela, Serto, East Syriac, ...), so both are laid out and sized identically.
  """
  if not font_specs:
    raise DataError('render_masters needs at least one font file')
  font_paths, scripts = zip(*(parse_font(spec) for spec in font_specs))
  fonts = [_sized_font(path, body_height) for path in font_paths]
  slots = [(letter, form) for letter in LETTERS for form in FORMS]
  boxes = np.array([[_ink_box(font, _shaped_text(letter.char, form)) for letter, form in slots]
                    for font in fonts])
  left, top = boxes[..., 0].min(), boxes[..., 1].min()
  right, bottom = boxes[..., 2].max(), boxes[..., 3].max()
  origin = int(CANVAS_MARGIN - left)
  baseline = int(CANVAS_MARGIN - top)
  shape = (int(bottom - top + 2 * CANVAS_MARGIN), int(right - left + 2 * CANVAS_MARGIN))

  bitmaps = np.zeros((len(fonts), len(LETTERS), len(FORMS)) + shape, np.uint8)
  advances = np.zeros((len(fonts), len(LETTERS), len(FORMS)), np.float32)
  for f, font in enumerate(fonts):
    for i, letter in enumerate(LETTERS):
      for j, form in enumerate(FORMS):
        if form in letter.forms:
          text = _shaped_text(letter.char, form)
          bitmaps[f, i, j] = _draw(font, text, shape, baseline, origin)
          advances[f, i, j] = font.getlength(text, direction='rtl')

  descriptions, files = [], []
  for path, font in zip(font_paths, fonts):
    with open(path, 'rb') as handle:
      data = handle.read()
    version = _name_table_version(data)
    descriptions.append(' '.join(font.getname()) + (f', {version}' if version else '') +
                        f', {font.size} px/em')
    files.append(f'{os.path.basename(path)} sha256:{hashlib.sha256(data).hexdigest()[:16]}')
  isolated = FORMS.index(ISOLATED)
  return GlyphMasters(
      bitmaps=bitmaps, advances=advances, baseline=baseline, origin=origin,
      body_height=float(body_height),
      stroke_widths=np.array([_stroke_width(b[:, isolated]) for b in bitmaps], np.float32),
      shaped=np.array([_has_positional_forms(b) for b in bitmaps]),
      fonts=tuple(descriptions), font_files=tuple(files), scripts=tuple(scripts))


@functools.lru_cache(maxsize=4)
def load_masters(path: str = DEFAULT_MASTERS_PATH) -> GlyphMasters:
  """Reads masters written by `GlyphMasters.save` (cached: the default is read once)."""
  try:
    with np.load(path, allow_pickle=False) as data:
      if tuple(data['letters']) != LETTER_NAMES or tuple(data['forms']) != FORMS:
        raise DataError(f'glyph masters {path} were rendered for another alphabet layout')
      return GlyphMasters(
          bitmaps=data['bitmaps'], advances=data['advances'], baseline=int(data['baseline']),
          origin=int(data['origin']), body_height=float(data['body_height']),
          stroke_widths=data['stroke_widths'], shaped=data['shaped'],
          fonts=tuple(str(s) for s in data['fonts']),
          font_files=tuple(str(s) for s in data['font_files']),
          scripts=tuple(str(s) for s in data['scripts']))
  except FileNotFoundError as e:
    raise DataError(f'glyph masters not found: {path}') from e
  except (KeyError, ValueError, OSError) as e:
    raise DataError(f'glyph masters file is corrupt: {path} ({e})') from e
