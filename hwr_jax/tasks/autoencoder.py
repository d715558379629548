"""Autoencoders trained to rebuild their input: the sparse fully connected one and the
convolutional one with tied weights (config.model_name picks the model).

The loss is the classic sparse autoencoder's: half the squared error summed over an image's
pixels (in [0, 1]), averaged over the batch; plus sparsity_weight times the KL divergence of
every sigmoid hidden unit's mean activation over the batch from sparsity_target, summed over
units; plus half weight_decay times the squared kernels; plus kernel_mean_weight times the mean
of every kernel entry (the research log's "0.1*mean(weights)" cost, which pushes the weights
negative and so the sigmoid units off). A model without sigmoid hidden layers (the
convolutional one) has no sparsity term.

The evaluation writes, per data set, reconstruction_<set>.png (a row of originals over a row
of their reconstructions; also to TensorBoard) and report.json with reconstruction_mse (pixels
in [0, 1]) and, for the sparse model, the mean hidden activation next to its target.
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
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.models import get_model_class, init_variables
from hwr_jax.tasks import base
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import TrainState

# Keeps the logarithms of the KL term finite when a unit saturates.
_ACTIVATION_EPSILON = 1e-6


def sparsity_kl(target: float, activations: jax.Array) -> jax.Array:
  """sum_j KL(target || mean activation of unit j over the batch) for activations (B, J) in
  (0, 1): zero exactly when every unit's mean activation equals the target."""
  mean = jnp.clip(jnp.mean(activations, axis=0), _ACTIVATION_EPSILON, 1 - _ACTIVATION_EPSILON)
  return jnp.sum(target * jnp.log(target / mean)
                 + (1 - target) * jnp.log((1 - target) / (1 - mean)))


def kernels(params) -> list[jax.Array]:
  """Every kernel of a parameter tree (biases left out)."""
  return [leaf for path, leaf in jax.tree_util.tree_leaves_with_path(params)
          if 'kernel' in jax.tree_util.keystr(path)]


def kernel_penalty(params) -> jax.Array:
  """Half the sum of the squared kernels (biases are not penalised)."""
  return 0.5 * sum(jnp.sum(kernel ** 2) for kernel in kernels(params))


def kernel_mean(params) -> jax.Array:
  """The mean of every kernel entry, all layers together."""
  every = kernels(params)
  return sum(jnp.sum(kernel) for kernel in every) / sum(kernel.size for kernel in every)


def unit_activations(hidden: tuple[jax.Array, ...]) -> jax.Array:
  """Every hidden layer's activations side by side: (B, units of all layers)."""
  return jnp.concatenate([h.reshape(h.shape[0], -1) for h in hidden], axis=1)


class Task(base.Task):
  """config.model holds the model's keyword arguments; config.autoencoder the loss weights."""

  DEFAULT_EVALS = {'reconstruction': 'reconstruction'}

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    self.model = get_model_class(config.model_name)(
        image_shape=tuple(data_info.image_shape), dtype=compute_dtype(config),
        **config.model.to_dict())
    dummy = jax.ShapeDtypeStruct((1, *data_info.image_shape, 1), jnp.float32)
    variables = jax.eval_shape(self.model.init, jax.random.key(0), dummy)
    _, hidden = jax.eval_shape(self.model.apply, variables, dummy)
    code = jax.eval_shape(functools.partial(self.model.apply, method=self.model.encode),
                          variables, dummy)
    self.sparse = bool(hidden)  # whether the model has sigmoid layers held sparse
    self.code_size = code.shape[-1]

  def init_state(self, rng):
    dummy = jnp.zeros((1, *self.data_info.image_shape, 1), jnp.float32)
    return TrainState.create(apply_fn=self.model.apply,
                             params=init_variables(self.model.init, rng, dummy)['params'],
                             tx=make_optimizer(self.config.optimizer, self.config.train.steps))

  def objective(self, params, images: jax.Array) -> dict[str, jax.Array]:
    """'loss' and its terms for a batch of float images (B, H, W, 1)."""
    settings = self.config.autoencoder
    logits, hidden = self.model.apply({'params': params}, images)
    reconstruction = 0.5 * jnp.mean(jnp.sum((jax.nn.sigmoid(logits) - images) ** 2,
                                            axis=(1, 2, 3)))
    weight_penalty = (settings.weight_decay * kernel_penalty(params)
                      # Runs trained before this cost existed have no such key.
                      + settings.get('kernel_mean_weight', 0.0) * kernel_mean(params))
    terms = {'loss': reconstruction + weight_penalty, 'reconstruction': reconstruction,
             'weight_penalty': weight_penalty}
    if hidden:
      sparsity = settings.sparsity_weight * sum(
          sparsity_kl(settings.sparsity_target, h) for h in hidden)
      terms.update(loss=terms['loss'] + sparsity, sparsity=sparsity,
                   mean_activation=jnp.mean(unit_activations(hidden)))
    return terms

  def train_step(self, state, batch, rng):
    del rng
    images = images_to_float(batch['image'])

    def loss_fn(params):
      terms = self.objective(params, images)
      return terms['loss'], terms

    (_, terms), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    return state.apply_gradients(grads=grads), {**terms, 'grad_norm': optax.tree.norm(grads)}

  @functools.partial(jax.jit, static_argnums=0)
  def _reconstruct(self, state: TrainState, images: jax.Array):
    logits, hidden = state.apply_fn({'params': state.params}, images_to_float(images))
    rebuilt = jnp.round(jax.nn.sigmoid(logits[..., 0]) * 255).astype(jnp.uint8)
    means = jnp.mean(unit_activations(hidden), axis=1) if hidden else jnp.zeros(len(images))
    return rebuilt, means

  @functools.partial(jax.jit, static_argnums=0)
  def _encode(self, state: TrainState, images: jax.Array) -> jax.Array:
    return state.apply_fn({'params': state.params}, images_to_float(images),
                          method=self.model.encode)

  def reconstruct(self, state: TrainState, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 reconstructions (N, H, W) of uint8 images, and each image's mean hidden
    activation (zeros for a model without sparse layers)."""
    return pipeline.map_chunks(lambda chunk: self._reconstruct(state, chunk[..., None]),
                               self.config.eval.batch_size, images)

  def encode(self, state: TrainState, images: np.ndarray) -> dict[str, np.ndarray]:
    """'z' (N, code size): the codes of uint8 images (N, H, W), in order."""
    return {'z': pipeline.map_chunks(lambda chunk: self._encode(state, chunk[..., None]),
                                     self.config.eval.batch_size, images)}

  def grid(self, originals: np.ndarray, rebuilt: np.ndarray) -> np.ndarray:
    """A row of originals over a row of their reconstructions."""
    columns = min(self.config.eval.grid_columns, len(originals))
    return image_grid(np.concatenate([originals[:columns], rebuilt[:columns]]), columns)

  def snapshot(self, state, reference: LetterDataset) -> dict[str, np.ndarray]:
    originals = reference.images[:self.config.eval.grid_columns]
    return {'reconstruction': self.grid(originals, self.reconstruct(state, originals)[0])}

  def outputs(self, state, dataset):
    """'reconstruction' (N, H, W) uint8 of every image, in order; 'mean_activation' (N,) of
    a sparse model's hidden units."""
    rebuilt, means = self.reconstruct(state, dataset.images)
    return {'reconstruction': rebuilt, **({'mean_activation': means} if self.sparse else {})}

  def answers(self, state, dataset):
    """'image': the reconstruction of every image."""
    return {'image': self.reconstruct(state, dataset.images)[0]}

  def pictures(self, state, dataset, outputs):
    return {'reconstruction': self.grid(dataset.images, outputs['reconstruction'])}
