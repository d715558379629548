"""hwr-jax: handwritten letter recognition and generation in JAX/Flax."""
