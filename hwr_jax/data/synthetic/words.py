"""Words around a letter: which neighbours it has, and their glyphs side by side on a baseline.

A context crop must show the centre letter in the form it was drawn in, so its neighbours are
not arbitrary: a medial or final letter needs a preceding letter that joins to the left, an
initial or medial one needs a following letter, and an isolated or final letter ends its word
unless it is one of the letters that never join to the left. `sample_word` draws neighbours
that satisfy these rules; `positional_forms` then gives every neighbour its own form. A font
without positional forms (GNU Unifont) cannot join letters: its words are isolated forms side
by side with a gap between every two (`unjoined`), which is how such a font prints Syriac.
"""

from __future__ import annotations

import dataclasses
from typing import Optional

import numpy as np

from hwr_jax.data.synthetic.letters import FINAL, FORMS, FREQUENCIES, INITIAL, ISOLATED
from hwr_jax.data.synthetic.letters import JOINS_LEFT
from hwr_jax.data.synthetic.letters import MEDIAL, joined_pair, positional_forms
from hwr_jax.data.synthetic.masters import FAR, GlyphMasters

# Letters drawn on each side of the centre: enough to reach the crop's edges even when the
# neighbours are narrow (yudh, waw).
NEIGHBOURS = 3
# Chance that a word ends at a given further position, and that a letter which may be followed
# by either (one that never joins to the left) is followed by a space.
WORD_END = 0.2
SPACE_AFTER_NON_JOINER = 0.4
# Width of a word space, in body heights, on top of the hand's letter spacing.
WORD_SPACE = 0.45

_ALL = np.arange(len(JOINS_LEFT))
_DUAL = np.flatnonzero(JOINS_LEFT)
_RIGHT_ONLY = np.flatnonzero(~JOINS_LEFT)


@dataclasses.dataclass(frozen=True)
class Word:
  """Letters (indices into LETTERS, None = space) in logical, right-to-left order; `joins`
  False when no two letters connect."""

  letters: tuple[Optional[int], ...]
  forms: tuple[Optional[str], ...]
  centre: int
  joins: bool = True


def unjoined(word: Word) -> Word:
  """The same letters, each in its isolated form and none connected."""
  return dataclasses.replace(
      word, forms=tuple(None if letter is None else ISOLATED for letter in word.letters),
      joins=False)


def _draw_letter(rng: np.random.Generator, among: np.ndarray = _ALL) -> int:
  weights = FREQUENCIES[among]
  return int(among[rng.choice(len(among), p=weights / weights.sum())])


def _continue(rng: np.random.Generator, side: list[Optional[int]]) -> None:
  """Extends one side outwards to NEIGHBOURS tokens, with word ends but never two spaces."""
  while len(side) < NEIGHBOURS:
    end = side[-1] is not None and rng.random() < WORD_END
    side.append(None if end else _draw_letter(rng))


def sample_word(rng: np.random.Generator, letter: int, form: str) -> Word:
  """Neighbours around `letter` that make it take `form` in a word."""
  joins_right = form in (MEDIAL, FINAL)
  joins_left = form in (INITIAL, MEDIAL)
  if joins_right:
    before: list[Optional[int]] = [_draw_letter(rng, _DUAL)]
  else:
    before = [None if rng.random() < 0.5 else _draw_letter(rng, _RIGHT_ONLY)]
  if joins_left:
    after: list[Optional[int]] = [_draw_letter(rng)]
  elif JOINS_LEFT[letter] or rng.random() < SPACE_AFTER_NON_JOINER:
    after = [None]
  else:
    after = [_draw_letter(rng)]
  _continue(rng, before)
  _continue(rng, after)
  letters = tuple(before[::-1]) + (letter,) + tuple(after)
  return Word(letters=letters, forms=tuple(positional_forms(letters)), centre=NEIGHBOURS)


def advance_positions(word: Word, advances: np.ndarray, gap: float, space: float
                      ) -> np.ndarray:
  """Left end of each token's advance box in master pixels, the centre letter's at 0.

  Right to left: a token's predecessor sits to its right. Joined letters abut exactly (their
  connecting strokes overlap by design of the font); unjoined letters of a word are `gap`
  apart and a space is `space` wide.
  """
  widths = np.array([space if letter is None else advances[letter, FORMS.index(form)]
                     for letter, form in zip(word.letters, word.forms)], np.float64)
  seams = np.array([0.0 if word.joins and joined_pair(right, left) else gap
                    for right, left in zip(word.letters[:-1], word.letters[1:])])
  # steps[i] is how far token i's left end lies left of token i-1's left end.
  steps = np.concatenate([[0.0], widths[1:] + seams])
  left_ends = -np.cumsum(steps)
  return left_ends - left_ends[word.centre]


def neighbour_distance(masters: GlyphMasters, font: int, word: Word, positions: np.ndarray
                       ) -> tuple[np.ndarray, float]:
  """The signed distance field of every letter but the centre one, on one canvas.

  Returns the field and the column of the word canvas where the centre letter's own master
  canvas would begin, so that coordinates on the one convert to the other by a shift.
  """
  height, width = masters.canvas_shape
  columns = np.rint(positions).astype(np.int64)
  offset = -int(columns.min())
  canvas = np.full((height, int(columns.max()) + offset + width), FAR, np.float32)
  fields = masters.signed_distances[font]
  for i, (letter, form) in enumerate(zip(word.letters, word.forms)):
    if letter is None or i == word.centre:
      continue
    start = columns[i] + offset
    np.minimum(canvas[:, start:start + width], fields[letter, FORMS.index(form)],
               out=canvas[:, start:start + width])
  return canvas, float(offset + columns[word.centre])
