"""ALI/BiGAN: a conditional generator and an encoder trained together against a discriminator
of (image, z) pairs.

The discriminator (dcgan.JointDiscriminator) learns to tell (real letter, E(letter)) from
(G(z, y), z); the generator and the encoder learn to make the two pairs alike (the
non-saturating form: each side's labels swapped), so that E comes to invert G. The encoder's
label head learns the real letters' labels by cross-entropy (weight bigan.y_weight). Both
losses are taken from one forward pass: its outputs' cotangents under each loss are pulled back
through the same `jax.vjp`, and each part is updated with its own loss's gradient.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hwr_jax.tasks import encoding
from hwr_jax.tasks.encoding import (ENCODER, apply_train, build_model, label_accuracy,
                                    label_loss)
from hwr_jax.tasks.gan_losses import DISCRIMINATOR, GENERATOR, bce_fake, bce_real


class Task(encoding.GanEncodingTask):
  """config.model: the conditional DCGAN's settings (as configs/gan.py); config.gan:
  label_sampling; config.bigan: y_weight."""

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    self.model = build_model(config, data_info)
    self.encoder = self.model.encoder()
    self.discriminator = self.model.joint_discriminator
    self.set_label_prior(config.gan.label_sampling)

  def discriminator_inputs(self, image, z, y) -> tuple:
    return image, z, y

  def train_step(self, state, batch, rng):
    real, labels, y_real, z, y_fake = self.real_and_prior(batch, rng)
    stats = state.batch_stats

    def forward(params):
      fake, g_stats = apply_train(self.model.generator, params[GENERATOR], stats[GENERATOR],
                                  z, y_fake)
      (z_real, scores), e_stats = apply_train(self.encoder, params[ENCODER], stats[ENCODER],
                                              real)
      real_logits, d_stats = apply_train(self.discriminator, params[DISCRIMINATOR],
                                         stats[DISCRIMINATOR], real, z_real, y_real)
      fake_logits, d_stats = apply_train(self.discriminator, params[DISCRIMINATOR],
                                         d_stats['batch_stats'], fake, z, y_fake)
      new_stats = {GENERATOR: g_stats['batch_stats'], ENCODER: e_stats['batch_stats'],
                   DISCRIMINATOR: d_stats['batch_stats']}
      return (real_logits, fake_logits, scores, z_real), new_stats

    outputs, pull_back, new_stats = jax.vjp(forward, state.params, has_aux=True)
    real_logits, fake_logits, scores, z_real = outputs
    losses = {
        'd_loss': (lambda o: bce_real(o[0]) + bce_fake(o[1]), (DISCRIMINATOR,)),
        'ge_loss': (lambda o: (bce_fake(o[0]) + bce_real(o[1])
                               + self.config.bigan.y_weight * label_loss(o[2], labels)),
                    (GENERATOR, ENCODER))}
    state, values, grad_norm = self.update_parts(state, outputs, pull_back, new_stats, losses)
    rebuilt = self.generate(state.params, state.batch_stats, jax.lax.stop_gradient(z_real),
                            y_real)
    return state, {
        **values, 'loss': sum(values.values()),
        'd_real': jnp.mean(jax.nn.sigmoid(real_logits)),
        'd_fake': jnp.mean(jax.nn.sigmoid(fake_logits)),
        'reconstruction': jnp.mean((rebuilt - real) ** 2),
        'y_loss': label_loss(scores, labels), 'y_accuracy': label_accuracy(scores, labels),
        'grad_norm': grad_norm}
