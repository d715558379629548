"""The one training loop and what it needs: state, optimizers, checkpoints, metric writers."""
