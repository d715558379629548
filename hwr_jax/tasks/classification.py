"""Letter classification with softmax cross-entropy: the CNN and BLSTM classifiers."""

from __future__ import annotations

import functools
from typing import Mapping, Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import logging

from hwr_jax.data import pipeline
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.pixels import images_to_float
from hwr_jax.evaluation import classification as metrics_lib
from hwr_jax.models import get_model_class
from hwr_jax.tasks import base
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.state import TrainState
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.training.precision import compute_dtype


class Task(base.Task):
  """config.model_name picks the classifier; config.model holds its keyword arguments."""

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    self.model = get_model_class(config.model_name)(
        num_classes=len(data_info.vocabulary), dtype=compute_dtype(config),
        **config.model.to_dict())

  def init_state(self, rng):
    params_rng, dropout_rng = jax.random.split(rng)
    dummy = jnp.zeros((1, *self.data_info.image_shape, 1), jnp.float32)
    variables = self.model.init({'params': params_rng, 'dropout': dropout_rng}, dummy,
                                train=False)
    return TrainState.create(
        apply_fn=self.model.apply, params=variables['params'],
        batch_stats=variables.get('batch_stats', {}),
        tx=make_optimizer(self.config.optimizer, self.config.train.steps))

  def train_step(self, state, batch, rng):
    images = images_to_float(batch['image'])

    def loss_fn(params):
      logits, updates = state.apply_fn(
          {'params': params, 'batch_stats': state.batch_stats}, images, train=True,
          rngs={'dropout': rng}, mutable=['batch_stats'])
      targets = optax.smooth_labels(
          jax.nn.one_hot(batch['label'], logits.shape[-1]), self.config.train.label_smoothing)
      loss = optax.softmax_cross_entropy(logits, targets).mean()
      return loss, (logits, updates)

    (loss, (logits, updates)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    state = state.apply_gradients(grads=grads,
                                  batch_stats=updates.get('batch_stats', state.batch_stats))
    accuracy = jnp.mean(jnp.argmax(logits, -1) == batch['label'])
    return state, {'loss': loss, 'accuracy': accuracy,
                   'grad_norm': optax.tree.norm(grads)}

  @functools.partial(jax.jit, static_argnums=0)
  def predict(self, state: TrainState, images: jax.Array) -> jax.Array:
    return state.apply_fn({'params': state.params, 'batch_stats': state.batch_stats},
                          images_to_float(images), train=False)

  def predictions(self, state: TrainState, dataset: LetterDataset) -> np.ndarray:
    """The predicted class id of every image, in order."""
    return pipeline.map_chunks(lambda images: jnp.argmax(self.predict(state, images), -1),
                               self.config.eval.batch_size, dataset.images[..., None])

  def evaluate(self, state, datasets: Mapping[str, LetterDataset],
               out_dir: Optional[str]) -> EvalResult:
    result = EvalResult(scalars={})
    for name, dataset in datasets.items():
      report = metrics_lib.classification_report(
          dataset.labels, self.predictions(state, dataset), self.data_info.vocabulary)
      logging.info('%s', metrics_lib.format_report(name, report))
      result.scalars[name] = {'accuracy': report['accuracy']}
      result.report[name] = report
      picture = metrics_lib.confusion_image(np.asarray(report['confusion']),
                                            self.data_info.vocabulary)
      result.add_image(f'{name}/confusion', picture, out_dir, f'confusion_{name}.png')
    result.write_report(out_dir)
    return result
