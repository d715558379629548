"""Denoising: from a gray letter crop (noisy, with its neighbours) to its clean binary ink.

Trained with per-pixel sigmoid cross-entropy on paired data (a data block with data.targets:
by default the synthetic generator's context crops and clean targets). The conditional model
(model.conditional) also reads the letter's label. Output probabilities above
denoiser.threshold are ink.

An unconditional denoiser also binarises whole images of any size (pages): overlapping tiles
of its input size, denoiser.tile_overlap of a tile apart, blended (hwr_jax/data/tiles.py); a
set of pages (PageSet) is evaluated that way, and so are the folders launch.predict answers.

The evaluation writes, per data set with targets: denoise_<set>.png (rows of inputs, targets
and outputs; for pages, the first page, its ground truth and its output side by side),
fscore_<set>.md (the overall F-table and scores, the F-score at each threshold of
denoiser.sweep_thresholds and the best one), dibco_<set>.md (the DIBCO measures: F-measure,
pseudo-F, PSNR and DRD, means over the images) and report.json (the same, with every image's
F-table and DIBCO measures). The logged figures of each set (the overall counts and scores,
the sweep's best and the DIBCO means) are what launch.compare puts side by side for several
denoisers in one table.
"""

from __future__ import annotations

import functools
from typing import Iterable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hwr_jax.data import pipeline, tiles
from hwr_jax.data.dataset import LetterDataset, PageSet
from hwr_jax.data.pixels import images_to_float
from hwr_jax.data.sources import SYNTHETIC_PAGES
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.models import get_model_class, init_variables
from hwr_jax.tasks import base
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import TrainState


class Task(base.Task):
  """config.model: the denoiser's keyword arguments; config.denoiser: threshold, sweep and
  the tiles' overlap."""

  DEFAULT_EVALS = {'fscore': 'fscore', 'dibco': 'dibco'}

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    threshold = config.denoiser.threshold
    if not 0.0 < threshold < 1.0:
      raise ConfigError(f'denoiser.threshold={threshold!r}: must be in (0, 1)')
    if not config.data.get('targets') and config.data.source != SYNTHETIC_PAGES:
      raise ConfigError('data.targets is empty: the denoiser trains on paired data (a folder of '
                        "targets, 'clean' for the synthetic source, or 'binarized'; or "
                        f'data.source={SYNTHETIC_PAGES!r}, pages with their ground truth)')
    if config.model.get('conditional') and len(data_info.vocabulary) < 2:
      raise ConfigError(f'model.conditional=True reads the letter label, but the data have '
                        f'{len(data_info.vocabulary)} class: label the images, or set '
                        'model.conditional=False')
    self.model = get_model_class(config.model_name)(
        num_classes=len(data_info.vocabulary), dtype=compute_dtype(config),
        **config.model.to_dict())
    # Runs recorded before pages were binarised had no overlap setting; half a tile is the
    # default of every config.
    self.tile_stride = tiles.stride_for(tuple(data_info.image_shape),
                                        config.denoiser.get('tile_overlap', 0.5))

  def init_state(self, rng):
    image = jnp.zeros((1, *self.data_info.image_shape, 1), jnp.float32)
    params = init_variables(self.model.init, rng, image, jnp.zeros((1,), jnp.int32))['params']
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

  def _chunked(self, state: TrainState, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return pipeline.map_chunks(
        lambda images, labels: self._probabilities(state, images[..., None], labels),
        self.config.eval.batch_size, images, labels)

  def probabilities(self, state: TrainState, dataset: LetterDataset) -> np.ndarray:
    """The ink probability (N, H, W) of every pixel of every image, in order."""
    return self._chunked(state, dataset.images, dataset.labels)

  @property
  def binarises_pages(self) -> bool:
    """A conditional model reads each letter's label, which a page does not have."""
    return not self.config.model.get('conditional')

  def page_probabilities(self, state: TrainState, pages: Iterable[np.ndarray]
                         ) -> Iterator[np.ndarray]:
    """The ink probability (H, W) of every pixel of each page (uint8, ink bright, any size),
    page by page: overlapping tiles of the model's size, eval.batch_size tiles at a time,
    blended."""
    if not self.binarises_pages:
      raise ConfigError('a conditional denoiser reads each letter\'s label, which a page does '
                        'not have: binarise pages with an unconditional one')
    return tiles.blend(
        pages, tuple(self.data_info.image_shape), self.tile_stride,
        lambda batch: self._chunked(state, batch, np.zeros(len(batch), np.int32)),
        self.config.eval.batch_size)

  def binarise_pages(self, state: TrainState, pages: Iterable[np.ndarray]
                     ) -> Iterator[np.ndarray]:
    """The ink (bool (H, W)) of each page: its probability above denoiser.threshold."""
    threshold = self.config.denoiser.threshold
    return (probability > threshold for probability in self.page_probabilities(state, pages))

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

  def page_picture(self, pages: PageSet, probabilities: list[np.ndarray]) -> np.ndarray:
    """The first page, its ground truth and its thresholded output, side by side."""
    output = np.where(probabilities[0] > self.config.denoiser.threshold, 255, 0)
    gap = np.full((pages.images[0].shape[0], 8), 128, np.uint8)
    return np.hstack([pages.images[0], gap, pages.targets[0], gap, output.astype(np.uint8)])

  def outputs(self, state, dataset):
    """'ink_probability' of every pixel of every image, in order: (N, H, W) for crops, a list
    of (H, W) for the pages of a PageSet."""
    if isinstance(dataset, PageSet):
      return {'ink_probability': list(self.page_probabilities(state, dataset.images))}
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
    if isinstance(dataset, PageSet):
      return {'denoise': self.page_picture(dataset, outputs['ink_probability'])}
    return {'denoise': self.grid(dataset, outputs['ink_probability'])}
