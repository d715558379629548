"""Letter classification with softmax cross-entropy: the CNN and BLSTM classifiers.

config.augment (hwr_jax/data/augment.py), when the config has it, changes each training batch;
everything is off by default, and runs recorded before the block existed train without it.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hwr_jax.data import augment, pipeline
from hwr_jax.data.pixels import images_to_float
from hwr_jax.models import get_model_class, init_variables
from hwr_jax.tasks import base
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import TrainState


class Task(base.Task):
  """config.model_name picks the classifier; config.model holds its keyword arguments."""

  DEFAULT_EVALS = {'accuracy': 'classification'}

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    self.model = get_model_class(config.model_name)(
        num_classes=len(data_info.vocabulary), dtype=compute_dtype(config),
        **config.model.to_dict())
    self.output_head = self.model.head
    self.augmentation = config.get('augment')
    if self.augmentation is not None:
      augment.check_config(self.augmentation)

  def init_state(self, rng):
    params_rng, dropout_rng = jax.random.split(rng)
    dummy = jnp.zeros((1, *self.data_info.image_shape, 1), jnp.float32)
    variables = init_variables(self.model.init, {'params': params_rng, 'dropout': dropout_rng},
                               dummy, train=False)
    return TrainState.create(
        apply_fn=self.model.apply, params=variables['params'],
        batch_stats=variables.get('batch_stats', {}),
        tx=make_optimizer(self.config.optimizer, self.config.train.steps))

  def train_step(self, state, batch, rng):
    images = images_to_float(batch['image'])
    # Without augmentation the dropout key is the step's key, as it was before augmentation
    # existed, so such runs train exactly as they did.
    if self.augmentation is not None and augment.active(self.augmentation):
      augment_rng, rng = jax.random.split(rng)
      images = augment.augment(images, augment_rng, self.augmentation)

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

  def answers(self, state, dataset):
    """'probabilities' (N, classes): the softmax of every image's logits."""
    logits = self.outputs(state, dataset)['logits'].astype(np.float64)
    exp = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return {'probabilities': exp / exp.sum(axis=-1, keepdims=True)}

  def outputs(self, state, dataset):
    """'logits' (N, classes) of every image, in order."""
    return {'logits': pipeline.map_chunks(functools.partial(self.predict, state),
                                          self.config.eval.batch_size,
                                          dataset.images[..., None])}
