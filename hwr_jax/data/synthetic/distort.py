"""From glyph distance fields to a scanned-looking crop: warps, pen width, ink and paper.

Everything here works on one crop at a time at output resolution, so its cost does not grow
with the master resolution. Smooth random fields (elastic displacement, paper tone, faded ink)
are a few random values on a coarse grid spread over the crop by a fixed Gaussian basis,
`basis @ grid @ basis.T`: two tiny matrix products instead of a large Gaussian filter.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import ndimage

from hwr_jax.data.synthetic.masters import FAR

# Control points per side of the coarse grids behind the smooth fields.
FIELD_GRID = 5


@functools.lru_cache(maxsize=16)
def smooth_basis(size: int, grid: int = FIELD_GRID) -> np.ndarray:
  """(size, grid) weights spreading `grid` control values smoothly over `size` pixels.

  Columns are Gaussians one control spacing wide, centred on control points spaced evenly
  from edge to edge; rows are rescaled so that unit-variance control values give a field of
  unit variance everywhere, including near the borders.
  """
  centres = np.linspace(0.0, size - 1.0, grid)
  spacing = (size - 1.0) / (grid - 1)
  pixels = np.arange(size, dtype=np.float64)[:, None]
  weights = np.exp(-0.5 * ((pixels - centres[None, :]) / spacing) ** 2)
  weights /= np.sqrt((weights ** 2).sum(axis=1, keepdims=True))
  return weights.astype(np.float32)


def smooth_field(rng: np.random.Generator, size: int, count: int = 1) -> np.ndarray:
  """(count, size, size) float32 random fields, unit variance, varying over ~size/4 pixels."""
  basis = smooth_basis(size)
  grid = rng.standard_normal((count, FIELD_GRID, FIELD_GRID)).astype(np.float32)
  return basis @ grid @ basis.T


def affine_matrix(scale: float, rotation_deg: float, slant: float, width: float) -> np.ndarray:
  """The 2x2 map, in (row, column) order, from master pixels to output pixels.

  The glyph is first stretched horizontally by `width`, then sheared so that its upper part
  moves right by `slant` pixels per pixel of height (a forward-leaning hand), rotated by
  `rotation_deg` and scaled by `scale`.
  """
  stretch = np.array([[1.0, 0.0], [0.0, width]])
  shear = np.array([[1.0, 0.0], [-slant, 1.0]])
  angle = np.deg2rad(rotation_deg)
  rotate = np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]])
  return scale * rotate @ shear @ stretch


def source_coordinates(size: int, matrix: np.ndarray, anchor: np.ndarray, shift: np.ndarray,
                       displacement: np.ndarray) -> np.ndarray:
  """(2, size, size) master coordinates that each output pixel samples.

  The output centre plus `shift` shows the master point `anchor`; `displacement`
  ((2, size, size) output pixels) bends the sampling grid smoothly, which is the elastic part
  of the distortion.
  """
  centre = (size - 1) / 2.0 + shift
  grid = np.indices((size, size), dtype=np.float32)
  offsets = grid + displacement - centre.reshape(2, 1, 1).astype(np.float32)
  inverse = np.linalg.inv(matrix).astype(np.float32)
  coords = np.einsum('ij,jhw->ihw', inverse, offsets)
  return coords + anchor.reshape(2, 1, 1).astype(np.float32)


def warp_distance(distance: np.ndarray, coords: np.ndarray) -> np.ndarray:
  """Samples a signed distance field at `coords`; outside the field is far from any ink."""
  return ndimage.map_coordinates(distance, coords, order=1, mode='constant', cval=FAR,
                                 prefilter=False)


def ink_coverage(distance: np.ndarray, dilation: float, pixels_per_unit: float) -> np.ndarray:
  """Ink coverage in [0, 1] of a warped distance field drawn with a wider or narrower pen.

  `dilation` (master pixels, negative = erosion) moves the outline outwards; the outline is
  anti-aliased over one output pixel, as a scanner's sensor would average it.
  """
  return np.clip(0.5 - (distance - dilation) * pixels_per_unit, 0.0, 1.0).astype(np.float32)


def blur(coverage: np.ndarray, sigma: float) -> np.ndarray:
  """Optical blur of the scan; below a third of a pixel it is invisible and skipped."""
  return ndimage.gaussian_filter(coverage, sigma) if sigma >= 0.33 else coverage


def stains(rng: np.random.Generator, size: int, expected: float) -> np.ndarray:
  """(size, size) darkening in gray levels from a Poisson number of soft round blotches."""
  count = rng.poisson(expected)
  if not count:
    return np.zeros((size, size), np.float32)
  centres = rng.uniform(0, size, (count, 2, 1, 1))
  radii = rng.uniform(0.03, 0.15, (count, 1, 1)) * size
  depth = rng.uniform(6.0, 40.0, (count, 1, 1))
  rows, cols = np.ogrid[:size, :size]
  squared = (rows[None] - centres[:, 0]) ** 2 + (cols[None] - centres[:, 1]) ** 2
  return (depth * np.exp(-0.5 * squared / radii ** 2)).sum(axis=0).astype(np.float32)


def print_on_paper(rng: np.random.Generator, coverage: np.ndarray, paper_tone: float,
                   paper_variation: float, ink_level: float, fade: float, grain: float,
                   noise: float, stain_rate: float) -> np.ndarray:
  """A uint8 scan of `coverage` inked on paper: dark ink on light, uneven paper.

  The paper has a tone, slow variation (uneven aging and lighting), fibre grain and stains;
  the ink darkens it towards `ink_level` in proportion to coverage times an ink density that
  fades in patches by up to `fade`; the sensor adds white noise.
  """
  size = coverage.shape[0]
  slow, density = smooth_field(rng, size, 2)
  paper = paper_tone + paper_variation * slow
  paper -= stains(rng, size, stain_rate)
  paper += grain * rng.standard_normal((size, size), dtype=np.float32)
  density = 1.0 - fade / (1.0 + np.exp(-2.0 * density))
  ink = coverage * density
  scan = paper * (1.0 - ink) + ink_level * ink
  scan += noise * rng.standard_normal((size, size), dtype=np.float32)
  return np.clip(np.rint(scan), 0, 255).astype(np.uint8)
