"""One letter instance in a manuscript's hand: its letter crop, context crop and clean target.

The three images are views of one drawing. The letter is placed, distorted (hand slant and
width, per-letter rotation, scale and shift, elastic bending) and drawn with the hand's pen
once; the letter crop prints it alone on lightly noisy paper, the context crop prints it with
its word neighbours through the very same distortion on noisier paper, and the clean target
is the centre letter's ink thresholded at half coverage. Targets and context crops therefore
align pixel for pixel, and the target holds only the centre letter: that is the letter a
restoration model is asked to recover, the neighbours being clutter.

The crop is centred horizontally on the letter's ink and vertically on the body of the line
(half a body height above the baseline), as a glyph cut from a text line at the line's height,
at a scale where the hand's body height is `NOMINAL_BODY` of the crop. The letter keeps its
height on the line: that is what tells an initial yudh, which stands above the baseline, from
an initial nun of nearly the same stroke, which sits on it (centred on their ink, as generator
1.0 cut them, the two were the main job's commonest confusion). A letter too large for the
crop after its affine distortion is shrunk until it fits about the body's centre, and its
random shift is limited to the room left, so a crop does not cut its own letter (elastic
bending may still move an extreme stroke by a pixel).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from hwr_jax.data.synthetic import distort
from hwr_jax.data.synthetic.hand import Hand
from hwr_jax.data.synthetic.letters import FORM_WEIGHTS_DUAL, FORM_WEIGHTS_RIGHT, FORMS
from hwr_jax.data.synthetic.letters import ISOLATED, JOINS_LEFT
from hwr_jax.data.synthetic.masters import GlyphMasters
from hwr_jax.data.synthetic.words import WORD_SPACE, advance_positions, neighbour_distance
from hwr_jax.data.synthetic.words import sample_word, unjoined

# Body height of the hand as a fraction of the crop side.
NOMINAL_BODY = 0.34
# The distorted letter's ink box must fit in this fraction of the crop.
FIT = 0.9
# How far the pen width pulls a font's own stroke width towards the hand's (1 = all the way):
# below 1, a heavy font still writes a little heavier than a light one.
PEN_FOLLOW = 0.75
# Erosion never removes more than this fraction of a font's stroke width, so thin strokes and
# dots (which tell dalath from rish) survive.
MAX_EROSION = 0.3
# The context crop's paper is this much noisier than the letter crop's, and shows ink through
# from the other side of the leaf this often.
CONTEXT_NOISE = 1.6
CONTEXT_STAINS = 2.5
SHOW_THROUGH = 0.35


@dataclasses.dataclass(frozen=True)
class Sample:
  """The images of one letter instance, uint8 (size, size); context ones None if not asked.

  context_binary is the context crop binarised without error: every letter's ink at half
  coverage, dark (0) on white (255) as a binarisation tool writes it.
  """

  form: str
  letter: np.ndarray
  context: Optional[np.ndarray] = None
  context_binary: Optional[np.ndarray] = None
  clean: Optional[np.ndarray] = None


def _print(rng: np.random.Generator, hand: Hand, coverage: np.ndarray, noisier: float,
           stain_rate: float, show_through: Optional[np.ndarray] = None) -> np.ndarray:
  paper = hand.paper if show_through is None else hand.paper - show_through
  return distort.print_on_paper(
      rng, distort.blur(coverage, hand.blur), paper_tone=paper,
      paper_variation=hand.paper_variation, ink_level=hand.ink + rng.normal(0.0, 5.0),
      fade=hand.fade, grain=hand.grain * noisier, noise=hand.noise * noisier,
      stain_rate=stain_rate)


def _show_through(rng: np.random.Generator, coverage: np.ndarray) -> np.ndarray:
  """Faint mirrored ink of the other side of the leaf, in gray levels of darkening."""
  size = coverage.shape[0]
  ghost = np.roll(coverage[:, ::-1], int(rng.integers(-size // 3, size // 3 + 1)), axis=0)
  return distort.blur(ghost, 1.2) * rng.uniform(8.0, 25.0)


def render_sample(masters: GlyphMasters, hand: Hand, rng: np.random.Generator, letter: int,
                  size: int, context: bool) -> Sample:
  """Draws letter `letter` (index into LETTERS) in `hand`, in a form drawn from its weights
  (always isolated, with unjoined neighbours, from a font without positional forms).

  The letter crop uses the random stream before the context does, so a set generated without
  context crops has the very same letter crops as one with them.
  """
  form = FORMS[rng.choice(len(FORMS), p=FORM_WEIGHTS_DUAL if JOINS_LEFT[letter]
                          else FORM_WEIGHTS_RIGHT)]
  font = hand.font
  shaped = bool(masters.shaped[font])
  if not shaped:
    form = ISOLATED
  form_index = FORMS.index(form)
  body = masters.body_height

  slant = hand.slant + rng.normal(0.0, 0.05)
  width = hand.width * np.exp(rng.normal(0.0, 0.04))
  scale = size * NOMINAL_BODY / body * hand.scale * np.exp(rng.normal(0.0, 0.05))
  rotation = hand.tilt + rng.normal(0.0, hand.rotation_jitter)
  stroke = float(masters.stroke_widths[font])
  pen = hand.pen_width * body * np.exp(rng.normal(0.0, 0.08))
  dilation = max(PEN_FOLLOW * (pen - stroke) / 2.0, -MAX_EROSION * stroke)

  top, left, bottom, right = masters.ink_boxes[font, letter, form_index]
  anchor = np.array([masters.baseline - body / 2.0, (left + right) / 2.0])
  matrix = distort.affine_matrix(scale, rotation, slant, width)
  corners = (np.array([[top, left], [top, right], [bottom, left], [bottom, right]]) - anchor
             ) @ matrix.T
  margin = max(dilation, 0.0) * scale
  low, high = corners.min(axis=0) - margin, corners.max(axis=0) + margin
  reach = np.maximum(-low, high)
  if 2.0 * reach.max() > FIT * size:
    shrink = FIT * size / (2.0 * reach.max())
    matrix, scale, low, high = matrix * shrink, scale * shrink, low * shrink, high * shrink
  half = FIT * size / 2.0
  shift = np.clip(rng.normal(0.0, 0.025 * size, 2), -half - low, half - high)
  displacement = hand.elastic * size * distort.smooth_field(rng, size, 2)
  coords = distort.source_coordinates(size, matrix, anchor, shift, displacement)
  # Output pixels per master pixel across a stroke: the geometric mean of the axis scales.
  pixels_per_unit = scale * np.sqrt(width)

  centre = distort.ink_coverage(
      distort.warp_distance(masters.signed_distances[font, letter, form_index], coords),
      dilation, pixels_per_unit)
  letter_crop = _print(rng, hand, centre, noisier=1.0, stain_rate=hand.stains)
  if not context:
    return Sample(form=form, letter=letter_crop)

  word = sample_word(rng, letter, form)
  if not shaped:
    word = unjoined(word)
  gap = hand.spacing * body * rng.uniform(0.7, 1.3)
  positions = advance_positions(word, masters.advances[font], gap, WORD_SPACE * body + gap)
  field, column = neighbour_distance(masters, font, word, positions)
  coords[1] += column
  neighbours = distort.ink_coverage(distort.warp_distance(field, coords), dilation,
                                    pixels_per_unit)
  everything = np.maximum(centre, neighbours)
  show_through = _show_through(rng, everything) if rng.random() < SHOW_THROUGH else None
  context_crop = _print(rng, hand, everything, noisier=CONTEXT_NOISE,
                        stain_rate=hand.stains * CONTEXT_STAINS, show_through=show_through)
  clean = np.where(centre >= 0.5, 255, 0).astype(np.uint8)
  context_binary = np.where(everything >= 0.5, 0, 255).astype(np.uint8)
  return Sample(form=form, letter=letter_crop, context=context_crop,
                context_binary=context_binary, clean=clean)
