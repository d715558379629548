"""A trained letter classifier used as the judge of generated letters.

Its predictions give label fidelity and its penultimate activations the feature space of the
Fréchet distance, so no Inception weights are downloaded: the domain's own classifier decides
what two sets of letters have in common.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from absl import logging

from hwr_jax.data import pipeline
from hwr_jax.data.pixels import images_to_float
from hwr_jax.data.sources import resize_images
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError


class DomainClassifier:
  """The classifier of a classification workdir, checked against the letters it will judge."""

  def __init__(self, workdir: str, task, state, vocabulary: Vocabulary,
               image_shape: tuple[int, int], batch_size: int = 500):
    """`task` and `state`: the run of `workdir` as hwr_jax.tasks.restore.load_trained gives it."""
    if task.config.task_name != 'classification':
      raise ConfigError(f'eval.classifier_workdir={workdir} holds a {task.config.task_name} '
                        'run; it must be a letter classifier (task classification)')
    if task.data_info.vocabulary != vocabulary:
      raise ConfigError(f'the classifier in {workdir} knows other labels than this run '
                        f'({len(task.data_info.vocabulary)} vs {len(vocabulary)} classes); '
                        'train it on the same data')
    self.image_shape = tuple(task.data_info.image_shape)
    if self.image_shape != tuple(image_shape):
      # A judge is costly to train at every size (Fashion-MNIST's at 28x28 took 30 minutes
      # on 2 cores); letters resampled to its size as the loaders resample data keep the
      # scores comparable between runs at one size.
      logging.info('The judge in %s reads %s images: letters of %s are resized to that',
                   workdir, self.image_shape, tuple(image_shape))
    self.workdir = workdir
    self.vocabulary = vocabulary
    self._state = state
    self._batch_size = batch_size

  @functools.partial(jax.jit, static_argnums=0)
  def _predictions_and_features(self, state, images: jax.Array
                                ) -> tuple[jax.Array, jax.Array]:
    logits, sown = state.apply_fn({'params': state.params, 'batch_stats': state.batch_stats},
                                  images_to_float(images), train=False,
                                  mutable=['intermediates'])
    return jnp.argmax(logits, -1), sown['intermediates']['features'][0]

  def judge(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, H, W), of any size (resized to the judge's) -> (predicted class ids
    (N,), features (N, D))."""
    images = resize_images(np.asarray(images, np.uint8), self.image_shape)
    return pipeline.map_chunks(functools.partial(self._predictions_and_features, self._state),
                               self._batch_size, images[..., None])
