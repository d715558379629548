"""Combined fine-tuning: a trained encoder and its GAN trained on together.

Starts from an encoder run (configs/encoder.py, whose checkpoint holds the encoder and the
generator it was trained against) and the discriminator of that encoder's GAN, all read by
partial restores. Then, from one forward pass per step (pulled back through one `jax.vjp`):

  encoder        reconstruction of real letters through G + y_weight * label cross-entropy
  generator      GAN loss of letters drawn from the prior + recon_weight * reconstruction
  discriminator  GAN loss: real letters real, letters drawn from the prior fake

so the generator now also learns to rebuild real letters from their codes, while the
adversarial term keeps its samples realistic.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from absl import logging

from hwr_jax.errors import ConfigError
from hwr_jax.tasks import encoding
from hwr_jax.tasks.encoder import Task as EncoderTask
from hwr_jax.tasks.encoding import ENCODER, apply_train, label_accuracy, label_loss
from hwr_jax.tasks.gan_losses import DISCRIMINATOR, GENERATOR, bce_fake, bce_real
from hwr_jax.training import checkpoints, graft, workdir as workdir_lib


def part_shapes(state, parts) -> dict:
  """The shapes of the named parts' params and batch statistics in `state`: the abstract tree
  a partial restore of those parts reads."""
  return {collection: {part: graft.shapes(tree[part]) for part in parts}
          for collection, tree in (('params', state.params),
                                   ('batch_stats', state.batch_stats))}


class Task(encoding.GanEncodingTask):
  """config.finetune: encoder_workdir (a run of configs/encoder.py), recon_weight, y_weight."""

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    workdir = config.finetune.encoder_workdir
    if not workdir:
      raise ConfigError('finetune.encoder_workdir is not set: give the workdir of a trained '
                        'encoder (python -m launch.train --config=configs/encoder.py ...)')
    encoder_config, _ = workdir_lib.load_run(workdir)
    if encoder_config.task_name != 'encoder':
      raise ConfigError(f'finetune.encoder_workdir={workdir} holds a '
                        f'{encoder_config.task_name} run, not an encoder')
    # The encoder run's own task checks the data against its GAN's and builds both networks.
    self.source = EncoderTask(encoder_config, data_info)
    self.model, self.encoder = self.source.model, self.source.encoder
    self.discriminator = self.model.discriminator
    self.set_label_prior(self.source.gan_config.gan.label_sampling)
    self.variables = None

  def prepare(self):
    """Reads the encoder and generator from the encoder run, the discriminator from its GAN."""
    template = self.init_state(jax.random.key(0))
    encoder_vars, step = checkpoints.restore_subtrees(
        self.config.finetune.encoder_workdir, part_shapes(template, (ENCODER, GENERATOR)))
    gan_workdir = self.source.config.encoder.gan_workdir
    d_vars, gan_step = checkpoints.restore_subtrees(gan_workdir,
                                                    part_shapes(template, (DISCRIMINATOR,)))
    self.variables = {collection: {**encoder_vars[collection], **d_vars[collection]}
                      for collection in ('params', 'batch_stats')}
    logging.info('Encoder and generator of step %d from %s, discriminator of step %d from %s',
                 step, self.config.finetune.encoder_workdir, gan_step, gan_workdir)

  def init_state(self, rng):
    return self.parts_state(self.variables or self.fresh_variables(rng))

  def train_step(self, state, batch, rng):
    real, labels, y_real, z_prior, y_prior = self.real_and_prior(batch, rng)
    stats = state.batch_stats
    generator, discriminator = self.model.generator, self.model.discriminator

    def forward(params):
      (z, scores), e_stats = apply_train(self.encoder, params[ENCODER], stats[ENCODER], real)
      rebuilt, g_stats = apply_train(generator, params[GENERATOR], stats[GENERATOR], z, y_real)
      fake, g_stats = apply_train(generator, params[GENERATOR], g_stats['batch_stats'],
                                  z_prior, y_prior)
      real_logits, d_stats = apply_train(discriminator, params[DISCRIMINATOR],
                                         stats[DISCRIMINATOR], real, y_real)
      fake_logits, d_stats = apply_train(discriminator, params[DISCRIMINATOR],
                                         d_stats['batch_stats'], fake, y_prior)
      outputs = dict(reconstruction=jnp.mean((rebuilt - real) ** 2), scores=scores,
                     real=real_logits, fake=fake_logits)
      return outputs, {ENCODER: e_stats['batch_stats'], GENERATOR: g_stats['batch_stats'],
                       DISCRIMINATOR: d_stats['batch_stats']}

    outputs, pull_back, new_stats = jax.vjp(forward, state.params, has_aux=True)
    settings = self.config.finetune
    losses = {
        'encoder_loss': (lambda o: (o['reconstruction']
                                    + settings.y_weight * label_loss(o['scores'], labels)),
                         (ENCODER,)),
        'generator_loss': (lambda o: bce_real(o['fake'])
                           + settings.recon_weight * o['reconstruction'], (GENERATOR,)),
        'discriminator_loss': (lambda o: bce_real(o['real']) + bce_fake(o['fake']),
                               (DISCRIMINATOR,))}
    state, values, grad_norm = self.update_parts(state, outputs, pull_back, new_stats, losses)
    return state, {
        **values, 'loss': sum(values.values()), 'reconstruction': outputs['reconstruction'],
        'y_loss': label_loss(outputs['scores'], labels),
        'y_accuracy': label_accuracy(outputs['scores'], labels),
        'd_real': jnp.mean(jax.nn.sigmoid(outputs['real'])),
        'd_fake': jnp.mean(jax.nn.sigmoid(outputs['fake'])), 'grad_norm': grad_norm}
