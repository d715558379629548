"""The DIBCO measures on hand-made pages whose answers are worked out by hand."""

import math

import ml_collections
import numpy as np
import pytest

from hwr_jax.data.dataset import LetterDataset, PageSet
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.evaluation import dibco
from hwr_jax.evaluation.result import EvalResult

# The sum of the 24 unnormalised weights 1/d of the 5x5 window: four neighbours at 1, four at
# sqrt(2), four at 2, eight at sqrt(5) and four at sqrt(8).
WEIGHT_SUM = 4 + 4 / math.sqrt(2) + 4 / 2 + 8 / math.sqrt(5) + 4 / math.sqrt(8)


def bar(height=7, width=18, rows=(2, 5), columns=(2, 12)):
  """A 3-pixel-wide, 10-pixel-long horizontal stroke: rows 2..4, columns 2..11."""
  image = np.zeros((height, width), bool)
  image[rows[0]:rows[1], columns[0]:columns[1]] = True
  return image


def column_stroke(width=8, columns=(1,)):
  """An 8-row page with vertical one-pixel strokes down the given columns."""
  image = np.zeros((8, width), bool)
  image[:, list(columns)] = True
  return image


def test_perfect_output():
  truth = bar()
  assert dibco.dibco_scores(truth.copy(), truth) == {
      'f_measure': 1.0, 'pseudo_f_measure': 1.0, 'psnr': math.inf, 'drd': 0.0}


def test_all_white_output_finds_no_ink():
  truth = bar()
  blank = np.zeros_like(truth)
  # Nothing marked: precision 1, recall 0, so both F-measures are 0.
  assert dibco.f_measure(blank, truth) == 0.0
  assert dibco.pseudo_f_measure(blank, truth) == 0.0
  assert dibco.psnr(blank, truth) == pytest.approx(10 * math.log10(126 / 30))


def test_empty_page_and_empty_output_have_no_error():
  blank = np.zeros((9, 9), bool)
  assert dibco.dibco_scores(blank, blank) == {
      'f_measure': 1.0, 'pseudo_f_measure': 1.0, 'psnr': math.inf, 'drd': 0.0}


def test_ink_on_an_empty_page():
  blank = np.zeros((9, 9), bool)
  speck = blank.copy()
  speck[4, 4] = True
  # Precision 0 and (pseudo-)recall 1; no non-uniform block shares out the distortion.
  assert dibco.f_measure(speck, blank) == 0.0
  assert dibco.pseudo_f_measure(speck, blank) == 0.0
  assert dibco.drd(speck, blank) == math.inf


def test_stroke_shifted_down_one_pixel():
  truth = bar()
  shifted = np.roll(truth, 1, axis=0)
  # Rows 3..4 kept (20 pixels), row 5 added (10), row 2 lost (10): P = R = 2/3. The skeleton
  # (row 3, columns 3..9) is wholly covered: Rps = 1, pseudo-F = 2 (2/3) / (5/3) = 4/5.
  assert dibco.precision_recall(shifted, truth) == pytest.approx((2 / 3, 2 / 3))
  assert dibco.f_measure(shifted, truth) == pytest.approx(2 / 3)
  assert dibco.pseudo_recall(shifted, truth) == 1.0
  assert dibco.pseudo_f_measure(shifted, truth) == pytest.approx(4 / 5)


def test_stroke_shifted_right_four_pixels():
  truth = bar()
  shifted = np.roll(truth, 4, axis=1)
  # Columns 6..11 kept (18 pixels), 12..15 added (12), 2..5 lost (12): P = R = 3/5. Of the
  # skeleton's columns 3..9, 6..9 are covered: Rps = 4/7, pseudo-F = 2 (3/5)(4/7) /
  # (3/5 + 4/7) = 24/41.
  assert dibco.f_measure(shifted, truth) == pytest.approx(3 / 5)
  assert dibco.pseudo_recall(shifted, truth) == pytest.approx(4 / 7)
  assert dibco.pseudo_f_measure(shifted, truth) == pytest.approx(24 / 41)


def test_psnr_of_one_wrong_pixel_is_ten_log_n():
  truth = np.zeros((10, 12), bool)
  truth[3:6, 2:9] = True
  output = truth.copy()
  output[0, 0] = True
  assert dibco.psnr(output, truth) == pytest.approx(10 * math.log10(120))


def test_zhang_suen_thins_a_three_pixel_bar_to_its_middle_row():
  skeleton = dibco.zhang_suen_thinning(bar())
  # The first sub-iteration strips the bottom row, the east end and the north-west corner;
  # the second the top row and the last pixel of each end of the middle row. What stays is
  # the middle row, columns 3..9: a line of 7 pixels.
  expected = np.zeros_like(skeleton)
  expected[3, 3:10] = True
  np.testing.assert_array_equal(skeleton, expected)


def test_thinning_leaves_a_one_pixel_line_alone():
  line = np.zeros((5, 9), bool)
  line[2, 1:8] = True
  np.testing.assert_array_equal(dibco.zhang_suen_thinning(line), line)


def test_skeleton_keeps_a_pixel_of_a_speck_thinning_erases():
  truth = np.zeros((6, 9), bool)
  truth[1:3, 1:3] = True
  truth[3:5, 5:7] = True
  assert not dibco.zhang_suen_thinning(truth).any()
  # One pixel of each 2x2 square: all four are equally deep, so the first in raster order.
  assert np.argwhere(dibco.ground_truth_skeleton(truth)).tolist() == [[1, 1], [3, 5]]


def test_drd_weights_are_normalised_reciprocal_distances():
  weights = dibco.drd_weights()
  assert weights.shape == (5, 5) and weights[2, 2] == 0.0
  assert weights.sum() == pytest.approx(1.0)
  assert weights[2, 3] == pytest.approx(1 / WEIGHT_SUM)
  assert weights[0, 0] == pytest.approx(1 / math.sqrt(8) / WEIGHT_SUM)


def test_non_uniform_blocks_counts_whole_mixed_tiles():
  truth = np.zeros((20, 17), bool)
  truth[3, 4] = True          # tile (0, 0): mixed
  truth[0:8, 8:16] = True     # tile (0, 1): all ink, uniform
  truth[8:16, 8:12] = True    # tile (1, 1): half ink, mixed; tile (1, 0) stays empty
  truth[18, 3] = True         # in the partial bottom band: not a whole tile
  truth[2, 16] = True         # in the partial right band: not a whole tile
  assert dibco.non_uniform_blocks(truth) == 2
  assert dibco.non_uniform_blocks(np.ones((7, 7), bool)) == 0


def test_drd_of_a_flip_near_a_stroke_is_below_one_far_from_it():
  truth = column_stroke()     # one 8x8 tile, mixed: NUBN = 1
  near, far = truth.copy(), truth.copy()
  near[4, 2] = True
  far[4, 5] = True
  # Far: every neighbour of (4, 5) is inside the page and background, so all 24 weights
  # count: DRD = 1. Near: the stroke one column west of (4, 2) is ink like the flipped
  # pixel, and its five pixels (distances 1, sqrt 2 twice, sqrt 5 twice) do not count.
  stroke_weight = 1 + 2 / math.sqrt(2) + 2 / math.sqrt(5)
  assert dibco.drd(far, truth) == pytest.approx(1.0)
  assert dibco.drd(near, truth) == pytest.approx(1 - stroke_weight / WEIGHT_SUM)
  assert dibco.drd(near, truth) < dibco.drd(far, truth)


def test_drd_of_a_missed_stroke_pixel():
  truth = column_stroke()
  output = truth.copy()
  output[4, 1] = False
  # The flipped pixel is background; its ink neighbours are the stroke above and below it,
  # at distances 1, 1, 2 and 2.
  assert dibco.drd(output, truth) == pytest.approx(3 / WEIGHT_SUM)


def test_drd_counts_no_neighbour_beyond_the_edge():
  truth = column_stroke()
  output = truth.copy()
  output[0, 7] = True
  # In the corner only rows 0..2 and columns 5..7 of the window are on the page: distances
  # 2, 1 (row 0), sqrt 5, sqrt 2, 1 (row 1), sqrt 8, sqrt 5, 2 (row 2), all background.
  inside = (1 / 2 + 1 + 1 / math.sqrt(5) + 1 / math.sqrt(2) + 1 + 1 / math.sqrt(8)
            + 1 / math.sqrt(5) + 1 / 2)
  assert dibco.drd(output, truth) == pytest.approx(inside / WEIGHT_SUM)


def test_drd_is_shared_out_over_the_non_uniform_blocks():
  truth = column_stroke(width=16, columns=(1, 9))   # two mixed tiles: NUBN = 2
  output = truth.copy()
  output[4, 5] = True
  assert dibco.drd(output, truth) == pytest.approx(1 / 2)


def test_report_rows_and_means():
  truth = bar()
  outputs = [np.roll(truth, 1, axis=0), np.roll(truth, 4, axis=1)]
  report = dibco.dibco_report(outputs, [truth, truth], ['down', 'right'])
  down, right = report['per_image']
  assert down['name'] == 'down' and right['name'] == 'right'
  assert down['f_measure'] == pytest.approx(2 / 3)
  assert right['pseudo_f_measure'] == pytest.approx(24 / 41)
  # 20 and 24 of the 126 pixels differ.
  assert down['psnr'] == pytest.approx(10 * math.log10(126 / 20))
  assert right['psnr'] == pytest.approx(10 * math.log10(126 / 24))
  for key in dibco.MEASURES:
    assert report['mean'][key] == pytest.approx((down[key] + right[key]) / 2)


def test_report_and_measures_reject_mismatches():
  truth = bar()
  with pytest.raises(ValueError):
    dibco.dibco_report([truth], [truth, truth], ['a'])
  with pytest.raises(ValueError):
    dibco.f_measure(truth[:, :-1], truth)


def test_the_evaluator_scores_crops_and_pages_alike_and_counts_what_is_infinite(tmp_path):
  truths = [bar(), bar(16, 18), np.zeros((7, 18), bool)]
  outputs = [truths[0].copy(), np.roll(truths[1], 1, axis=0), np.zeros((7, 18), bool)]
  outputs[2][0, 0] = True
  config = ml_collections.ConfigDict({'denoiser': {'threshold': 0.5}})
  evaluator = dibco.Evaluator(config, None, ml_collections.ConfigDict({'type': 'dibco'}))
  pages = PageSet(tuple(np.where(t, 255, 0).astype(np.uint8) for t in truths),
                  np.array(['a', 'b', 'c']), tuple(np.where(t, 255, 0).astype(np.uint8)
                                                   for t in truths))
  result = EvalResult(scalars={})
  evaluator('pages', pages, {'ink_probability': [o.astype(np.float32) for o in outputs]},
            result, str(tmp_path))
  rows = dibco.dibco_report(outputs, truths, ['a', 'b', 'c'])['per_image']
  assert result.report['pages']['dibco']['per_image'] == rows
  totals = result.scalars['pages']
  # The perfect page has an infinite PSNR and the false ink on the blank one an infinite DRD:
  # each mean is over the other images, and they are counted.
  assert (totals['perfect_images'], totals['infinite_drd_images']) == (1, 1)
  assert totals['psnr'] == pytest.approx(np.mean([rows[1]['psnr'], rows[2]['psnr']]))
  assert totals['drd'] == pytest.approx(np.mean([rows[0]['drd'], rows[1]['drd']]))
  assert totals['f_measure'] == pytest.approx(np.mean([row['f_measure'] for row in rows]))
  assert (tmp_path / 'dibco_pages.md').is_file()
  # Crops of one size, stacked, give the same figures.
  crops = EvalResult(scalars={})
  stacked = np.stack([np.where(t, 255, 0) for t in truths[::2]]).astype(np.uint8)
  dataset = LetterDataset(stacked, np.zeros(2, np.int32), Vocabulary(('?',)),
                          np.array(['a', 'c']), targets=stacked)
  evaluator('crops', dataset, {'ink_probability': np.stack(outputs[::2]).astype(np.float32)},
            crops, None)
  assert crops.report['crops']['dibco']['per_image'] == [rows[0], rows[2]]
