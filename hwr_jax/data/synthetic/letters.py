"""The 22 letters of the Syriac alphabet, their joining behaviour and how often they occur.

Syriac is written right to left and most letters join to the next letter on their left. Eight
letters (alaph, dalath, he, waw, zain, sadhe, rish, taw) join only to the letter on their right,
so they have an isolated and a final form but no initial or medial one; a letter after them
starts a new joined group. Which letters do is Unicode's Joining_Type property (D: dual-joining,
R: right-joining), stated in JOINING_TYPES below because Python's unicodedata does not expose
it. The positional form of a letter in a word is therefore a function of the
letter sequence alone (see `positional_forms`), which is how the generator builds words whose
forms agree with their neighbours.

Label names are lowercase ASCII transliterations; 'e' is the letter ʿe (ayin).
"""

from __future__ import annotations

import dataclasses
from typing import Optional, Sequence

import numpy as np

ISOLATED, INITIAL, MEDIAL, FINAL = 'isolated', 'initial', 'medial', 'final'
FORMS = (ISOLATED, INITIAL, MEDIAL, FINAL)


# Joining_Type of the 22 letters, from the Unicode Character Database's ArabicShaping.txt
# (Unicode 16.0.0, https://www.unicode.org/Public/16.0.0/ucd/ArabicShaping.txt), lines
# 0710..072C. The variant letters of that block (gamal garshuni, dotless dalath-rish, yudh he,
# final semkath, reversed pe, the Persian and Sogdian letters) are not among the 22.
DUAL_JOINING, RIGHT_JOINING = 'D', 'R'
JOINING_TYPES = {
    0x0710: 'R', 0x0712: 'D', 0x0713: 'D', 0x0715: 'R', 0x0717: 'R', 0x0718: 'R',
    0x0719: 'R', 0x071A: 'D', 0x071B: 'D', 0x071D: 'D', 0x071F: 'D', 0x0720: 'D',
    0x0721: 'D', 0x0722: 'D', 0x0723: 'D', 0x0725: 'D', 0x0726: 'D', 0x0728: 'R',
    0x0729: 'D', 0x072A: 'R', 0x072B: 'D', 0x072C: 'R',
}


@dataclasses.dataclass(frozen=True)
class Letter:
  """One letter: its label name and its Unicode code point."""

  name: str
  code_point: int

  @property
  def joins_left(self) -> bool:
    """Whether the letter connects to the one after it (on its left): dual-joining letters do,
    right-joining ones never."""
    return JOINING_TYPES[self.code_point] == DUAL_JOINING

  @property
  def char(self) -> str:
    return chr(self.code_point)

  @property
  def forms(self) -> tuple[str, ...]:
    return FORMS if self.joins_left else (ISOLATED, FINAL)


LETTERS = (
    Letter('alaph', 0x0710),
    Letter('beth', 0x0712),
    Letter('gamal', 0x0713),
    Letter('dalath', 0x0715),
    Letter('he', 0x0717),
    Letter('waw', 0x0718),
    Letter('zain', 0x0719),
    Letter('heth', 0x071A),
    Letter('teth', 0x071B),
    Letter('yudh', 0x071D),
    Letter('kaph', 0x071F),
    Letter('lamadh', 0x0720),
    Letter('mim', 0x0721),
    Letter('nun', 0x0722),
    Letter('semkath', 0x0723),
    Letter('e', 0x0725),
    Letter('pe', 0x0726),
    Letter('sadhe', 0x0728),
    Letter('qaph', 0x0729),
    Letter('rish', 0x072A),
    Letter('shin', 0x072B),
    Letter('taw', 0x072C),
)

LETTER_NAMES = tuple(letter.name for letter in LETTERS)
JOINS_LEFT = np.array([letter.joins_left for letter in LETTERS])

# Rough share, in per mille, of each letter in classical Syriac prose: rounded estimates, not
# counts from a particular corpus.
# The generator needs the shape, not the digits: four letters (alaph, yudh, waw, lamadh)
# make up more than a third of all text while teth, sadhe, zain and semkath are each well under
# one percent, which is the imbalance a classifier for real manuscripts has to live with.
# The rarest letter (teth, 6 per mille) still gets about 70 samples in the default set.
FREQUENCY_PER_MILLE = {
    'alaph': 118, 'beth': 50, 'gamal': 12, 'dalath': 60, 'he': 55, 'waw': 90, 'zain': 8,
    'heth': 20, 'teth': 6, 'yudh': 95, 'kaph': 35, 'lamadh': 75, 'mim': 65, 'nun': 65,
    'semkath': 8, 'e': 30, 'pe': 15, 'sadhe': 7, 'qaph': 17, 'rish': 42, 'shin': 37,
    'taw': 55,
}
FREQUENCIES = np.array([FREQUENCY_PER_MILLE[name] for name in LETTER_NAMES], dtype=np.float64)
FREQUENCIES /= FREQUENCIES.sum()

# How often a letter that can take every form is seen in each one (isolated, initial,
# medial, final): medial dominates because most words have more than two letters. Letters
# joining only to the right split between isolated and final.
FORM_WEIGHTS_DUAL = np.array([0.14, 0.28, 0.36, 0.22])
FORM_WEIGHTS_RIGHT = np.array([0.45, 0.0, 0.0, 0.55])


def class_quota(total: int, rng: np.random.Generator) -> np.ndarray:
  """How many samples of each letter a set of `total` samples holds.

  The counts follow FREQUENCIES exactly up to rounding (remainders are handed out at random,
  weighted by their size), and every letter gets at least one sample once `total` >= 22, so
  even a tiny test set has every class.
  """
  counts = np.floor(total * FREQUENCIES).astype(np.int64)
  if total >= len(LETTERS):
    counts = np.maximum(counts, 1)
  surplus = int(counts.sum() - total)
  while surplus > 0:
    largest = int(np.argmax(counts))
    take = min(surplus, counts[largest] - 1)
    counts[largest] -= take
    surplus -= take
  remainder = total - int(counts.sum())
  if remainder:
    weights = np.maximum(total * FREQUENCIES - counts, 1e-9)
    extra = rng.choice(len(LETTERS), size=remainder, replace=False, p=weights / weights.sum())
    counts[extra] += 1
  return counts


def joined_pair(right: Optional[int], left: Optional[int]) -> bool:
  """Whether two adjacent letters of one word (given by index, None = no letter) connect."""
  return right is not None and left is not None and bool(JOINS_LEFT[right])


def positional_forms(sequence: Sequence[Optional[int]]) -> list[Optional[str]]:
  """The form of every letter of a logical-order sequence; None entries are word spaces.

  A letter joins on its right when the previous letter of the word joins to the left, and on
  its left when it joins to the left itself and a letter of the same word follows.
  """
  forms: list[Optional[str]] = []
  for i, letter in enumerate(sequence):
    if letter is None:
      forms.append(None)
      continue
    previous = sequence[i - 1] if i > 0 else None
    following = sequence[i + 1] if i + 1 < len(sequence) else None
    right = joined_pair(previous, letter)
    left = joined_pair(letter, following)
    forms.append({(False, False): ISOLATED, (False, True): INITIAL, (True, True): MEDIAL,
                  (True, False): FINAL}[(right, left)])
  return forms
