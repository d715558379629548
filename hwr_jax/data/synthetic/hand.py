"""One synthetic manuscript is one scribe's hand on one kind of writing support.

A hand is a set of style parameters drawn once per manuscript; every letter of the manuscript
then varies a little around them. Three of them drift linearly with the manuscript's date, so
that a dating model has something real to learn, while per-manuscript noise of the same order
as the drift keeps any single statistic from giving the date away. With
t = (date - first year) / (last year - first year) over `SyntheticParams.date_range`:

  slant      = -0.08 + 0.30 t + N(0, 0.06)   shear (column shift per row of height): early
                                             hands stand upright or lean back, late ones lean
                                             forward.
  pen_width  =  0.21 - 0.09 t + N(0, 0.02)   stroke width in body heights: early hands write
                                             with a broad pen, late ones with a finer one.
  width      =  1.12 - 0.24 t + N(0, 0.05)   horizontal stretch: letters get narrower.

Pen width is clipped to [0.10, 0.32] and width to [0.75, 1.3], so that no hand is too thin to
read. Over the default 500-1300 range the drift is 0.0375 of slant, 0.011 of pen width and
0.03 of width per century; across manuscripts each of the three correlates with the date at
about r = 0.8.
Nothing else depends on the date: the script (Estrangela or Serto, one per manuscript, each as
likely), the font master of that script, size, baseline tilt, letter spacing, ink,
paper, noise and distortion strength are drawn independently, so they are nuisances a dating
model must learn to ignore.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

SLANT_DRIFT = (-0.08, 0.30, 0.06)
PEN_WIDTH_DRIFT = (0.21, -0.09, 0.02)
WIDTH_DRIFT = (1.12, -0.24, 0.05)


@dataclasses.dataclass(frozen=True)
class Hand:
  """The style of one manuscript; sizes are in body heights unless a unit is given.

  date:            year the manuscript was written.
  script:          the script the manuscript is written in.
  font:            index of the glyph master font the scribe's letter shapes come from, one
                   of those of `script`.
  slant:           shear, columns per row of height; positive leans the tops right.
  pen_width:       stroke width, in body heights.
  width:           horizontal stretch of every letter.
  scale:           letter size relative to the generator's nominal size.
  tilt:            rotation of the baseline, degrees.
  rotation_jitter: standard deviation of each letter's own rotation, degrees.
  spacing:         gap between neighbouring letters that do not join.
  elastic:         RMS of the elastic displacement, as a fraction of the crop size.
  blur:            optical blur of the scan, output pixels (Gaussian sigma).
  ink:             gray level of full-strength ink (0 black).
  paper:           gray level of the paper.
  paper_variation: amplitude of slow variation of the paper tone, gray levels.
  fade:            largest loss of ink density in faded patches (0 = none, 1 = all).
  grain:           standard deviation of the paper's fibre grain, gray levels.
  noise:           standard deviation of the scanner's noise, gray levels.
  stains:          expected number of blotches per crop.
  """

  date: int
  script: str
  font: int
  slant: float
  pen_width: float
  width: float
  scale: float
  tilt: float
  rotation_jitter: float
  spacing: float
  elastic: float
  blur: float
  ink: float
  paper: float
  paper_variation: float
  fade: float
  grain: float
  noise: float
  stains: float

  def describe(self) -> dict:
    """The hand as JSON-ready numbers, rounded so that meta.json stays readable."""
    return {key: (round(value, 4) if isinstance(value, float) else value)
            for key, value in dataclasses.asdict(self).items()}


def _drift(rng: np.random.Generator, t: float, line: tuple[float, float, float]) -> float:
  intercept, slope, spread = line
  return float(intercept + slope * t + spread * rng.standard_normal())


def sample_hand(rng: np.random.Generator, date_range: tuple[int, int],
                font_scripts: Sequence[str]) -> Hand:
  """Draws a manuscript's date, uniform over `date_range`, and the hand that goes with it.

  `font_scripts` is the script of each glyph master font. The script is drawn first, each one
  as likely however many fonts it has, then a font of that script.
  """
  first, last = date_range
  date = int(rng.integers(first, last + 1))
  t = (date - first) / (last - first) if last > first else 0.5
  scripts = tuple(dict.fromkeys(font_scripts))
  script = scripts[int(rng.integers(len(scripts)))]
  fonts = [i for i, name in enumerate(font_scripts) if name == script]
  return Hand(
      date=date,
      script=script,
      font=fonts[int(rng.integers(len(fonts)))],
      slant=_drift(rng, t, SLANT_DRIFT),
      pen_width=float(np.clip(_drift(rng, t, PEN_WIDTH_DRIFT), 0.1, 0.32)),
      width=float(np.clip(_drift(rng, t, WIDTH_DRIFT), 0.75, 1.3)),
      scale=float(rng.uniform(0.88, 1.12)),
      tilt=float(rng.normal(0.0, 1.5)),
      rotation_jitter=float(rng.uniform(1.0, 3.0)),
      spacing=float(rng.uniform(0.05, 0.25)),
      elastic=float(rng.uniform(0.008, 0.025)),
      blur=float(rng.uniform(0.0, 0.7)),
      ink=float(rng.uniform(15.0, 90.0)),
      paper=float(rng.uniform(180.0, 235.0)),
      paper_variation=float(rng.uniform(2.0, 10.0)),
      fade=float(rng.uniform(0.0, 0.35)),
      grain=float(rng.uniform(1.0, 5.0)),
      noise=float(rng.uniform(1.0, 5.0)),
      stains=float(rng.uniform(0.1, 0.8)),
  )
