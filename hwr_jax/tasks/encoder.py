"""An encoder for a trained conditional GAN: real letter -> (z, label), the generator frozen.

The encoder (hwr_jax/models/dcgan.py `Encoder`) is the GAN's discriminator with its output
widened to z and to the class logits. It starts from the trained discriminator: every layer but
the output is grafted from the GAN's checkpoint (hwr_jax/training/graft.py), unless
encoder.graft is false (the baseline it is compared with). Those layers (the trunk) learn at
encoder.trunk_lr_scale times the heads' learning rate, so that grafted features are tuned
rather than overwritten in the first steps. The generator is read from the same
checkpoint and frozen: the optimizer gives it zero updates (optax.set_to_zero under
multi_transform), so its parameters stay bit for bit those of the GAN.

encoder.objective:
  reconstruction  real images through E_z then the frozen G (with their true labels), pixel
                  mean squared error; E_y learns the labels of the same images.
  icgan           E_z regresses the z of letters drawn from the frozen G (the IcGAN way); E_y
                  learns the labels of real images.
Both report the reconstruction error of real images, so the two can be compared.
encoder.y_loss: cross_entropy on the label logits, or mse of the scores against the +-1
labels (the IcGAN's). encoder.architecture: discriminator (the above), or the IcGAN paper's
independent or joint encoders (hwr_jax/models/icgan_encoder.py: their own layers, no graft).
"""

from __future__ import annotations

from typing import Mapping, Optional

import jax
import jax.numpy as jnp
import optax
from absl import logging

from hwr_jax.data.pixels import images_to_signed
from hwr_jax.errors import ConfigError
from hwr_jax.models import dcgan, icgan_encoder, init_variables
from hwr_jax.tasks import encoding
from hwr_jax.tasks.encoding import ENCODER
from hwr_jax.tasks.gan_losses import DISCRIMINATOR, GENERATOR, generated_labels
from hwr_jax.training import checkpoints, graft, workdir as workdir_lib
from hwr_jax.training.optimizers import grouped_optimizer
from hwr_jax.training.precision import compute_dtype
from hwr_jax.training.state import TrainState

OBJECTIVES = ('reconstruction', 'icgan')
Y_LOSSES = ('cross_entropy', 'mse')
HEADS, TRUNK, FROZEN = 'heads', 'trunk', 'frozen'


def parameter_groups(params: Mapping) -> dict:
  """multi_transform labels: the generator frozen; the encoder's heads, and its trunk (the
  discriminator's layers, grafted or fresh: every other layer)."""
  def encoder_group(name):
    return HEADS if name in dcgan.ENCODER_HEADS else TRUNK

  return {part: ({name: jax.tree.map(lambda _, n=name: encoder_group(n), layer)
                  for name, layer in tree.items()} if part == ENCODER
                 else jax.tree.map(lambda _: FROZEN, tree))
          for part, tree in params.items()}


def graft_mapping(encoder: Mapping) -> dict[str, str]:
  """In every collection, each encoder layer but the heads from the discriminator layer of the
  same name."""
  return {f'{collection}/{name}': f'{collection}/{name}'
          for collection, tree in encoder.items() for name in tree
          if name not in dcgan.ENCODER_HEADS}


class Task(encoding.EncodingTask):
  """config.encoder: gan_workdir (a run of configs/gan.py), gan_step (-1: latest), graft,
  objective, y_weight; the model is the GAN's, from its recorded config."""

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    settings = config.encoder
    if settings.objective not in OBJECTIVES:
      raise ConfigError(f'encoder.objective={settings.objective!r}: expected one of '
                        f'{OBJECTIVES}')
    if not settings.gan_workdir:
      raise ConfigError('encoder.gan_workdir is not set: give the workdir of a trained GAN '
                        '(python -m launch.train --config=configs/gan.py --workdir=...)')
    gan_config, gan_info = workdir_lib.load_run(settings.gan_workdir)
    if gan_config.task_name != 'adversarial':
      raise ConfigError(f'encoder.gan_workdir={settings.gan_workdir} holds a '
                        f'{gan_config.task_name} run, not a GAN')
    if (gan_info.vocabulary.labels != data_info.vocabulary.labels
        or tuple(gan_info.image_shape) != tuple(data_info.image_shape)):
      raise ConfigError(
          f'encoder.gan_workdir={settings.gan_workdir} was trained on {len(gan_info.vocabulary)} '
          f'classes of {tuple(gan_info.image_shape)} images, this data has '
          f'{len(data_info.vocabulary)} classes of {tuple(data_info.image_shape)}: train the '
          'encoder on the GAN\'s data')
    self.gan_config = gan_config
    self.model = dcgan.Model(num_classes=len(data_info.vocabulary),
                             image_size=data_info.image_shape[0],
                             dtype=compute_dtype(config), **gan_config.model.to_dict())
    if not self.model.conditional:
      raise ConfigError(f'encoder.gan_workdir={settings.gan_workdir} holds an unconditional '
                        'GAN; the encoder needs a conditional one')
    self.encoder = self.build_encoder()
    self.check_trunk_lr_scale()
    self.set_label_prior(gan_config.gan.label_sampling)
    self.gan_variables: Optional[dict] = None

  @property
  def trunk_lr_scale(self) -> float:
    """encoder.trunk_lr_scale (runs recorded before the setting existed trained their trunk
    at the full rate)."""
    return self.config.encoder.get('trunk_lr_scale', 1.0)

  def check_trunk_lr_scale(self) -> None:
    """The scale is a learning rate factor, and only the discriminator architecture has a
    trunk apart from its heads."""
    scale, architecture = self.trunk_lr_scale, self.config.encoder.architecture
    if scale < 0:
      raise ConfigError(f'encoder.trunk_lr_scale={scale}: must be 0 (a frozen trunk) or more')
    if architecture != 'discriminator' and scale != 1.0:
      raise ConfigError(f'encoder.trunk_lr_scale={scale} scales the discriminator trunk, but '
                        f'encoder.architecture={architecture!r} has none: set it to 1.0')

  def build_encoder(self):
    settings = self.config.encoder
    if settings.y_loss not in Y_LOSSES:
      raise ConfigError(f'encoder.y_loss={settings.y_loss!r}: expected one of {Y_LOSSES}')
    if settings.architecture == 'discriminator':
      return self.model.encoder()
    if settings.architecture not in icgan_encoder.ARCHITECTURES:
      raise ConfigError(f'encoder.architecture={settings.architecture!r}: expected '
                        f'discriminator or one of {icgan_encoder.ARCHITECTURES}')
    if settings.graft:
      raise ConfigError(f'encoder.graft=True grafts the discriminator: it needs '
                        f'encoder.architecture=discriminator, not {settings.architecture!r}')
    return icgan_encoder.build(settings.architecture, self.model.z_dim, self.num_classes,
                               compute_dtype(self.config))

  def prepare(self):
    """Reads the GAN's generator and discriminator (and nothing else) from its checkpoint."""
    template = init_variables(self.model.init, jax.random.key(0))
    step = self.config.encoder.gan_step
    self.gan_variables, step = checkpoints.restore_subtrees(
        self.config.encoder.gan_workdir, graft.shapes(template), None if step < 0 else step)
    logging.info('Generator and discriminator of step %d from %s', step,
                 self.config.encoder.gan_workdir)

  def init_state(self, rng):
    image = jnp.zeros((1, *self.data_info.image_shape, 1), jnp.float32)
    encoder = init_variables(self.encoder.init, rng, image)
    encoder = {'params': encoder['params'], 'batch_stats': encoder.get('batch_stats', {})}
    # Unprepared (a template for restoring the encoder's own checkpoint), the GAN's part is
    # a fresh one of the same shapes.
    gan = self.gan_variables or init_variables(self.model.init, jax.random.key(0))
    if self.config.encoder.graft and self.gan_variables is not None:
      source = {collection: gan[collection][DISCRIMINATOR] for collection in encoder}
      encoder, report = graft.graft(source, encoder, graft_mapping(encoder))
      logging.info('Encoder from the discriminator: %s', report.summary())
    params = {ENCODER: encoder['params'], GENERATOR: gan['params'][GENERATOR]}
    tx = grouped_optimizer(self.config.optimizer, self.config.train.steps,
                           {HEADS: 1.0, TRUNK: self.trunk_lr_scale, FROZEN: None},
                           parameter_groups)
    return TrainState.create(apply_fn=None, params=params, tx=tx,
                             batch_stats={ENCODER: encoder['batch_stats'],
                                          GENERATOR: gan['batch_stats'][GENERATOR]})

  def train_step(self, state, batch, rng):
    real = images_to_signed(batch['image'])
    labels = batch['label']
    y_real = self.model.encode_labels(labels)
    z_rng, label_rng = jax.random.split(rng)

    def encode(params, stats, images, outputs):
      (z, scores), updates = self.encoder.apply(
          {'params': params, 'batch_stats': stats}, images, train=True, outputs=outputs,
          mutable=['batch_stats'])
      return z, scores, updates['batch_stats']

    def loss_fn(params):
      stats = state.batch_stats[ENCODER]
      if self.config.encoder.objective == 'reconstruction':
        z, scores, stats = encode(params[ENCODER], stats, real, 'zy')
        rebuilt = self.generate(params, state.batch_stats, z, y_real)
        z_term = reconstruction = jnp.mean((rebuilt - real) ** 2)
        metrics = {}
      else:
        _, scores, stats = encode(params[ENCODER], stats, real, 'y')
        count = real.shape[0]
        z_drawn = jax.random.normal(z_rng, (count, self.model.z_dim))
        y_drawn = self.model.encode_labels(generated_labels(
            self.label_sampling, self.label_log_probs, label_rng, labels))
        fake = jax.lax.stop_gradient(
            self.generate(params, state.batch_stats, z_drawn, y_drawn))
        z_fake, _, stats = encode(params[ENCODER], stats, fake, 'z')
        z_term = jnp.mean((z_fake - z_drawn) ** 2)
        # Watched, not trained: real letters rebuilt from their codes.
        z, _, _ = encode(params[ENCODER], stats, real, 'z')
        reconstruction = jnp.mean(
            (jax.lax.stop_gradient(self.generate(params, state.batch_stats, z, y_real))
             - real) ** 2)
        metrics = {'z_mse': z_term}
      y_loss = self.y_loss(scores, labels)
      metrics.update(reconstruction=reconstruction, y_loss=y_loss,
                     y_accuracy=encoding.label_accuracy(scores, labels))
      loss = z_term + self.config.encoder.y_weight * y_loss
      return loss, (stats, metrics)

    (loss, (stats, metrics)), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
    state = state.apply_gradients(grads=grads,
                                  batch_stats={**state.batch_stats, ENCODER: stats})
    return state, {'loss': loss, **metrics, 'grad_norm': optax.tree.norm(grads[ENCODER])}

  def y_loss(self, scores: jax.Array, labels: jax.Array) -> jax.Array:
    if self.config.encoder.y_loss == 'mse':
      return jnp.mean((scores - self.model.encode_labels(labels)) ** 2)
    return encoding.label_loss(scores, labels)
