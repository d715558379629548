"""How close rebuilt letters are to the originals, against the distance between two real ones."""

from __future__ import annotations

import numpy as np
from absl import logging

from hwr_jax.evaluation import evaluator


def reconstruction_errors(images: np.ndarray, rebuilt: np.ndarray) -> dict[str, float]:
  """Pixel mean squared error and mean per-image L2 distance, pixels in [0, 1]; and the same
  L2 distance between each image and another real image of the set (a shifted pairing), the
  baseline any encoder must beat."""
  a = images.reshape(len(images), -1).astype(np.float64) / 255.0
  b = rebuilt.reshape(len(rebuilt), -1).astype(np.float64) / 255.0
  return {'reconstruction_mse': float(np.mean((a - b) ** 2)),
          'reconstruction_l2': float(np.mean(np.linalg.norm(a - b, axis=1))),
          'random_image_l2': float(np.mean(np.linalg.norm(a - np.roll(a, 1, axis=0), axis=1)))}


class Evaluator(evaluator.Evaluator):
  """Errors of the task's 'reconstruction' (uint8, as the images); of the
  'reconstruction_predicted_labels' too where an encoder also predicts the label it draws
  with; and the mean hidden activation of a sparse model ('mean_activation' per image), beside
  its target config.autoencoder.sparsity_target."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    scalars = reconstruction_errors(dataset.images, outputs['reconstruction'])
    if 'reconstruction_predicted_labels' in outputs:
      scalars['reconstruction_l2_predicted_labels'] = reconstruction_errors(
          dataset.images, outputs['reconstruction_predicted_labels'])['reconstruction_l2']
    if 'mean_activation' in outputs:
      scalars['mean_activation'] = float(np.mean(outputs['mean_activation']))
    report = dict(scalars, count=len(dataset))
    if 'mean_activation' in outputs:
      report['sparsity_target'] = self.config.autoencoder.sparsity_target
    result.add(name, scalars, report)
    logging.info('%s: %s', name, ', '.join(f'{key} {value:.5f}' for key, value in scalars.items()))
