"""VAE-GAN (learned similarity, Larsen et al. 2016): a VAE whose decoder is the conditional
generator and whose reconstruction error is measured in the discriminator's feature space.

The encoder (dcgan.Encoder, its z head widened to mean and log-variance) gives q(z | x); the
generator decodes z ~ q(z | x) with the letter's label; the discriminator sees real letters,
reconstructions and letters drawn from the prior. With `feature` the squared distance between
the discriminator's features (its last layer's input) of a letter and of its reconstruction:

  encoder        kl_weight * KL(q(z | x) || N(0, I)) + feature + y_weight * label cross-entropy
  generator      gamma * feature + GAN loss of reconstructions and prior letters as real
  discriminator  GAN loss: real letters real, reconstructions and prior letters fake

All three losses come from one forward pass, pulled back through one `jax.vjp`. A letter's code
is the posterior mean.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from hwr_jax.tasks import encoding
from hwr_jax.tasks.encoding import (ENCODER, apply_train, build_model, label_accuracy,
                                    label_loss)
from hwr_jax.tasks.gan_losses import DISCRIMINATOR, GENERATOR, bce_fake, bce_real


def gaussian_kl(mean: jax.Array, log_variance: jax.Array) -> jax.Array:
  """KL(N(mean, exp(log_variance)) || N(0, I)), summed over z and averaged over the batch."""
  return jnp.mean(jnp.sum(0.5 * (mean ** 2 + jnp.exp(log_variance) - 1.0 - log_variance),
                          axis=-1))


class Task(encoding.GanEncodingTask):
  """config.model: the conditional DCGAN's settings (as configs/gan.py); config.gan:
  label_sampling; config.vaegan: kl_weight, gamma, y_weight."""

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    self.model = build_model(config, data_info)
    self.encoder = self.model.encoder(z_dim=2 * self.model.z_dim)
    self.discriminator = self.model.discriminator
    self.set_label_prior(config.gan.label_sampling)

  def code(self, z: jax.Array) -> jax.Array:
    return z[:, :self.model.z_dim]

  def train_step(self, state, batch, rng):
    prior_rng, noise_rng = jax.random.split(rng)
    real, labels, y_real, z_prior, y_prior = self.real_and_prior(batch, prior_rng)
    noise = jax.random.normal(noise_rng, z_prior.shape)
    stats = state.batch_stats
    generator, discriminator = self.model.generator, self.model.discriminator

    def discriminate(params, d_stats, images, y):
      logits, updates = apply_train(discriminator, params, d_stats, images, y,
                                    collections=('batch_stats', 'intermediates'))
      return logits, updates['intermediates']['features'][0], updates['batch_stats']

    def forward(params):
      (posterior, scores), e_stats = apply_train(self.encoder, params[ENCODER],
                                                 stats[ENCODER], real)
      mean, log_variance = jnp.split(posterior, 2, axis=-1)
      z = mean + jnp.exp(0.5 * log_variance) * noise
      rebuilt, g_stats = apply_train(generator, params[GENERATOR], stats[GENERATOR], z, y_real)
      prior_fake, g_stats = apply_train(generator, params[GENERATOR], g_stats['batch_stats'],
                                        z_prior, y_prior)
      d_params, d_stats = params[DISCRIMINATOR], stats[DISCRIMINATOR]
      real_logits, real_features, d_stats = discriminate(d_params, d_stats, real, y_real)
      rebuilt_logits, rebuilt_features, d_stats = discriminate(d_params, d_stats, rebuilt,
                                                               y_real)
      prior_logits, _, d_stats = discriminate(d_params, d_stats, prior_fake, y_prior)
      outputs = dict(kl=gaussian_kl(mean, log_variance), scores=scores,
                     feature=jnp.mean((jax.lax.stop_gradient(real_features)
                                       - rebuilt_features) ** 2),
                     real=real_logits, rebuilt=rebuilt_logits, prior=prior_logits,
                     pixels=jnp.mean((rebuilt - real) ** 2))
      return outputs, {ENCODER: e_stats['batch_stats'], GENERATOR: g_stats['batch_stats'],
                       DISCRIMINATOR: d_stats}

    outputs, pull_back, new_stats = jax.vjp(forward, state.params, has_aux=True)
    settings = self.config.vaegan
    y_loss = label_loss(outputs['scores'], labels)
    losses = {
        'encoder_loss': (lambda o: (settings.kl_weight * o['kl'] + o['feature']
                                    + settings.y_weight * label_loss(o['scores'], labels)),
                         (ENCODER,)),
        'generator_loss': (lambda o: (settings.gamma * o['feature'] + bce_real(o['rebuilt'])
                                      + bce_real(o['prior'])), (GENERATOR,)),
        'discriminator_loss': (lambda o: (bce_real(o['real']) + bce_fake(o['rebuilt'])
                                          + bce_fake(o['prior'])), (DISCRIMINATOR,))}
    state, values, grad_norm = self.update_parts(state, outputs, pull_back, new_stats, losses)
    return state, {
        **values, 'loss': sum(values.values()), 'kl': outputs['kl'],
        'feature_distance': outputs['feature'], 'reconstruction': outputs['pixels'],
        'y_loss': y_loss, 'y_accuracy': label_accuracy(outputs['scores'], labels),
        'grad_norm': grad_norm}
