"""Checkerboard artefacts of generated letters, measured in their spectra.

A transposed convolution of stride s draws the pixels of each phase with a different part of its
kernel, and unless the learned parts agree it paints a pattern of period s (Odena, Dumoulin and
Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016; worst when the kernel size is
not a multiple of s): its power sits at the spatial frequencies that are multiples of 1/s
cycles per pixel. The figure here is the share of an image's power (its mean removed) at
those frequencies, averaged over the images; generated letters are compared with real ones,
whose strokes put some power there too. The DCGAN's generators upsample by 2 at every layer,
so s = 2: the frequencies (N/2, 0), (0, N/2) and (N/2, N/2) of an N x N image.
"""

from __future__ import annotations

import numpy as np
from absl import logging

from hwr_jax.evaluation import evaluator

PERIOD = 2


def stride_frequency_mask(height: int, width: int, period: int = PERIOD) -> np.ndarray:
  """Boolean (H, W) mask of the FFT bins at multiples of 1/period cycles per pixel, the zero
  frequency left out."""
  if height % period or width % period:
    raise ValueError(f'images of {height}x{width} have no bins at period {period}')
  rows = np.arange(height) % (height // period) == 0
  columns = np.arange(width) % (width // period) == 0
  mask = rows[:, None] & columns[None, :]
  mask[0, 0] = False
  return mask


def checkerboard_share(images: np.ndarray, period: int = PERIOD) -> float:
  """Mean over images (N, H, W) of the share of each image's power (mean removed) at the
  stride's frequencies; images without any variation count as zero."""
  pixels = np.asarray(images, np.float64)
  pixels = pixels - pixels.mean(axis=(1, 2), keepdims=True)
  power = np.abs(np.fft.fft2(pixels)) ** 2
  total = power.sum(axis=(1, 2))
  at_stride = power[:, stride_frequency_mask(*pixels.shape[1:], period)].sum(axis=1)
  return float(np.mean(np.where(total > 0, at_stride / np.where(total > 0, total, 1.0), 0.0)))


class Evaluator(evaluator.Evaluator):
  """checkerboard_share of the generated letters and of as many real ones, and their ratio.
  Reads the outputs 'fake_images' and 'real_images' (a GAN's evaluation sample)."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    if 'fake_images' not in outputs:
      return
    fake = checkerboard_share(outputs['fake_images'])
    real = checkerboard_share(outputs['real_images'])
    scalars = {'checkerboard_share': fake, 'checkerboard_share_real': real,
               'checkerboard_ratio': fake / real if real > 0 else float('inf')}
    logging.info('%s: power at period %d: %.5f of the generated letters, %.5f of real ones',
                 name, PERIOD, fake, real)
    result.add(name, scalars, dict(scalars, period=PERIOD, count=len(outputs['fake_images'])))
