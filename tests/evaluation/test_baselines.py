"""The thresholding baselines: both find the ink of a clean page; only the local one survives
a page lit unevenly; and they are scored by the code that scores the learned binarisers."""

import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.evaluation import baselines


def strokes(shape=(60, 90)):
  ink = np.zeros(shape, bool)
  for row in range(8, shape[0] - 8, 12):
    ink[row:row + 3, 6:-6] = True
  ink[:, 40:43] = True
  return ink


def ink_bright(scan):
  """A scan (dark ink on paper) as the loaders give it: ink bright."""
  return (255 - np.clip(np.rint(scan), 0, 255)).astype(np.uint8)


def test_both_find_the_ink_of_an_evenly_lit_page():
  ink = strokes()
  rng = np.random.default_rng(0)
  page = ink_bright(np.where(ink, 60.0, 200.0) + rng.normal(0, 4, ink.shape))
  for method in baselines.METHODS:
    np.testing.assert_array_equal(baselines.binarise(method, page), ink)


def test_only_the_local_threshold_survives_a_page_darkening_from_one_side():
  ink = strokes()
  paper = np.linspace(230.0, 90.0, ink.shape[1])[None, :].repeat(ink.shape[0], axis=0)
  page = ink_bright(np.where(ink, paper - 70.0, paper))
  otsu, sauvola = baselines.otsu(page), baselines.sauvola(page)
  # Otsu's one threshold takes the dark side's paper for ink; Sauvola's follows the paper.
  assert (otsu & ~ink).sum() > 200
  assert (sauvola != ink).mean() < 0.01


def test_a_blank_page_has_no_ink_and_an_unknown_method_is_named():
  assert not baselines.otsu(np.full((20, 20), 37, np.uint8)).any()
  with pytest.raises(ConfigError, match="'niblack'"):
    baselines.binarise('niblack', np.zeros((4, 4), np.uint8))
