"""Synthetic manuscript pages: lines of shaped Syriac words in one hand, their binary ground
truth and their PAGE-XML, for page binarisation and for the page tools.

A page is written as a scribe writes one: lines of words from the right margin to the left,
each word's letters in the positional forms their neighbours give them (isolated forms side by
side for a font without positional forms), all in the manuscript's hand (the hand of the
letter crops: hand.py), drawn with the same distance fields, pen and elastic bending as the
crops (render.py) at the crops' letter size, and printed as the context crops are printed:
uneven paper, fibre grain, stains, faded ink, show-through of the other side of the leaf and
sensor noise, plus what a page has and a crop does not: margins, dry-point ruling under the
lines and at the edges of the text block, and large water stains. The ruling, stains and
show-through darken the paper but are not ink: the ground truth holds every letter's ink and
nothing else, which is what a binariser must keep.

Layout of a generated set (8-bit gray PNGs):

  pages/<page>.png  the page, dark ink on paper
  pages/<page>.xml  its PAGE-XML (2019 schema): one TextRegion, a TextLine per line (with its
                    Baseline), a Word per word and a Glyph per letter, each with its Coords
                    (the box of its ink, inclusive page pixels) and TextEquiv/Unicode (the
                    letter, the word, the line); the manuscript, date and script in Metadata
  truth/<page>.png  the ground truth: every ink pixel black (0) on white (255), as DIBCO's
                    ground truth and binarisation tools write it
  meta.json         version, parameters, masters, every manuscript's hand and page size, and
                    every page's manuscript, date and counts; written last, so a set that has
                    it is complete

`page` is `<manuscript>_p<page>` (ms03_p01). Every random draw comes from a NumPy generator
seeded by (seed, manuscript[, page]), and PNGs are written with fixed settings: the same
parameters give byte-identical files. The default set (24 pages of about 640x896 pixels)
took 17 s on the shared 2-core development machine.
"""

from __future__ import annotations

import dataclasses
import math
import os
import xml.etree.ElementTree as ET
from typing import Optional, Sequence

import numpy as np
from PIL import Image

from hwr_jax import io_utils
from hwr_jax.data.synthetic import distort
from hwr_jax.data.synthetic.hand import Hand, sample_hand
from hwr_jax.data.synthetic.letters import FORMS, FREQUENCIES, ISOLATED, LETTERS
from hwr_jax.data.synthetic.letters import positional_forms
from hwr_jax.data.synthetic.masters import GlyphMasters, load_masters, render_masters
from hwr_jax.data.synthetic.render import CONTEXT_NOISE, MAX_EROSION, PEN_FOLLOW, SHOW_THROUGH
from hwr_jax.data.synthetic.words import WORD_SPACE, Word, advance_positions
from hwr_jax.data.synthetic.writer import GENERATOR_VERSION, META_FILE, PNG_COMPRESSION
from hwr_jax.data.synthetic.writer import check_glyph_params, default_cache_root, generate_once
from hwr_jax.data.synthetic.writer import glyph_fingerprint, params_json
from hwr_jax.errors import ConfigError, DataError

PAGES_VERSION = '1.0'
PAGES_DIR, TRUTH_DIR = 'pages', 'truth'
PAGE_NAMESPACE = 'http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15'
# PAGE-XML requires a creation time; a fixed one keeps the same seed giving the same bytes.
CREATED = '2000-01-01T00:00:00'
# Letters per word: 1 + Poisson(WORD_LETTERS), at most MAX_WORD_LETTERS; Syriac prose
# averages four to five letters a word.
WORD_LETTERS, MAX_WORD_LETTERS = 3.5, 9
# Smooth fields vary over this many pixels: the elastic bending as in a 64-pixel crop, fading
# over a few letters, the paper's tone over a quarter of the page.
ELASTIC_SPACING, FADE_SPACING = 16.0, 48.0
# The elastic displacement of a 64-pixel crop (hand.elastic is a fraction of the crop side).
ELASTIC_REFERENCE = 64.0
RULED_SHARE = 0.6
SHOW_THROUGH_PAGE = 2 * SHOW_THROUGH


@dataclasses.dataclass(frozen=True)
class PageParams:
  """What a set of synthetic pages is generated from; equal parameters give identical sets.

  num_pages:            pages in all.
  pages_per_manuscript: consecutive pages written by one hand (the last manuscript may have
                        fewer).
  width, height:        nominal page size in pixels; each manuscript's pages are up to 8%
                        larger or smaller, so pages differ in size.
  body_height:          the hands' body height in pixels before their own scale: 22 is the
                        letters' size in the 64-pixel crops.
  seed:                 root of every random draw.
  fonts:                font files as SyntheticParams.fonts ('path[:script]'); empty = the
                        committed masters.
  date_range:           first and last year a manuscript can be dated to.
  """

  num_pages: int = 24
  pages_per_manuscript: int = 2
  width: int = 640
  height: int = 896
  body_height: float = 22.0
  seed: int = 0
  fonts: Sequence[str] = ()
  date_range: tuple[int, int] = (500, 1300)

  def __post_init__(self):
    check_glyph_params(self, 'pages', (('num_pages', 1), ('pages_per_manuscript', 1),
                                       ('width', 64), ('height', 64), ('body_height', 8),
                                       ('seed', 0)))
    if self.body_height * 6 > min(self.width, self.height):
      raise ConfigError(f'pages.body_height={self.body_height} leaves no room for a line on a '
                        f'{self.width}x{self.height} page: a page needs six body heights')

  @property
  def num_manuscripts(self) -> int:
    return -(-self.num_pages // self.pages_per_manuscript)

  def to_json(self) -> dict:
    return params_json(self)

  def masters(self) -> GlyphMasters:
    return render_masters(self.fonts) if self.fonts else load_masters()

  def fingerprint(self) -> str:
    """A hash of the parameters, both generator versions (the letters' too: a change to the
    letters changes the pages) and the bytes the glyphs come from."""
    return glyph_fingerprint(self.fonts, {'letters': GENERATOR_VERSION, 'pages': PAGES_VERSION,
                                          'params': self.to_json()})


Box = tuple[int, int, int, int]  # left, top, right, bottom: inclusive page pixels


@dataclasses.dataclass(frozen=True)
class Glyph:
  """One letter on the page: index into LETTERS, its form, and the box of its ink."""

  letter: int
  form: str
  box: Box


@dataclasses.dataclass(frozen=True)
class PageWord:
  letters: tuple[int, ...]
  glyphs: tuple[Glyph, ...]

  @property
  def text(self) -> str:
    return ''.join(LETTERS[letter].char for letter in self.letters)


@dataclasses.dataclass(frozen=True)
class PageLine:
  """A line's words from right to left and its baseline, (x, y) points right to left."""

  words: tuple[PageWord, ...]
  baseline: tuple[tuple[int, int], tuple[int, int]]


@dataclasses.dataclass(frozen=True)
class Page:
  """gray: (H, W) uint8, dark ink on paper; ink: (H, W) bool ground truth; lines: the text."""

  gray: np.ndarray
  ink: np.ndarray
  lines: tuple[PageLine, ...]

  @property
  def glyphs(self) -> list[Glyph]:
    return [glyph for line in self.lines for word in line.words for glyph in word.glyphs]


@dataclasses.dataclass(frozen=True)
class Sheet:
  """What the pages of one manuscript share: the hand, the page size and the layout."""

  hand: Hand
  height: int
  width: int
  margins: tuple[int, int, int, int]  # left, top, right, bottom
  line_spacing: float
  body: float
  ruling: float  # darkening of the ruled lines in gray levels, 0 when unruled


def sample_sheet(rng: np.random.Generator, hand: Hand, params: PageParams) -> Sheet:
  """A manuscript's page size, margins (wider at the bottom and on the left, where a right to
  left line ends), line spacing and ruling."""
  height = round(params.height * rng.uniform(0.92, 1.08))
  width = round(params.width * rng.uniform(0.92, 1.08))
  body = params.body_height * hand.scale
  margins = (round(width * rng.uniform(0.10, 0.16)), round(height * rng.uniform(0.06, 0.09)),
             round(width * rng.uniform(0.07, 0.11)), round(height * rng.uniform(0.09, 0.13)))
  ruling = float(rng.uniform(5.0, 14.0)) if rng.random() < RULED_SHARE else 0.0
  return Sheet(hand, height, width, margins, float(body * rng.uniform(2.6, 3.2)), float(body),
               ruling)


def smooth_page_field(rng: np.random.Generator, height: int, width: int,
                      spacing: float) -> np.ndarray:
  """(height, width) float32 random field of unit variance varying over ~`spacing` pixels:
  distort.smooth_field on a rectangle."""
  def basis(size: int) -> np.ndarray:
    return distort.smooth_basis(size, max(2, round((size - 1) / spacing) + 1))

  rows, columns = basis(height), basis(width)
  grid = rng.standard_normal((rows.shape[1], columns.shape[1])).astype(np.float32)
  return rows @ grid @ columns.T


def sample_word(rng: np.random.Generator, shaped: bool) -> Word:
  """Letters drawn by their frequencies, in the forms their neighbours give them."""
  length = min(1 + int(rng.poisson(WORD_LETTERS)), MAX_WORD_LETTERS)
  letters = tuple(int(i) for i in rng.choice(len(LETTERS), size=length, p=FREQUENCIES))
  if not shaped:
    return Word(letters, (ISOLATED,) * length, centre=0, joins=False)
  return Word(letters, tuple(positional_forms(letters)), centre=0)


def _inverse_map(matrix: np.ndarray, page_anchor: np.ndarray, master_anchor: np.ndarray,
                 top: int, left: int, displacement: np.ndarray) -> np.ndarray:
  """(2, h, w) master coordinates seen by the page pixels of a box from (top, left), bent by
  `displacement` ((2, h, w) pixels)."""
  grid = np.indices(displacement.shape[1:], dtype=np.float32)
  grid[0] += top - page_anchor[0]
  grid[1] += left - page_anchor[1]
  offsets = grid + displacement
  coords = np.einsum('ij,jhw->ihw', np.linalg.inv(matrix).astype(np.float32), offsets)
  return coords + master_anchor.reshape(2, 1, 1).astype(np.float32)


def draw_word(rng: np.random.Generator, masters: GlyphMasters, sheet: Sheet, word: Word,
              right: float, baseline: float, angle: float, coverage: np.ndarray
              ) -> tuple[list[Glyph], float]:
  """Draws `word` into `coverage` (max with what is there) with its right end at page point
  (baseline, right); returns its glyphs (those with ink on the page) and its width in pixels.

  The word is placed and bent as one (slant, width, scale, rotation, elastic bending), so
  joined letters stay joined; each letter is then sampled from its own master over the box
  its ink can reach.
  """
  hand, font = sheet.hand, sheet.hand.font
  body = masters.body_height
  slant = hand.slant + rng.normal(0.0, 0.03)
  width = hand.width * np.exp(rng.normal(0.0, 0.03))
  scale = sheet.body / body * np.exp(rng.normal(0.0, 0.03))
  rotation = angle + rng.normal(0.0, 0.3 * hand.rotation_jitter)
  stroke = float(masters.stroke_widths[font])
  pen = hand.pen_width * body * np.exp(rng.normal(0.0, 0.08))
  dilation = max(PEN_FOLLOW * (pen - stroke) / 2.0, -MAX_EROSION * stroke)
  pixels_per_unit = scale * np.sqrt(width)
  matrix = distort.affine_matrix(scale, rotation, slant, width)

  gap = hand.spacing * body * rng.uniform(0.7, 1.3)
  positions = advance_positions(word, masters.advances[font], gap, WORD_SPACE * body + gap)
  forms = [FORMS.index(form) for form in word.forms]
  first_advance = float(masters.advances[font, word.letters[0], forms[0]])
  master_anchor = np.array([masters.baseline, first_advance])
  page_anchor = np.array([baseline, right])
  word_width = (first_advance - positions[-1]) * scale * width

  # The page box each letter's ink can reach: its master ink box through the word's map, plus
  # the pen, the elastic bending and a pixel of anti-aliasing.
  reach = 2.0 + max(dilation, 0.0) * scale + 3.0 * hand.elastic * ELASTIC_REFERENCE
  boxes = []
  for letter, form, position in zip(word.letters, forms, positions):
    top, left, bottom, right_edge = masters.ink_boxes[font, letter, form]
    shift = position - masters.origin
    corners = np.array([[top, left + shift], [top, right_edge + shift],
                        [bottom, left + shift], [bottom, right_edge + shift]]) - master_anchor
    mapped = corners @ matrix.T + page_anchor
    boxes.append((max(0, math.floor(mapped[:, 0].min() - reach)),
                  max(0, math.floor(mapped[:, 1].min() - reach)),
                  min(coverage.shape[0], math.ceil(mapped[:, 0].max() + reach) + 1),
                  min(coverage.shape[1], math.ceil(mapped[:, 1].max() + reach) + 1)))
  top = min(b[0] for b in boxes)
  left = min(b[1] for b in boxes)
  bottom = max(b[2] for b in boxes)
  right_end = max(b[3] for b in boxes)
  if bottom <= top or right_end <= left:
    return [], word_width
  displacement = hand.elastic * ELASTIC_REFERENCE * np.stack(
      [smooth_page_field(rng, bottom - top, right_end - left, ELASTIC_SPACING)
       for _ in range(2)])

  glyphs = []
  for letter, form, position, (y0, x0, y1, x1) in zip(word.letters, forms, positions, boxes):
    if y1 <= y0 or x1 <= x0:
      continue
    coords = _inverse_map(matrix, page_anchor, master_anchor, y0, x0,
                          displacement[:, y0 - top:y1 - top, x0 - left:x1 - left])
    coords[1] -= position - masters.origin
    ink = distort.ink_coverage(
        distort.warp_distance(masters.signed_distances[font, letter, form], coords),
        dilation, pixels_per_unit)
    np.maximum(coverage[y0:y1, x0:x1], ink, out=coverage[y0:y1, x0:x1])
    rows, cols = np.nonzero(ink >= 0.5)
    if rows.size:
      glyphs.append(Glyph(letter, FORMS[form], (x0 + int(cols.min()), y0 + int(rows.min()),
                                                x0 + int(cols.max()), y0 + int(rows.max()))))
  return glyphs, word_width


def write_lines(rng: np.random.Generator, masters: GlyphMasters, sheet: Sheet,
                coverage: np.ndarray) -> list[PageLine]:
  """Fills the text block with lines of words, right to left, top to bottom."""
  left, top, right, bottom = sheet.margins
  shaped = bool(masters.shaped[sheet.hand.font])
  lines = []
  baseline = top + 1.6 * sheet.body
  while baseline + 0.8 * sheet.body <= sheet.height - bottom:
    # A line drifts a little off the horizontal, and its words lean as the line does.
    angle = 0.5 * sheet.hand.tilt + rng.normal(0.0, 0.3)
    slope = -math.tan(math.radians(angle))
    x = sheet.width - right - rng.uniform(0.0, 0.3) * sheet.body
    start = x
    words = []
    while True:
      word = sample_word(rng, shaped)
      space = (WORD_SPACE + sheet.hand.spacing) * sheet.body * rng.uniform(0.8, 1.2)
      estimate = (sum(masters.advances[sheet.hand.font, letter, FORMS.index(form)]
                      for letter, form in zip(word.letters, word.forms))
                  * sheet.body / masters.body_height * sheet.hand.width)
      if words and x - estimate < left:
        break
      y = baseline + (start - x) * slope
      glyphs, word_width = draw_word(rng, masters, sheet, word, x, y, angle, coverage)
      if glyphs:
        words.append(PageWord(word.letters, tuple(glyphs)))
      x -= word_width + space
      if x < left:
        break
    end_y = baseline + (start - x) * slope
    if words:
      lines.append(PageLine(tuple(words), ((round(start), round(baseline)),
                                           (round(max(x, left)), round(end_y)))))
    baseline += sheet.line_spacing
  return lines


def _stamp_blots(rng: np.random.Generator, darkening: np.ndarray, count: int,
                 radius: tuple[float, float], depth: tuple[float, float]) -> None:
  """Adds `count` soft round blots (Gaussian, `radius` and `depth` ranges) to `darkening`,
  each computed over its own neighbourhood only."""
  height, width = darkening.shape
  for _ in range(count):
    y, x = rng.uniform(0, height), rng.uniform(0, width)
    r, d = rng.uniform(*radius), rng.uniform(*depth)
    y0, y1 = max(0, int(y - 3 * r)), min(height, int(y + 3 * r) + 1)
    x0, x1 = max(0, int(x - 3 * r)), min(width, int(x + 3 * r) + 1)
    rows, cols = np.ogrid[y0:y1, x0:x1]
    darkening[y0:y1, x0:x1] += d * np.exp(-0.5 * ((rows - y) ** 2 + (cols - x) ** 2) / r ** 2)


def ruling(sheet: Sheet, lines: list[PageLine]) -> np.ndarray:
  """The dry-point ruling as darkening: a line under every baseline and the two edges of the
  text block, faint and a little blurred."""
  marks = np.zeros((sheet.height, sheet.width), np.float32)
  if not sheet.ruling:
    return marks
  left, top, right, bottom = sheet.margins
  x_left, x_right = left, sheet.width - right
  for line in lines:
    (x0, y0), (x1, y1) = line.baseline
    columns = np.arange(x_left, x_right)
    slope = (y1 - y0) / (x1 - x0) if x1 != x0 else 0.0
    rows = np.clip(np.rint(y0 + (columns - x0) * slope).astype(int), 0, sheet.height - 1)
    marks[rows, columns] = 1.0
  marks[top:sheet.height - bottom, x_left] = 1.0
  marks[top:sheet.height - bottom, x_right - 1] = 1.0
  return distort.blur(marks, 0.5) * sheet.ruling


def print_page(rng: np.random.Generator, sheet: Sheet, coverage: np.ndarray,
               lines: list[PageLine]) -> np.ndarray:
  """The page as scanned: the context crops' paper, ink and noise over a whole page, with
  ruling, small stains and large water stains, and show-through on some pages."""
  hand, (height, width) = sheet.hand, coverage.shape
  paper = hand.paper + hand.paper_variation * smooth_page_field(rng, height, width,
                                                                max(height, width) / 4)
  darkening = ruling(sheet, lines)
  _stamp_blots(rng, darkening, int(rng.poisson(hand.stains * height * width / 4096)),
               (2.0, 10.0), (6.0, 40.0))
  _stamp_blots(rng, darkening, int(rng.poisson(1.5)),
               (0.05 * min(height, width), 0.2 * min(height, width)), (8.0, 35.0))
  if rng.random() < SHOW_THROUGH_PAGE:
    reach = int(sheet.line_spacing)
    shift = int(rng.integers(-reach, reach + 1)) // 2
    ghost = np.roll(coverage[:, ::-1], shift, axis=0)
    darkening += distort.blur(ghost, 1.2) * rng.uniform(8.0, 25.0)
  paper = paper - darkening
  paper += hand.grain * CONTEXT_NOISE * rng.standard_normal((height, width), dtype=np.float32)
  density = 1.0 - hand.fade / (1.0 + np.exp(-2.0 * smooth_page_field(rng, height, width,
                                                                     FADE_SPACING)))
  ink = distort.blur(coverage, hand.blur) * density
  scan = paper * (1.0 - ink) + (hand.ink + rng.normal(0.0, 5.0)) * ink
  scan += hand.noise * CONTEXT_NOISE * rng.standard_normal((height, width), dtype=np.float32)
  return np.clip(np.rint(scan), 0, 255).astype(np.uint8)


def draw_page(masters: GlyphMasters, sheet: Sheet, rng: np.random.Generator) -> Page:
  """One page of a manuscript: its text, its scan and its ground truth."""
  coverage = np.zeros((sheet.height, sheet.width), np.float32)
  lines = write_lines(rng, masters, sheet, coverage)
  return Page(print_page(rng, sheet, coverage, lines), coverage >= 0.5, tuple(lines))


def _points(points: Sequence[tuple[int, int]]) -> str:
  return ' '.join(f'{x},{y}' for x, y in points)


def _box_points(box: Box) -> str:
  left, top, right, bottom = box
  return _points([(left, top), (right, top), (right, bottom), (left, bottom)])


def _union(boxes: Sequence[Box]) -> Box:
  return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
          max(b[3] for b in boxes))


def _region(parent: ET.Element, tag: str, region_id: str, box: Box, **attributes
            ) -> ET.Element:
  element = ET.SubElement(parent, tag, {'id': region_id, **attributes})
  ET.SubElement(element, 'Coords', {'points': _box_points(box)})
  return element


def _text(element: ET.Element, text: str) -> None:
  equiv = ET.SubElement(element, 'TextEquiv')
  ET.SubElement(equiv, 'Unicode').text = text


def page_xml(page: Page, image_name: str, metadata: dict[str, str]) -> str:
  """The PAGE-XML 2019 document of a page, children in the schema's order (Coords, Baseline,
  child regions, then the region's own TextEquiv).

  Elements are built without a namespace under a root that declares the PAGE namespace as
  the default: ElementTree cannot write a default namespace of its own with unqualified
  attributes."""
  root = ET.Element('PcGts', {'xmlns': PAGE_NAMESPACE})
  meta = ET.SubElement(root, 'Metadata')
  ET.SubElement(meta, 'Creator').text = 'hwr-jax hwr_jax.data.synthetic.pages'
  ET.SubElement(meta, 'Created').text = CREATED
  ET.SubElement(meta, 'LastChange').text = CREATED
  for name, value in metadata.items():
    ET.SubElement(meta, 'MetadataItem', {'type': 'other', 'name': name, 'value': value})
  height, width = page.gray.shape
  page_element = ET.SubElement(root, 'Page', {
      'imageFilename': image_name, 'imageWidth': str(width), 'imageHeight': str(height),
      'readingDirection': 'right-to-left'})
  line_boxes = [_union([g.box for word in line.words for g in word.glyphs])
                for line in page.lines]
  region = _region(page_element, 'TextRegion', 'r0',
                   _union(line_boxes) if line_boxes else (0, 0, width - 1, height - 1),
                   readingDirection='right-to-left')
  for l, (line, line_box) in enumerate(zip(page.lines, line_boxes)):
    line_id = f'l{l:02d}'
    line_element = _region(region, 'TextLine', line_id, line_box)
    ET.SubElement(line_element, 'Baseline', {'points': _points(line.baseline)})
    for w, word in enumerate(line.words):
      word_id = f'{line_id}w{w:02d}'
      word_element = _region(line_element, 'Word', word_id, _union([g.box for g in word.glyphs]))
      for g, glyph in enumerate(word.glyphs):
        glyph_element = _region(word_element, 'Glyph', f'{word_id}g{g:02d}', glyph.box)
        _text(glyph_element, LETTERS[glyph.letter].char)
      _text(word_element, word.text)
    _text(line_element, ' '.join(word.text for word in line.words))
  _text(region, '\n'.join(' '.join(word.text for word in line.words) for line in page.lines))
  ET.indent(root)
  return ('<?xml version="1.0" encoding="UTF-8"?>\n'
          + ET.tostring(root, encoding='unicode') + '\n')


def manuscript_sheet(params: PageParams, masters: GlyphMasters, manuscript: int) -> Sheet:
  """The hand and layout of manuscript `manuscript` (0-based): the stream (seed, 1 + m)."""
  rng = np.random.default_rng([params.seed, 1 + manuscript])
  return sample_sheet(rng, sample_hand(rng, params.date_range, masters.scripts), params)


def page_rng(params: PageParams, manuscript: int, page: int) -> np.random.Generator:
  """The stream of one page: (seed, 1 + manuscript, 1 + page), never equal to a sheet's."""
  return np.random.default_rng([params.seed, 1 + manuscript, 1 + page])


def _write_png(path: str, image: np.ndarray) -> None:
  Image.fromarray(image, mode='L').save(path, format='PNG', compress_level=PNG_COMPRESSION)


def generate_pages(out_dir: str, params: PageParams = PageParams()) -> str:
  """Generates the pages described by `params` into `out_dir` (new or empty)."""
  if os.path.exists(out_dir) and (not os.path.isdir(out_dir) or os.listdir(out_dir)):
    raise DataError(f'synthetic pages output folder must be new or empty: {out_dir}')
  masters = params.masters()
  for folder in (PAGES_DIR, TRUTH_DIR):
    os.makedirs(os.path.join(out_dir, folder), exist_ok=True)
  manuscript_digits = max(2, len(str(params.num_manuscripts - 1)))
  page_digits = max(2, len(str(params.pages_per_manuscript - 1)))
  manuscripts, pages = [], []
  for m in range(params.num_manuscripts):
    manuscript = f'ms{m:0{manuscript_digits}d}'
    sheet = manuscript_sheet(params, masters, m)
    hand = sheet.hand
    manuscripts.append({'manuscript': manuscript, **hand.describe(),
                        'page_height': sheet.height, 'page_width': sheet.width,
                        'margins': list(sheet.margins), 'ruled': bool(sheet.ruling)})
    count = min(params.pages_per_manuscript, params.num_pages - m * params.pages_per_manuscript)
    for p in range(count):
      name = f'{manuscript}_p{p:0{page_digits}d}'
      page = draw_page(masters, sheet, page_rng(params, m, p))
      _write_png(os.path.join(out_dir, PAGES_DIR, f'{name}.png'), page.gray)
      _write_png(os.path.join(out_dir, TRUTH_DIR, f'{name}.png'),
                 np.where(page.ink, 0, 255).astype(np.uint8))
      metadata = {'manuscript': manuscript, 'date': str(hand.date), 'script': hand.script}
      with open(os.path.join(out_dir, PAGES_DIR, f'{name}.xml'), 'w', encoding='utf-8') as f:
        f.write(page_xml(page, f'{name}.png', metadata))
      pages.append({'image': f'{name}.png', 'manuscript': manuscript, 'date': hand.date,
                    'script': hand.script, 'width': sheet.width, 'height': sheet.height,
                    'lines': len(page.lines),
                    'words': sum(len(line.words) for line in page.lines),
                    'glyphs': len(page.glyphs), 'ink_pixels': int(page.ink.sum())})
  io_utils.write_json(os.path.join(out_dir, META_FILE), {
      'generator': 'hwr_jax.data.synthetic.pages',
      'version': PAGES_VERSION,
      'letters_version': GENERATOR_VERSION,
      'params': params.to_json(),
      'masters': masters.describe(),
      'images': 'dark ink on light paper, 8-bit gray',
      'truth': 'every ink pixel black (0) on white (255)',
      'manuscripts': manuscripts,
      'pages': pages,
  })
  return out_dir


def page_table(root: str) -> list[dict]:
  """Each page of a generated set, in order: image, manuscript, date, script, size, counts."""
  return io_utils.read_json(os.path.join(root, META_FILE))['pages']


def ensure_pages(params: PageParams = PageParams(), cache_root: Optional[str] = None) -> str:
  """The path of the pages of `params` under the cache, generated on first use as the letters
  are (writer.generate_once)."""
  root = cache_root or default_cache_root()
  return generate_once(os.path.join(root, f'synthetic-pages-{params.fingerprint()}'),
                       lambda out: generate_pages(out, params), 'pages')
