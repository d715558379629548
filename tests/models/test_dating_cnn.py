"""The dating CNN: output shapes, and the letter label mattering only when conditioned."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.models import dating_cnn


def outputs(conditional, labels, num_outputs=3):
  model = dating_cnn.Model(num_outputs=num_outputs, num_classes=4, conditional=conditional,
                           features=(4, 8), convs_per_block=1, dense=8)
  images = jax.random.uniform(jax.random.key(0), (2, 16, 16, 1))
  variables = model.init(jax.random.key(1), images, jnp.zeros(2, jnp.int32))
  return np.asarray(model.apply(variables, images, jnp.asarray(labels)))


@pytest.mark.parametrize('num_outputs', [1, 5])
def test_one_output_per_year_or_period(num_outputs):
  assert outputs(False, [0, 1], num_outputs).shape == (2, num_outputs)


def test_only_the_conditional_model_reads_the_letter():
  np.testing.assert_array_equal(outputs(False, [0, 1]), outputs(False, [2, 3]))
  assert not np.allclose(outputs(True, [0, 1]), outputs(True, [2, 3]))
