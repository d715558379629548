"""The thresholds a learned binariser is compared with: what a researcher would use without one.

Both take an image in the project's canonical form (uint8, ink bright on dark: the page after
its polarity is normalised) and return its ink as a boolean mask, computed by scikit-image:

- otsu: Otsu's global threshold (Otsu, "A threshold selection method from gray-level
  histograms", IEEE SMC 9(1), 1979): the one gray level that best separates the page's
  histogram into two classes; ink is brighter than it.
- sauvola: Sauvola's local threshold (Sauvola, Pietikäinen, "Adaptive document image
  binarization", Pattern Recognition 33(2), 2000): T = m (1 + k (s / R - 1)) from the mean m
  and standard deviation s of a window around each pixel, R = 128, on the page as scanned
  (dark ink on light paper, the form the formula is made for); ink is darker than T. The
  defaults are the common setting: k = 0.2 (scikit-image's) and a window of 25 pixels, about
  one line of the synthetic pages' letters; docs/autoencoders_denoisers.md also scores the k
  and window that did best on the training pages.
"""

from __future__ import annotations

import numpy as np
from skimage import filters

from hwr_jax.errors import ConfigError

METHODS = ('otsu', 'sauvola')
SAUVOLA_WINDOW = 25
SAUVOLA_K = 0.2
SAUVOLA_R = 128.0


def otsu(image: np.ndarray) -> np.ndarray:
  """Ink (True) above Otsu's global threshold of an ink-bright image; a uniform image has
  none."""
  if image.min() == image.max():
    return np.zeros(image.shape, bool)
  return image > filters.threshold_otsu(image)


def sauvola(image: np.ndarray, window: int = SAUVOLA_WINDOW, k: float = SAUVOLA_K
            ) -> np.ndarray:
  """Ink (True) below Sauvola's local threshold of the scan (the ink-bright image inverted
  back)."""
  scan = 255.0 - image.astype(np.float64)
  # R is given: scikit-image's default, half the dtype's range, is 1 for floats.
  return scan < filters.threshold_sauvola(scan, window_size=window, k=k, r=SAUVOLA_R)


def binarise(method: str, image: np.ndarray, window: int = SAUVOLA_WINDOW,
             k: float = SAUVOLA_K) -> np.ndarray:
  """The ink of `image` by the baseline named `method` (one of METHODS); `window` and `k` are
  Sauvola's."""
  if method == 'otsu':
    return otsu(image)
  if method == 'sauvola':
    if window < 3 or window % 2 == 0:
      raise ConfigError(f'Sauvola window {window}: must be an odd number of pixels, 3 or more')
    return sauvola(image, window, k)
  raise ConfigError(f'unknown binarisation method {method!r}: one of {", ".join(METHODS)}')
