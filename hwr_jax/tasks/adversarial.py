"""Adversarial training of a (conditional) DCGAN, scored by a separately trained classifier.

One step updates the discriminator, then the generator against the updated discriminator
(as the reference DCGAN and IcGAN code do), running the generator once: its fakes serve both
losses, and the generator's gradient is pulled back through the saved `jax.vjp`.

The discriminator's loss is binary cross-entropy on real pairs (image, its label) against
generated pairs; with gan.matching_aware it also sees real images with a wrong label as fake,
the generated and wrong-label terms weighted 0.5 each (IcGAN, after Reed et al. 2016). The
generator's loss is the non-saturating -log D(G(z, y), y).
"""

from __future__ import annotations

import functools
from typing import Optional

import jax
import jax.numpy as jnp
import numpy as np
import optax
from absl import logging

from hwr_jax.data import pipeline
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.pixels import images_to_signed, signed_to_images
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation import generation
from hwr_jax.evaluation.domain_classifier import DomainClassifier
from hwr_jax.models import get_model_class, init_variables
from hwr_jax.tasks import base
from hwr_jax.tasks.gan_losses import (DISCRIMINATOR, GENERATOR, bce_real, discriminator_loss,
                                      generated_labels, label_log_probs, wrong_labels)
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import PartsState

# Keys folded from the seed for the fixed noise of sample grids and of evaluations, so every
# checkpoint of a run is shown and scored on the same z.
_SNAPSHOT_KEY, _EVAL_KEY, _BALANCED_KEY = 2, 3, 4
_FAKE_ROWS = 3


class Task(base.Task):
  """config.model: the dcgan Model's fields; config.gan: label_sampling, matching_aware;
  config.eval: classifier_workdir (the judge), num_samples."""

  DEFAULT_EVALS = {'generation': 'generation', 'spectra': 'spectra'}

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    height, width = data_info.image_shape
    if height != width:
      raise ConfigError(f'a GAN needs square images, the data has {height}x{width}')
    self.model = get_model_class(config.model_name)(
        num_classes=len(data_info.vocabulary), image_size=height,
        dtype=compute_dtype(config), **config.model.to_dict())
    self.label_log_probs = label_log_probs(data_info.class_counts, config.gan.label_sampling)
    if config.gan.matching_aware and (not self.model.conditional or self.num_classes < 2):
      raise ConfigError('gan.matching_aware needs a conditional model and at least 2 classes')

  @property
  def num_classes(self) -> int:
    return len(self.data_info.vocabulary)

  def init_state(self, rng):
    variables = init_variables(self.model.init, rng)
    tx = make_optimizer(self.config.optimizer, self.config.train.steps)
    return PartsState.create_parts(apply_fn=None, params=variables['params'],
                                   batch_stats=variables['batch_stats'],
                                   txs={GENERATOR: tx, DISCRIMINATOR: tx})

  def sample_z(self, rng: jax.Array, count: int) -> jax.Array:
    return jax.random.normal(rng, (count, self.model.z_dim))

  def discriminate(self, params, batch_stats, images, y):
    """Train-mode logits and the new batch statistics."""
    logits, updates = self.model.discriminator.apply(
        {'params': params, 'batch_stats': batch_stats}, images, y, train=True,
        mutable=['batch_stats'])
    return logits, updates['batch_stats']

  def train_step(self, state, batch, rng):
    real = images_to_signed(batch['image'])
    count = real.shape[0]
    z_rng, label_rng, wrong_rng = jax.random.split(rng, 3)
    fake_labels = generated_labels(self.config.gan.label_sampling, self.label_log_probs,
                                   label_rng, batch['label'])
    y_real = self.model.encode_labels(batch['label'])
    y_fake = self.model.encode_labels(fake_labels)

    def generate(g_params):
      fake, updates = self.model.generator.apply(
          {'params': g_params, 'batch_stats': state.batch_stats[GENERATOR]},
          self.sample_z(z_rng, count), y_fake, train=True, mutable=['batch_stats'])
      return fake, updates['batch_stats']

    fake, pull_back, g_stats = jax.vjp(generate, state.params[GENERATOR], has_aux=True)

    def d_loss_fn(d_params):
      stats = state.batch_stats[DISCRIMINATOR]
      real_logits, stats = self.discriminate(d_params, stats, real, y_real)
      wrong_logits = None
      if self.config.gan.matching_aware:
        y_wrong = self.model.encode_labels(wrong_labels(wrong_rng, batch['label'],
                                                        self.num_classes))
        wrong_logits, stats = self.discriminate(d_params, stats, real, y_wrong)
      fake_logits, stats = self.discriminate(d_params, stats, jax.lax.stop_gradient(fake),
                                             y_fake)
      loss = discriminator_loss(real_logits, fake_logits, wrong_logits)
      return loss, (stats, real_logits, fake_logits)

    (d_loss, (d_stats, real_logits, fake_logits)), d_grads = jax.value_and_grad(
        d_loss_fn, has_aux=True)(state.params[DISCRIMINATOR])
    state = state.update_part(DISCRIMINATOR, d_grads, d_stats)

    def g_loss_fn(images):
      logits, stats = self.discriminate(state.params[DISCRIMINATOR],
                                        state.batch_stats[DISCRIMINATOR], images, y_fake)
      return bce_real(logits), stats

    (g_loss, d_stats), image_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(fake)
    (g_grads,) = pull_back(image_grads)
    state = state.update_part(GENERATOR, g_grads, g_stats)
    state = state.replace(batch_stats={**state.batch_stats, DISCRIMINATOR: d_stats}).advance()
    return state, {
        'loss': d_loss + g_loss, 'd_loss': d_loss, 'g_loss': g_loss,
        'd_real': jnp.mean(jax.nn.sigmoid(real_logits)),
        'd_fake': jnp.mean(jax.nn.sigmoid(fake_logits)),
        'grad_norm': optax.tree.norm({GENERATOR: g_grads, DISCRIMINATOR: d_grads})}

  @functools.partial(jax.jit, static_argnums=0)
  def _generate(self, params, batch_stats, z, labels):
    fake = self.model.generator.apply({'params': params, 'batch_stats': batch_stats}, z,
                                      self.model.encode_labels(labels), train=False)
    return signed_to_images(fake)

  def generate(self, state: PartsState, labels: np.ndarray, rng: jax.Array) -> np.ndarray:
    """uint8 letters (N, H, W) of the given class ids, from z drawn from `rng`."""
    return self.generate_from(state, np.asarray(self.sample_z(rng, len(labels))), labels)

  def generate_from(self, state: PartsState, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """uint8 letters (N, H, W) from given z (N, z_dim) and class ids (N,), in fixed-size
    batches so that one compiled generator serves any N."""
    return pipeline.map_chunks(
        lambda z_batch, label_batch: self._generate(
            state.params[GENERATOR], state.batch_stats[GENERATOR], z_batch, label_batch),
        self.config.eval.batch_size, np.asarray(z, np.float32), np.asarray(labels, np.int32))

  def _key(self, purpose: int) -> jax.Array:
    return jax.random.fold_in(jax.random.key(self.config.seed), purpose)

  def snapshot(self, state, reference: LetterDataset) -> dict[str, np.ndarray]:
    """Sample grids on fixed z: a row of real letters above rows of fakes with the same
    labels, and (conditional models) one row per class with the same z in each column."""
    columns = min(self.config.eval.grid_columns, len(reference))
    labels = reference.labels[:columns]
    fakes = [self.generate(state, labels, jax.random.fold_in(self._key(_SNAPSHOT_KEY), row))
             for row in range(_FAKE_ROWS)]
    images = {'samples': generation.image_grid(
        np.concatenate([reference.images[:columns], *fakes]), columns)}
    if self.model.conditional:
      z_key = jax.random.fold_in(self._key(_SNAPSHOT_KEY), _FAKE_ROWS)
      z = np.tile(np.asarray(self.sample_z(z_key, columns)), (self.num_classes, 1))
      grid = self.generate_from(state, z, np.repeat(np.arange(self.num_classes), columns))
      images['classes'] = generation.image_grid(grid, columns,
                                                row_names=self.data_info.vocabulary.labels)
    return images

  def prepare(self):
    self.judge()

  def judge(self) -> Optional[DomainClassifier]:
    """The classifier of eval.classifier_workdir at its latest checkpoint (loaded anew for each
    evaluation, so a judge that was still training when the GAN started is used finished);
    None when not configured."""
    if not self.config.eval.classifier_workdir:
      return None
    workdir = self.config.eval.classifier_workdir
    return DomainClassifier(workdir, *load_trained(workdir), self.data_info.vocabulary,
                            self.data_info.image_shape, self.config.eval.batch_size)

  def outputs(self, state, dataset):
    """Up to eval.num_samples letters of `dataset` and as many generated with their labels;
    with a judge, also what it sees of them and of the untrained generator's letters (of the
    same seed): features of all three, the labels asked for and the labels it reads."""
    keep = np.random.default_rng([self.config.seed, _EVAL_KEY]).permutation(len(dataset))[
        :self.config.eval.num_samples]
    labels = dataset.labels[keep]
    real = dataset.images[keep]
    fake = self.generate(state, labels, self._key(_EVAL_KEY))
    outputs = {'real_images': real, 'fake_images': fake}
    judge = self.judge()
    if judge is None:
      logging.warning('eval.classifier_workdir is not set: no label fidelity or Fréchet '
                      'distance')
      return outputs
    untrained = self.init_state(jax.random.fold_in(jax.random.key(self.config.seed), 0))
    _, real_features = judge.judge(real)
    predicted, fake_features = judge.judge(fake)
    _, untrained_features = judge.judge(self.generate(untrained, labels, self._key(_EVAL_KEY)))
    outputs.update(real_features=real_features, fake_features=fake_features,
                   untrained_features=untrained_features)
    if self.model.conditional:
      outputs.update(conditioned=labels, fake_predicted=predicted)
      outputs.update(self.balanced_fidelity_outputs(state, judge))
    return outputs

  def balanced_fidelity_outputs(self, state, judge) -> dict[str, np.ndarray]:
    """eval.per_class_samples letters of every class and the judge's reading of them: the
    test letters' labels leave rare letters a handful of samples, too few to score them."""
    per_class = self.config.eval.get('per_class_samples', 0)
    if not per_class:
      return {}
    labels = np.repeat(np.arange(self.num_classes), per_class)
    predicted, _ = judge.judge(self.generate(state, labels, self._key(_BALANCED_KEY)))
    return {'balanced_conditioned': labels, 'balanced_predicted': predicted}

  def pictures(self, state, dataset, outputs):
    return self.snapshot(state, dataset)
