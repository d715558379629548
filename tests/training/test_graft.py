"""Grafting parameter subtrees, and reading only some of a checkpoint's arrays."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from hwr_jax.errors import ConfigError
from hwr_jax.training import checkpoints, graft


def tree(seed, conv_in=4):
  rng = np.random.default_rng(seed)
  return {'params': {
      'Downsample_0': {'Conv_0': {'kernel': rng.normal(size=(4, 4, 1, 8)),
                                  'bias': rng.normal(size=(8,))}},
      'Downsample_1': {'Conv_0': {'kernel': rng.normal(size=(4, 4, conv_in, 16))}},
      'Conv_0': {'kernel': rng.normal(size=(7, 7, 16, 1))}}}


def target_tree(seed):
  rng = np.random.default_rng(seed)
  out = tree(seed)
  del out['params']['Conv_0']
  out['params']['z_head'] = {'kernel': rng.normal(size=(7, 7, 16, 5))}
  return out


def test_graft_copies_exactly_the_mapped_subtrees():
  source, target = tree(0), target_tree(1)
  mapping = {'params/Downsample_0': 'params/Downsample_0',
             'params/Downsample_1/Conv_0/kernel': 'params/Downsample_1/Conv_0/kernel'}
  grafted, report = graft.graft(source, target, mapping)
  np.testing.assert_array_equal(grafted['params']['Downsample_0']['Conv_0']['kernel'],
                                source['params']['Downsample_0']['Conv_0']['kernel'])
  np.testing.assert_array_equal(grafted['params']['Downsample_0']['Conv_0']['bias'],
                                source['params']['Downsample_0']['Conv_0']['bias'])
  np.testing.assert_array_equal(grafted['params']['Downsample_1']['Conv_0']['kernel'],
                                source['params']['Downsample_1']['Conv_0']['kernel'])
  np.testing.assert_array_equal(grafted['params']['z_head']['kernel'],
                                target['params']['z_head']['kernel'])
  assert report.copied == {
      'params/Downsample_0/Conv_0/kernel': 'params/Downsample_0/Conv_0/kernel',
      'params/Downsample_0/Conv_0/bias': 'params/Downsample_0/Conv_0/bias',
      'params/Downsample_1/Conv_0/kernel': 'params/Downsample_1/Conv_0/kernel'}
  assert report.fresh == ('params/z_head/kernel',)
  assert 'grafted 3 arrays, 1 left fresh (params/z_head/kernel)' == report.summary()
  # The inputs are left as they were.
  assert not np.array_equal(target['params']['Downsample_0']['Conv_0']['kernel'],
                            source['params']['Downsample_0']['Conv_0']['kernel'])


def test_graft_maps_between_different_paths():
  source = {'discriminator': tree(0)['params']}
  grafted, report = graft.graft(source, target_tree(1),
                                {'params/Downsample_1': 'discriminator/Downsample_1'})
  np.testing.assert_array_equal(grafted['params']['Downsample_1']['Conv_0']['kernel'],
                                source['discriminator']['Downsample_1']['Conv_0']['kernel'])
  assert list(report.copied.values()) == ['discriminator/Downsample_1/Conv_0/kernel']


def test_graft_refuses_a_shape_mismatch_naming_the_path():
  with pytest.raises(ConfigError, match=r'params/Downsample_1/Conv_0/kernel is float64\[4, 4, '
                     r'14, 16\] but params/Downsample_1/Conv_0/kernel needs float64\[4, 4, 4, '
                     r'16\]'):
    graft.graft(tree(0, conv_in=14), target_tree(1), {'params/Downsample_1': 'params/Downsample_1'})


@pytest.mark.parametrize('mapping,message', [
    ({'params/Downsample_0': 'params/Nothing'}, "source has nothing at 'params/Nothing'"),
    ({'params/Nothing': 'params/Downsample_0'}, "target has nothing at 'params/Nothing'"),
    ({'params/z_head': 'params/Downsample_0'}, 'hold different parameters'),
])
def test_graft_refuses_paths_that_do_not_match(mapping, message):
  with pytest.raises(ConfigError, match=message):
    graft.graft(tree(0), target_tree(1), mapping)


@pytest.fixture
def saved_workdir(tmp_path):
  state = {'params': {'generator': {'w': jnp.arange(6.0).reshape(2, 3)},
                      'discriminator': {'v': jnp.ones(4)}},
           'opt_state': {'mu': jnp.zeros(5)}, 'step': jnp.int32(7)}
  with checkpoints.Checkpointer(str(tmp_path), 1, 2) as checkpointer:
    checkpointer.save(7, state, {'rng': [0, 0]}, force=True)
  return str(tmp_path), state


def test_restore_subtrees_reads_only_what_is_asked(saved_workdir):
  workdir, state = saved_workdir
  wanted = {'params': {'generator': graft.shapes(state['params']['generator'])}}
  restored, step = checkpoints.restore_subtrees(workdir, wanted)
  assert step == 7
  assert jax.tree.structure(restored) == jax.tree.structure(wanted)
  np.testing.assert_array_equal(restored['params']['generator']['w'],
                                state['params']['generator']['w'])


def test_restore_subtrees_names_a_missing_array(saved_workdir):
  workdir, _ = saved_workdir
  wanted = {'params': {'encoder': {'w': jax.ShapeDtypeStruct((2, 3), jnp.float32)}}}
  with pytest.raises(ConfigError, match='has no params/encoder/w'):
    checkpoints.restore_subtrees(workdir, wanted)


def test_restore_subtrees_refuses_another_shape(saved_workdir):
  workdir, _ = saved_workdir
  wanted = {'params': {'generator': {'w': jax.ShapeDtypeStruct((3, 3), jnp.float32)}}}
  with pytest.raises(ConfigError,
                     match=r'step 7 .* has params/generator/w of shape \[2, 3\], not \[3, 3\]'):
    checkpoints.restore_subtrees(workdir, wanted)


def test_restore_subtrees_names_a_missing_step(saved_workdir):
  workdir, state = saved_workdir
  with pytest.raises(ConfigError, match=r'no checkpoint of step 3; it has \[7\]'):
    checkpoints.restore_subtrees(workdir, {'step': graft.shapes(state['step'])}, step=3)
