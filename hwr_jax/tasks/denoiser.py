"""Denoising: from a gray letter crop (noisy, with its neighbours) to its clean binary ink.

Trained with per-pixel sigmoid cross-entropy on paired data (a data block with data.targets:
by default the synthetic generator's context crops and clean targets). The conditional model
(model.conditional) also reads the letter's label. Output probabilities above
denoiser.threshold are ink.

The evaluation writes, per data set with targets: denoise_<set>.png (rows of inputs, targets
and outputs), fscore_<set>.md (the overall F-table and scores, the F-score at each threshold of
denoiser.sweep_thresholds and the best one) and report.json (the same, with every image's
F-table). The logged figures of each set (the overall counts and scores, and the sweep's
best) are what launch.compare puts side by side for several denoisers in one table.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hwr_jax.data import pipeline
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.pixels import images_to_float
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.models import get_model_class
from hwr_jax.tasks import base
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import TrainState


class Task(base.Task):
  """config.model: the denoiser's keyword arguments; config.denoiser: threshold and sweep."""

  DEFAULT_EVALS = {'fscore': 'fscore'}

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    threshold = config.denoiser.threshold
    if not 0.0 < threshold < 1.0:
      raise ConfigError(f'denoiser.threshold={threshold!r}: must be in (0, 1)')
    if not config.data.get('targets'):
      raise ConfigError('data.targets is empty: the denoiser trains on paired data (a folder of '
                        "targets, 'clean' for the synthetic source, or 'binarized')")
    if config.model.get('conditional') and len(data_info.vocabulary) < 2:
      raise ConfigError(f'model.conditional=True reads the letter label, but the data have '
                        f'{len(data_info.vocabulary)} class: label the images, or set '
                        'model.conditional=False')
    self.model = get_model_class(config.model_name)(
        num_classes=len(data_info.vocabulary), dtype=compute_dtype(config),
        **config.model.to_dict())

  def init_state(self, rng):
    image = jnp.zeros((1, *self.data_info.image_shape, 1), jnp.float32)
    params = self.model.init(rng, image, jnp.zeros((1,), jnp.int32))['params']
    return TrainState.create(apply_fn=self.model.apply, params=params,
                             tx=make_optimizer(self.config.optimizer, self.config.train.steps))

  def train_step(self, state, batch, rng):
    del rng
    images, targets = images_to_float(batch['image']), images_to_float(batch['target'])

    def loss_fn(params):
      logits = state.apply_fn({'params': params}, images, batch['label'])
      return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, targets)), logits

    (loss, logits), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    predicted = jax.nn.sigmoid(logits) > self.config.denoiser.threshold
    accuracy = jnp.mean(predicted == (targets > 0.5))
    return state.apply_gradients(grads=grads), {'loss': loss, 'pixel_accuracy': accuracy,
                                                'grad_norm': optax.tree.norm(grads)}

  @functools.partial(jax.jit, static_argnums=0)
  def _probabilities(self, state: TrainState, images: jax.Array, labels: jax.Array):
    logits = state.apply_fn({'params': state.params}, images_to_float(images), labels)
    return jax.nn.sigmoid(logits[..., 0])

  def probabilities(self, state: TrainState, dataset: LetterDataset) -> np.ndarray:
    """The ink probability (N, H, W) of every pixel of every image, in order."""
    return pipeline.map_chunks(
        lambda images, labels: self._probabilities(state, images[..., None], labels),
        self.config.eval.batch_size, dataset.images, dataset.labels)

  def grid(self, dataset: LetterDataset, probabilities: np.ndarray) -> np.ndarray:
    """Rows of inputs, targets and thresholded outputs."""
    columns = min(self.config.eval.grid_columns, len(dataset))
    outputs = np.where(probabilities[:columns] > self.config.denoiser.threshold, 255, 0)
    return image_grid(np.concatenate([dataset.images[:columns], dataset.targets[:columns],
                                      outputs.astype(np.uint8)]), columns,
                      row_names=['input', 'target', 'output'])

  def snapshot(self, state, reference: LetterDataset) -> dict[str, np.ndarray]:
    if reference.targets is None:
      return {}
    reference = reference.subset(np.arange(min(self.config.eval.grid_columns, len(reference))))
    return {'denoise': self.grid(reference, self.probabilities(state, reference))}

  def outputs(self, state, dataset):
    """'ink_probability' (N, H, W) of every pixel of every image, in order."""
    return {'ink_probability': self.probabilities(state, dataset)}

  @property
  def answers_need_labels(self) -> bool:
    return bool(self.config.model.get('conditional'))

  def answers(self, state, dataset):
    """'image': the binary ink (255) of every image at denoiser.threshold."""
    ink = self.probabilities(state, dataset) > self.config.denoiser.threshold
    return {'image': np.where(ink, 255, 0).astype(np.uint8)}

  def pictures(self, state, dataset, outputs):
    if dataset.targets is None:
      return {}
    return {'denoise': self.grid(dataset, outputs['ink_probability'])}
