"""Baselines that launch.bench times beside the JAX models: the same networks elsewhere."""
