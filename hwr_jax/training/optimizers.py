"""Optax optimizers and learning-rate schedules built from a config block.

config.optimizer fields: name ('adam' | 'adamw' | 'sgd'), learning_rate, schedule ('constant' |
'cosine' | 'warmup_cosine'), warmup_steps, b1, b2, momentum, weight_decay, grad_clip_norm.
"""

from typing import Any, Callable, Mapping, Optional, Union

import ml_collections
import optax

from hwr_jax.errors import ConfigError


def make_schedule(config: ml_collections.ConfigDict, total_steps: int) -> optax.Schedule:
  lr = config.learning_rate
  if config.schedule == 'constant':
    return optax.constant_schedule(lr)
  if config.schedule == 'cosine':
    return optax.cosine_decay_schedule(lr, max(total_steps, 1))
  if config.schedule == 'warmup_cosine':
    return optax.warmup_cosine_decay_schedule(
        0.0, lr, config.warmup_steps, max(total_steps, config.warmup_steps + 1))
  raise ConfigError(f'optimizer.schedule={config.schedule!r}: expected constant, cosine or '
                    'warmup_cosine')


def make_optimizer(config: ml_collections.ConfigDict,
                   total_steps: int) -> optax.GradientTransformation:
  schedule = make_schedule(config, total_steps)
  if config.name == 'adam':
    tx = optax.adam(schedule, b1=config.b1, b2=config.b2)
  elif config.name == 'adamw':
    tx = optax.adamw(schedule, b1=config.b1, b2=config.b2, weight_decay=config.weight_decay)
  elif config.name == 'sgd':
    tx = optax.sgd(schedule, momentum=config.momentum or None, nesterov=bool(config.momentum))
  else:
    raise ConfigError(f'optimizer.name={config.name!r}: expected adam, adamw or sgd')
  if config.grad_clip_norm:
    tx = optax.chain(optax.clip_by_global_norm(config.grad_clip_norm), tx)
  return tx


def grouped_optimizer(config: ml_collections.ConfigDict, total_steps: int,
                      rate_scales: Mapping[str, Optional[float]],
                      groups: Union[Any, Callable[[Any], Any]]) -> optax.GradientTransformation:
  """One optimizer per named group of parameters (optax.multi_transform; `groups` is a tree of
  group names shaped like the params, or a function of the params that returns one). Group g
  learns at rate_scales[g] times config's learning rate, with its own optimizer state; a group
  whose scale is None is frozen: optax.set_to_zero gives it zero updates, so its parameters
  stay bit for bit as they were."""
  def transform(scale):
    if scale is None:
      return optax.set_to_zero()
    if scale == 1.0:
      return make_optimizer(config, total_steps)
    scaled = ml_collections.ConfigDict(config.to_dict())
    scaled.learning_rate *= scale
    return make_optimizer(scaled, total_steps)

  return optax.multi_transform({group: transform(scale) for group, scale in rate_scales.items()},
                               groups)


def default_optimizer_config(**overrides) -> ml_collections.ConfigDict:
  """The optimizer block every config starts from; overrides set the family's defaults."""
  config = ml_collections.ConfigDict(dict(
      name='adam', learning_rate=1e-3, schedule='cosine', warmup_steps=0, b1=0.9, b2=0.999,
      momentum=0.0, weight_decay=0.0, grad_clip_norm=0.0))
  config.update(overrides)
  return config
