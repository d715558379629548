"""What every task that learns an encoder for a conditional generator shares: codes of real
letters, their reconstructions, and the pictures and figures to compare encoders by.

A task keeps its encoder's and generator's variables under ENCODER and GENERATOR in its state's
params and batch_stats, and sets self.model (a dcgan.Model) and self.encoder (a module mapping
signed images to (z, label scores)). Its evaluation writes, per data set: reconstruction and
edit grids, nearest neighbours in z, a PCA scatter of z, and report.json with
reconstruction_l2 (mean ||x - G(E_z(x), y)||, pixels in [0, 1]), random_image_l2 (the same
distance to another real letter: the baseline) and y_accuracy.
"""

from __future__ import annotations

import functools
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hwr_jax.data import pipeline
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.pixels import images_to_signed, signed_to_images
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.models import dcgan, init_variables
from hwr_jax.tasks import base
from hwr_jax.tasks.gan_losses import (DISCRIMINATOR, GENERATOR, generated_labels,
                                      label_log_probs)
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import PartsState, TrainState

ENCODER = 'encoder'


def build_model(config, data_info) -> dcgan.Model:
  """The conditional DCGAN of config.model, for the data's classes and image size."""
  model = dcgan.Model(num_classes=len(data_info.vocabulary), image_size=data_info.image_shape[0],
                      dtype=compute_dtype(config), **config.model.to_dict())
  if not model.conditional:
    raise ConfigError(f'model.conditional=False: {config.task_name} trains an encoder for a '
                      'conditional generator')
  return model


def label_loss(scores: jax.Array, labels: jax.Array) -> jax.Array:
  """Mean cross-entropy of label logits against class ids."""
  return optax.softmax_cross_entropy_with_integer_labels(scores, labels).mean()


def label_accuracy(scores: jax.Array, labels: jax.Array) -> jax.Array:
  return jnp.mean(jnp.argmax(scores, -1) == labels)


def apply_train(module, params, batch_stats, *args, collections=('batch_stats',), **kwargs):
  """module in training mode: its output and its updated batch statistics (and any other
  mutable collections asked for). A network that reads two batches in one step (real and
  generated letters) chains the statistics through both passes, so its running averages are
  those of everything it reads in training, as when the batches are read one at a time."""
  out, updates = module.apply({'params': params, 'batch_stats': batch_stats}, *args,
                              train=True, mutable=list(collections), **kwargs)
  return out, updates


class EncodingTask(base.Task):
  """Evaluation of an encoder and a generator held in the state."""

  DEFAULT_EVALS = {'reconstruction': 'reconstruction', 'codes': 'codes'}

  @property
  def num_classes(self) -> int:
    return len(self.data_info.vocabulary)

  def set_label_prior(self, sampling: str):
    """How the generated letters' labels are drawn (a gan.label_sampling: the task's own, or
    the GAN run's where the task has no gan block) and the class log-probabilities it uses."""
    self.label_sampling = sampling
    self.label_log_probs = label_log_probs(self.data_info.class_counts, sampling)

  def code(self, z: jax.Array) -> jax.Array:
    """The code of an encoder output (the whole of it; a VAE keeps its mean)."""
    return z

  def generate(self, params, batch_stats, z, y):
    """The generator in inference mode: signed images (B, S, S, 1)."""
    return self.model.generator.apply({'params': params[GENERATOR],
                                       'batch_stats': batch_stats[GENERATOR]}, z, y)

  @functools.partial(jax.jit, static_argnums=0)
  def _encode(self, state, images):
    z, logits, *_ = self.encoder.apply({'params': state.params[ENCODER],
                                        'batch_stats': state.batch_stats[ENCODER]},
                                        images_to_signed(images))
    return self.code(z), jnp.argmax(logits, -1)

  @functools.partial(jax.jit, static_argnums=0)
  def _rebuild(self, state, z, labels):
    return signed_to_images(self.generate(state.params, state.batch_stats, z,
                                          self.model.encode_labels(labels)))

  def encode(self, state: TrainState, images: np.ndarray) -> dict[str, np.ndarray]:
    """'z' (N, z_dim) and 'predicted' class ids (N,) of uint8 images (N, H, W), in order."""
    z, predicted = pipeline.map_chunks(lambda chunk: self._encode(state, chunk[..., None]),
                                       self.config.eval.batch_size, images)
    return {'z': z, 'predicted': predicted.astype(np.int32)}

  def rebuild(self, state: TrainState, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """uint8 letters (N, H, W) that the generator draws from z with the given labels."""
    return pipeline.map_chunks(functools.partial(self._rebuild, state),
                               self.config.eval.batch_size, np.asarray(z, np.float32),
                               np.asarray(labels, np.int32))

  def grids(self, state: TrainState, dataset: LetterDataset, z: np.ndarray
            ) -> dict[str, np.ndarray]:
    """'reconstruction': originals over their reconstructions; 'edit': under the originals,
    each one's z drawn as every letter (one row per letter, its style kept)."""
    columns = min(self.config.eval.grid_columns, len(dataset))
    originals, z = dataset.images[:columns], z[:columns]
    rebuilt = self.rebuild(state, z, dataset.labels[:columns])
    edits = self.rebuild(state, np.tile(z, (self.num_classes, 1)),
                         np.repeat(np.arange(self.num_classes), columns))
    return {'reconstruction': image_grid(np.concatenate([originals, rebuilt]), columns),
            'edit': image_grid(np.concatenate([originals, edits]), columns,
                               row_names=['original', *self.data_info.vocabulary.labels])}



  def snapshot(self, state, reference: LetterDataset) -> dict[str, np.ndarray]:
    columns = min(self.config.eval.grid_columns, len(reference))
    return self.grids(state, reference, self.encode(state, reference.images[:columns])['z'])

  def outputs(self, state, dataset):
    """'z' and 'predicted' label of every image, in order; the letters the generator rebuilds
    from z with the true labels ('reconstruction') and with the predicted ones."""
    encoded = self.encode(state, dataset.images)
    return {**encoded,
            'reconstruction': self.rebuild(state, encoded['z'], dataset.labels),
            'reconstruction_predicted_labels': self.rebuild(state, encoded['z'],
                                                            encoded['predicted'])}

  def pictures(self, state, dataset, outputs):
    return self.grids(state, dataset, outputs['z'])

  def answers(self, state, dataset):
    """'z' and the 'predicted' label of every letter."""
    return self.encode(state, dataset.images)


class GanEncodingTask(EncodingTask):
  """An encoder trained together with a generator and a discriminator (self.discriminator;
  None where the encoder is the discriminator), each part with its own optimizer state."""

  def discriminator_inputs(self, image, z, y) -> tuple:
    """What the discriminator reads: (image, label) unless it also reads z."""
    del z
    return image, y

  def fresh_variables(self, rng: jax.Array) -> dict:
    """{'params': {part: ...}, 'batch_stats': {part: ...}}, freshly initialised."""
    z = jnp.zeros((1, self.model.z_dim))
    y = jnp.zeros((1, self.model.label_dim))
    image = jnp.zeros((1, *self.data_info.image_shape, 1))
    modules = {GENERATOR: (self.model.generator, (z, y)), ENCODER: (self.encoder, (image,))}
    if self.discriminator is not None:
      modules[DISCRIMINATOR] = (self.discriminator, self.discriminator_inputs(image, z, y))
    fresh = {part: init_variables(module.init, part_rng, *args)
             for (part, (module, args)), part_rng in zip(modules.items(),
                                                         jax.random.split(rng, 3))}
    return {collection: {part: v.get(collection, {}) for part, v in fresh.items()}
            for collection in ('params', 'batch_stats')}

  def parts_state(self, variables: dict) -> PartsState:
    tx = make_optimizer(self.config.optimizer, self.config.train.steps)
    return PartsState.create_parts(apply_fn=None, params=variables['params'],
                                   batch_stats=variables['batch_stats'],
                                   txs={part: tx for part in variables['params']})

  def init_state(self, rng):
    return self.parts_state(self.fresh_variables(rng))

  def real_and_prior(self, batch, rng: jax.Array) -> tuple[jax.Array, ...]:
    """A step's inputs: the real letters (signed), their class ids and label vectors, and as
    many z ~ N(0, I) and label vectors of the generated letters (`generated_labels` under
    self.label_sampling)."""
    real = images_to_signed(batch['image'])
    z_rng, label_rng = jax.random.split(rng)
    z = jax.random.normal(z_rng, (real.shape[0], self.model.z_dim))
    y = self.model.encode_labels(generated_labels(self.label_sampling,
                                                  self.label_log_probs, label_rng, batch['label']))
    return real, batch['label'], self.model.encode_labels(batch['label']), z, y

  def update_parts(self, state: PartsState, outputs, pull_back, new_stats: Mapping,
                   losses: Mapping) -> tuple[PartsState, dict[str, jax.Array], jax.Array]:
    """One step of every part from one shared forward pass (`jax.vjp` of the parameters to
    `outputs`): each loss of the outputs is pulled back once and trains the parts it names.

    losses: name -> (function of the outputs, the parts it trains). Returns the advanced
    state, each loss's value, and the norm of every part's gradient."""
    values, grads_of = {}, {}
    for name, (loss_fn, parts) in losses.items():
      values[name], cotangent = jax.value_and_grad(loss_fn)(outputs)
      (grads,) = pull_back(cotangent)
      for part in parts:
        state = state.update_part(part, grads[part], new_stats[part])
        grads_of[part] = grads[part]
    return state.advance(), values, optax.tree.norm(grads_of)
