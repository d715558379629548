"""Checkerboard artefacts: the share of power at the stride's frequencies."""

import numpy as np
import pytest

from hwr_jax.evaluation import spectra


def test_the_mask_holds_the_three_period_two_bins_of_an_image():
  mask = spectra.stride_frequency_mask(8, 8)
  assert sorted(zip(*np.nonzero(mask))) == [(0, 4), (4, 0), (4, 4)]
  with pytest.raises(ValueError, match='period 2'):
    spectra.stride_frequency_mask(7, 8)


def test_a_checkerboard_is_all_at_the_stride_and_a_smooth_stroke_almost_none():
  rows, columns = np.mgrid[:16, :16]
  checkerboard = ((rows + columns) % 2 * 255.0)[None]
  assert spectra.checkerboard_share(checkerboard) == pytest.approx(1.0)
  stroke = np.exp(-((columns - 8.0) ** 2) / 8.0)[None] * 255
  assert spectra.checkerboard_share(stroke) < 1e-3
  # The artefact added to the stroke: its share rises with the artefact's strength.
  weak = spectra.checkerboard_share(stroke + 0.05 * checkerboard)
  strong = spectra.checkerboard_share(stroke + 0.2 * checkerboard)
  assert 1e-3 < weak < strong < 1
  assert spectra.checkerboard_share(np.full((1, 16, 16), 7.0)) == 0.0
