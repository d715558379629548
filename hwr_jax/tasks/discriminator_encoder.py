"""Discriminator-encoder GAN: one network is both the conditional GAN's discriminator and the
encoder of real letters, trained on the difference between real letters and their rebuilds.

The network (dcgan.DiscriminatorEncoder) reads a letter and returns its z, its label logits and
one real/fake score per class (the letter's own class counts). From one forward pass per step:

  discriminator-encoder  GAN loss (real letters real, generated letters fake)
                         + recon_weight * ||G(E_z(x), y) - x||^2 of real letters x
                         + z_weight * ||E_z(G(z, y)) - z||^2 of the generated letters
                         + y_weight * label cross-entropy of real letters
  generator              GAN loss of generated letters as real

The generated letters pass through the network anyway for the GAN loss, so regressing their z
costs nothing; the reconstruction term is the one that makes it an encoder of real letters.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hwr_jax.models.dcgan import class_logit
from hwr_jax.tasks import encoding
from hwr_jax.tasks.encoding import (ENCODER, apply_train, build_model, label_accuracy,
                                    label_loss)
from hwr_jax.tasks.gan_losses import GENERATOR, bce_fake, bce_real


class Task(encoding.GanEncodingTask):
  """config.model: the conditional DCGAN's settings (as configs/gan.py); config.gan:
  label_sampling; config.discriminator_encoder: recon_weight, z_weight, y_weight."""

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    self.model = build_model(config, data_info)
    self.encoder = self.model.discriminator_encoder()
    self.discriminator = None
    self.set_label_prior(config.gan.label_sampling)

  def train_step(self, state, batch, rng):
    real, labels, y_real, z_prior, y_prior = self.real_and_prior(batch, rng)
    stats = state.batch_stats
    generator = self.model.generator

    def forward(params):
      fake, g_stats = apply_train(generator, params[GENERATOR], stats[GENERATOR], z_prior,
                                  y_prior)
      (z_real, scores, real_d), e_stats = apply_train(
          self.encoder, params[ENCODER], stats[ENCODER], real, outputs='zyd')
      (z_fake, _, fake_d), e_stats = apply_train(
          self.encoder, params[ENCODER], e_stats['batch_stats'], fake, outputs='zd')
      rebuilt, g_stats = apply_train(generator, params[GENERATOR], g_stats['batch_stats'],
                                     z_real, y_real)
      outputs = dict(real=class_logit(real_d, y_real), fake=class_logit(fake_d, y_prior),
                     scores=scores, reconstruction=jnp.mean((rebuilt - real) ** 2),
                     z_error=jnp.mean((z_fake - z_prior) ** 2))
      return outputs, {ENCODER: e_stats['batch_stats'], GENERATOR: g_stats['batch_stats']}

    outputs, pull_back, new_stats = jax.vjp(forward, state.params, has_aux=True)
    settings = self.config.discriminator_encoder

    def discriminator_encoder_loss(o):
      return (bce_real(o['real']) + bce_fake(o['fake'])
              + settings.recon_weight * o['reconstruction'] + settings.z_weight * o['z_error']
              + settings.y_weight * label_loss(o['scores'], labels))

    losses = {'discriminator_encoder_loss': (discriminator_encoder_loss, (ENCODER,)),
              'generator_loss': (lambda o: bce_real(o['fake']), (GENERATOR,))}
    state, values, grad_norm = self.update_parts(state, outputs, pull_back, new_stats, losses)
    return state, {
        **values, 'loss': sum(values.values()), 'reconstruction': outputs['reconstruction'],
        'z_error': outputs['z_error'], 'y_loss': label_loss(outputs['scores'], labels),
        'y_accuracy': label_accuracy(outputs['scores'], labels),
        'd_real': jnp.mean(jax.nn.sigmoid(outputs['real'])),
        'd_fake': jnp.mean(jax.nn.sigmoid(outputs['fake'])), 'grad_norm': grad_norm}
