"""Dating: predicting the year of a letter's manuscript, scored per manuscript.

config.dating.target picks the output: 'regression' (one number, the year scaled by the training
set's mean and spread, squared error) or 'periods' (softmax over bins of period_years years
spanning the training dates; the predicted year is the expected bin centre). Either way every
letter gets a predicted year, and evaluation combines a manuscript's letters into one date
(config.dating.aggregate) and compares it with the baseline that predicts the training mean.

A manuscript seen in training would flatter every figure, so the task refuses data in which a
manuscript is on both sides; the configs split by manuscript, which makes that impossible.
"""

from __future__ import annotations

import functools
from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
import optax

from hwr_jax.data import augment, pipeline
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.pixels import images_to_float
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.evaluation import dating as metrics_lib
from hwr_jax.models import get_model_class, init_variables
from hwr_jax.tasks import base
from hwr_jax.training.optimizers import make_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import TrainState

TARGETS = ('regression', 'periods')


def check_settings(config) -> None:
  settings = config.dating
  if settings.target not in TARGETS:
    raise ConfigError(f'dating.target={settings.target!r}: expected regression or periods')
  if settings.aggregate not in metrics_lib.AGGREGATES:
    raise ConfigError(f'dating.aggregate={settings.aggregate!r}: expected '
                      f'{" or ".join(metrics_lib.AGGREGATES)}')
  if settings.period_years <= 0:
    raise ConfigError(f'dating.period_years={settings.period_years}: must be positive')
  augment.check_config(config.augment)


def check_no_shared_manuscripts(train: LetterDataset, others: Mapping[str, LetterDataset]) -> None:
  """Refuses any manuscript that has letters both in training and in a set that is scored."""
  seen = set(np.asarray(train.metadata['manuscript'], dtype=str).tolist())
  for name, dataset in others.items():
    shared = sorted(seen & set(np.asarray(dataset.metadata['manuscript'], dtype=str).tolist()))
    if shared:
      raise DataError(f'manuscript {shared[0]!r} ({len(shared)} in all) has letters in both the '
                      f'train and the {name} set, so its date would be learnt, not predicted; '
                      "split by manuscript (data.split='manuscript')")


class Task(base.Task):
  """config.model_name picks the network (dating_cnn); config.model holds its keyword
  arguments, config.dating the target and scoring, config.augment the augmentation."""

  DEFAULT_EVALS = {'dating': 'dating'}

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    check_settings(config)
    if data_info.dates is None:
      raise DataError('dating needs dates, but no training image has one: give the labels file '
                      'a date column (a year)')
    self.dates = data_info.dates
    self.scale = self.dates.std if self.dates.std > 0 else 1.0
    self.period_years = float(config.dating.period_years)
    self.first_period = int(metrics_lib.period_of(self.dates.first, self.period_years))
    self.num_periods = int(metrics_lib.period_of(self.dates.last, self.period_years)) - \
        self.first_period + 1
    self.model = get_model_class(config.model_name)(
        num_outputs=1 if self.regression else self.num_periods,
        num_classes=len(data_info.vocabulary), dtype=compute_dtype(config),
        **config.model.to_dict())

  @property
  def regression(self) -> bool:
    return self.config.dating.target == 'regression'

  def check_data(self, datasets):
    for name, dataset in datasets.items():
      metrics_lib.check_dated(dataset, name)
    check_no_shared_manuscripts(datasets['train'],
                                {k: v for k, v in datasets.items() if k != 'train'})

  def init_state(self, rng):
    params_rng, dropout_rng = jax.random.split(rng)
    images = jnp.zeros((1, *self.data_info.image_shape, 1), jnp.float32)
    variables = init_variables(self.model.init, {'params': params_rng, 'dropout': dropout_rng},
                               images, jnp.zeros((1,), jnp.int32), train=False)
    return TrainState.create(
        apply_fn=self.model.apply, params=variables['params'],
        batch_stats=variables.get('batch_stats', {}),
        tx=make_optimizer(self.config.optimizer, self.config.train.steps))

  def period_centres(self) -> jax.Array:
    return (self.first_period + jnp.arange(self.num_periods) + 0.5) * self.period_years

  def years(self, outputs: jax.Array) -> jax.Array:
    """The predicted year of each row of the model's outputs."""
    if self.regression:
      return outputs[:, 0] * self.scale + self.dates.mean
    return jax.nn.softmax(outputs) @ self.period_centres()

  def loss(self, outputs: jax.Array, dates: jax.Array) -> jax.Array:
    if self.regression:
      return jnp.mean((outputs[:, 0] - (dates - self.dates.mean) / self.scale) ** 2)
    periods = jnp.clip(jnp.floor(dates / self.period_years).astype(jnp.int32) -
                       self.first_period, 0, self.num_periods - 1)
    targets = optax.smooth_labels(jax.nn.one_hot(periods, self.num_periods),
                                  self.config.train.label_smoothing)
    return optax.softmax_cross_entropy(outputs, targets).mean()

  def train_step(self, state, batch, rng):
    augment_rng, dropout_rng = jax.random.split(rng)
    images = augment.augment(images_to_float(batch['image']), augment_rng, self.config.augment)

    def loss_fn(params):
      outputs, updates = state.apply_fn(
          {'params': params, 'batch_stats': state.batch_stats}, images, batch['label'],
          train=True, rngs={'dropout': dropout_rng}, mutable=['batch_stats'])
      return self.loss(outputs, batch['date']), (outputs, updates)

    (loss, (outputs, updates)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    state = state.apply_gradients(grads=grads,
                                  batch_stats=updates.get('batch_stats', state.batch_stats))
    mae = jnp.mean(jnp.abs(self.years(outputs) - batch['date']))
    return state, {'loss': loss, 'mae_letter': mae, 'grad_norm': optax.tree.norm(grads)}

  @functools.partial(jax.jit, static_argnums=0)
  def predict(self, state: TrainState, images: jax.Array, labels: jax.Array) -> jax.Array:
    outputs = state.apply_fn({'params': state.params, 'batch_stats': state.batch_stats},
                             images_to_float(images), labels, train=False)
    return self.years(outputs)

  answers_need_labels = True

  def answers(self, state, dataset):
    """'year' of every letter (the model reads which letter it is)."""
    return self.outputs(state, dataset)

  def outputs(self, state, dataset):
    """'year' (N,): the predicted year of every image, in order (the model reads the letter
    label too)."""
    return {'year': pipeline.map_chunks(functools.partial(self.predict, state),
                                        self.config.eval.batch_size, dataset.images[..., None],
                                        dataset.labels)}
