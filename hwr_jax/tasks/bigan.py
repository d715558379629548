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
import optax

from hwr_jax.tasks import encoding
from hwr_jax.tasks.adversarial import (DISCRIMINATOR, GENERATOR, bce_fake, bce_real,
                                       images_to_signed, label_log_probs)
from hwr_jax.tasks.encoding import ENCODER, apply_train, build_model, sample_prior


class Task(encoding.GanEncodingTask):
  """config.model: the conditional DCGAN's settings (as configs/gan.py); config.gan:
  label_sampling; config.bigan: y_weight."""

  def __init__(self, config, data_info):
    super().__init__(config, data_info)
    self.model = build_model(config, data_info)
    self.encoder = self.model.encoder()
    self.discriminator = self.model.joint_discriminator
    self.label_log_probs = label_log_probs(data_info.class_counts, config.gan.label_sampling)

  def discriminator_inputs(self, image, z, y) -> tuple:
    return image, z, y

  def train_step(self, state, batch, rng):
    real = images_to_signed(batch['image'])
    labels = batch['label']
    y_real = self.model.encode_labels(labels)
    z, y_fake = sample_prior(self.model, self.label_log_probs, rng, real.shape[0])
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

    def d_loss_fn(outputs):
      real_logits, fake_logits, _, _ = outputs
      return bce_real(real_logits) + bce_fake(fake_logits)

    def y_loss_of(outputs):
      return optax.softmax_cross_entropy_with_integer_labels(outputs[2], labels).mean()

    def ge_loss_fn(outputs):
      real_logits, fake_logits, _, _ = outputs
      return (bce_fake(real_logits) + bce_real(fake_logits)
              + self.config.bigan.y_weight * y_loss_of(outputs))

    d_loss, d_cotangent = jax.value_and_grad(d_loss_fn)(outputs)
    ge_loss, ge_cotangent = jax.value_and_grad(ge_loss_fn)(outputs)
    (d_grads,) = pull_back(d_cotangent)
    (ge_grads,) = pull_back(ge_cotangent)
    for part, grads in ((DISCRIMINATOR, d_grads), (GENERATOR, ge_grads), (ENCODER, ge_grads)):
      state = state.update_part(part, grads[part], new_stats[part])
    real_logits, fake_logits, scores, z_real = outputs
    rebuilt = self.generate(state.params, state.batch_stats, jax.lax.stop_gradient(z_real),
                            y_real)
    return state.advance(), {
        'loss': d_loss + ge_loss, 'd_loss': d_loss, 'ge_loss': ge_loss,
        'd_real': jnp.mean(jax.nn.sigmoid(real_logits)),
        'd_fake': jnp.mean(jax.nn.sigmoid(fake_logits)),
        'reconstruction': jnp.mean((rebuilt - real) ** 2),
        'y_loss': y_loss_of(outputs), 'y_accuracy': jnp.mean(jnp.argmax(scores, -1) == labels),
        'grad_norm': optax.tree.norm({DISCRIMINATOR: d_grads[DISCRIMINATOR],
                                      GENERATOR: ge_grads[GENERATOR],
                                      ENCODER: ge_grads[ENCODER]})}
