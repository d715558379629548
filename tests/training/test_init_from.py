"""Starting a run from another run (config.init): parameters copied exactly, the output layer
kept, moved, or made fresh as init.labels says, a frozen trunk that stays bit for bit the
source's, resume that does not start over, and sources that cannot fit refused by name."""

import dataclasses
import json
import os

import jax
import numpy as np
import pytest

from hwr_jax import loop
from hwr_jax.data import arrays
from hwr_jax.data.sources import load_splits, synthetic_root
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import ConfigError
from hwr_jax.models import cnn
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training import init_from
from hwr_jax.training.writers import read_metrics
from configs import blstm_classifier, cnn_classifier

HEAD = cnn.Model.head
# The new hand's letters: two of the source's are missing, two it never saw are added, one of
# which sorts first, so that every letter the source knew moves in the union.
DROPPED = ('beth', 'e')
RENAMED = {'heth': 'aa_new', 'kaph': 'kk_new'}


def tiny_cnn(**train):
  config = cnn_classifier.get_config('tiny')
  config.train.update(train)
  return config


@pytest.fixture(scope='module')
def source(tmp_path_factory):
  """A trained tiny CNN run with checkpoints at steps 10 and 20."""
  workdir = str(tmp_path_factory.mktemp('source'))
  loop.train_and_evaluate(tiny_cnn(steps=20, checkpoint_every=10), workdir)
  return workdir


@pytest.fixture(scope='module')
def new_hand(tmp_path_factory):
  """The tiny synthetic letters with two letters left out and two renamed: another alphabet,
  saved as an export (data.source='npz')."""
  dataset = load_splits(tiny_cnn().data, 0).train
  names = np.asarray(dataset.vocabulary.decode(dataset.labels))
  kept = ~np.isin(names, DROPPED)
  names = np.asarray([RENAMED.get(name, name) for name in names[kept]])
  vocabulary = Vocabulary.from_labels(names)
  hand = dataclasses.replace(dataset.subset(np.flatnonzero(kept)),
                             labels=vocabulary.encode(names), vocabulary=vocabulary)
  path = str(tmp_path_factory.mktemp('hand') / 'hand.npz')
  arrays.save_npz(hand, path)
  return path, hand


def fine_tuning(source_workdir, hand=None, **init):
  config = tiny_cnn(steps=10, checkpoint_every=10, log_every=1)
  config.optimizer.schedule = 'constant'
  if hand is not None:
    config.data.update(source='npz', train=hand)
  config.init.update(workdir=source_workdir, **init)
  return config


def host(tree):
  return jax.device_get(tree)


def assert_trees_equal(a, b):
  leaves_a, structure_a = jax.tree.flatten(host(a))
  leaves_b, structure_b = jax.tree.flatten(host(b))
  assert structure_a == structure_b
  for x, y in zip(leaves_a, leaves_b):
    np.testing.assert_array_equal(x, y)


def trunk(params):
  return {name: layer for name, layer in host(params).items() if name != HEAD}


def test_a_run_starts_from_the_source_parameters_exactly(source):
  _, trained = load_trained(source)
  run = loop.build_run(fine_tuning(source))
  start = host(run.initial_state)
  assert_trees_equal(start.params, trained.params)
  assert_trees_equal(start.batch_stats, trained.batch_stats)
  assert int(start.step) == 0
  fresh = host(loop.build_run(tiny_cnn()).initial_state)
  assert_trees_equal(start.opt_state, fresh.opt_state)
  assert not np.array_equal(fresh.params[HEAD]['kernel'], start.params[HEAD]['kernel'])

  _, earlier = load_trained(source, step=10)
  at_ten = host(loop.build_run(fine_tuning(source, step=10)).initial_state)
  assert_trees_equal(at_ten.params, earlier.params)
  assert not np.array_equal(at_ten.params[HEAD]['kernel'], start.params[HEAD]['kernel'])


def test_same_labels_refuse_another_vocabulary_naming_both_differences(source, new_hand):
  with pytest.raises(ConfigError) as error:
    loop.build_run(fine_tuning(source, new_hand[0]))
  message = str(error.value)
  assert "init.labels=same, but the data's 20 letters are not the 22 of" in message
  assert "only in the data ['aa_new', 'kk_new']" in message
  assert f"only in {source} ['beth', 'e', 'heth', 'kaph']" in message
  assert 'init.labels=union' in message


def test_union_moves_the_known_letters_rows_and_adds_fresh_ones(source, new_hand, tmp_path):
  path, hand = new_hand
  _, trained = load_trained(source)
  old = Vocabulary.load(source)
  run = loop.build_run(fine_tuning(source, path, labels='union'))
  union = run.task.data_info.vocabulary
  assert union.labels == tuple(sorted(set(old.labels) | set(RENAMED.values())))
  assert len(union) == 24
  # The data's labels name the same letters as before, as ids of the union.
  by_name = dict(zip(hand.names, hand.vocabulary.decode(hand.labels)))
  train = run.data.train
  assert union.decode(train.labels) == [by_name[name] for name in train.names]

  start = host(run.initial_state)
  assert_trees_equal(trunk(start.params), trunk(trained.params))
  assert_trees_equal(start.batch_stats, trained.batch_stats)
  fresh = host(run.task.init_state(jax.random.fold_in(jax.random.key(0), 0)).params[HEAD])
  for name in union.labels:
    for leaf in ('kernel', 'bias'):
      column = start.params[HEAD][leaf][..., union.labels.index(name)]
      if name in old.labels:
        np.testing.assert_array_equal(
            column, host(trained.params[HEAD][leaf])[..., old.labels.index(name)])
      else:
        np.testing.assert_array_equal(column, fresh[leaf][..., union.labels.index(name)])
  assert union.labels.index('alaph') != old.labels.index('alaph')

  workdir = tmp_path / 'union'
  loop.train_and_evaluate(fine_tuning(source, path, labels='union'), str(workdir))
  assert json.loads((workdir / 'vocabulary.json').read_text())['labels'] == list(union.labels)
  report = json.loads((workdir / 'eval' / 'report.json').read_text())
  assert report['test']['accuracy'] >= 0.0
  task, state = load_trained(str(workdir))
  assert host(state.params[HEAD]['kernel']).shape[-1] == 24
  assert task.data_info.vocabulary == union


def test_new_labels_give_a_fresh_output_layer_over_the_data_letters(source, new_hand):
  path, hand = new_hand
  _, trained = load_trained(source)
  run = loop.build_run(fine_tuning(source, path, labels='new'))
  assert run.task.data_info.vocabulary == hand.vocabulary
  start = host(run.initial_state)
  assert_trees_equal(trunk(start.params), trunk(trained.params))
  fresh = run.task.init_state(jax.random.fold_in(jax.random.key(0), 0))
  assert_trees_equal(start.params[HEAD], fresh.params[HEAD])
  assert start.params[HEAD]['kernel'].shape[-1] == len(hand.vocabulary)


def test_a_frozen_trunk_stays_bit_identical_while_the_head_learns(source, new_hand, tmp_path):
  _, trained = load_trained(source)
  config = fine_tuning(source, new_hand[0], labels='union', freeze='trunk')
  start = host(loop.build_run(config).initial_state)
  loop.train_and_evaluate(config, str(tmp_path))
  _, state = load_trained(str(tmp_path))
  assert int(state.step) == 10
  assert_trees_equal(trunk(state.params), trunk(trained.params))
  assert_trees_equal(state.batch_stats, trained.batch_stats)
  for leaf in ('kernel', 'bias'):
    assert not np.array_equal(host(state.params[HEAD][leaf]), start.params[HEAD][leaf])


def test_a_slower_trunk_learns_less_than_the_head(source, tmp_path):
  """trunk_lr_scale=0 keeps every trunk parameter; the head still learns (batch statistics
  are not frozen: only init.freeze=trunk freezes them)."""
  loop.train_and_evaluate(fine_tuning(source, trunk_lr_scale=0.0), str(tmp_path))
  _, trained = load_trained(source)
  _, state = load_trained(str(tmp_path))
  assert_trees_equal(trunk(state.params), trunk(trained.params))
  assert not np.array_equal(host(state.params[HEAD]['kernel']),
                            host(trained.params[HEAD]['kernel']))
  moved = [not np.array_equal(a, b) for a, b in zip(jax.tree.leaves(host(state.batch_stats)),
                                                     jax.tree.leaves(host(trained.batch_stats)))]
  assert any(moved)


def test_resuming_a_fine_tuned_run_continues_it_rather_than_starting_again(
    source, new_hand, tmp_path):
  def config(steps):
    c = fine_tuning(source, new_hand[0], labels='union')
    c.train.update(steps=steps, checkpoint_every=5)
    return c

  loop.train_and_evaluate(config(10), str(tmp_path / 'whole'))
  loop.train_and_evaluate(config(5), str(tmp_path / 'split'))
  loop.train_and_evaluate(config(10), str(tmp_path / 'split'))
  assert_trees_equal(load_trained(str(tmp_path / 'whole'))[1].params,
                     load_trained(str(tmp_path / 'split'))[1].params)
  steps = [r['step'] for r in read_metrics(tmp_path / 'split') if r['split'] == 'train']
  assert steps == list(range(1, 11))


def test_another_model_is_refused_naming_both(source):
  config = blstm_classifier.get_config('tiny')
  config.init.workdir = source
  with pytest.raises(ConfigError, match=rf"init.workdir={source} holds a cnn model "
                     r"\{.*'features': \[8, 16\].*\}, but this config builds a blstm model "
                     r"\{'hidden': 16, 'layers': 1, 'dropout': 0.0\}"):
    loop.build_run(config)
  wider = fine_tuning(source)
  wider.model.dense = 64
  with pytest.raises(ConfigError, match=r"'dense': 32.*but this config builds a cnn model "
                     r"\{.*'dense': 64"):
    loop.build_run(wider)


def test_another_image_size_is_refused_naming_both(source):
  config = fine_tuning(source)
  config.data.image_size = 20
  with pytest.raises(ConfigError, match=r'trained on images of \[16, 16\], this data has '
                     r'images of \[20, 20\]: set data.image_size=16'):
    loop.build_run(config)


def test_a_missing_workdir_or_step_is_named(source, tmp_path):
  with pytest.raises(ConfigError, match=f'init.workdir={tmp_path / "none"}: no such directory'):
    loop.build_run(fine_tuning(str(tmp_path / 'none')))
  with pytest.raises(ConfigError, match='is not a training workdir'):
    loop.build_run(fine_tuning(str(tmp_path)))
  with pytest.raises(ConfigError, match=r'init.step=15: .* no checkpoint of that step; it has '
                     r'\[10, 20\]'):
    loop.build_run(fine_tuning(source, step=15))


@pytest.mark.parametrize('settings, needle', [
    (dict(workdir='x', labels='resize'), "init.labels='resize': expected one of same, union"),
    (dict(workdir='x', freeze='all'), "init.freeze='all'"),
    (dict(workdir='x', freeze='trunk', trunk_lr_scale=0.1),
     'trunk that init.freeze=trunk freezes'),
    (dict(workdir='x', trunk_lr_scale=-1.0), 'trunk_lr_scale=-1.0: must be 0 or more'),
    (dict(freeze='trunk'), "init.freeze='trunk' start from a trained run, but init.workdir is "
                           'not set'),
])
def test_settings_that_mean_nothing_are_refused(settings, needle):
  config = tiny_cnn()
  config.init.update(settings)
  with pytest.raises(ConfigError, match=needle):
    loop.check_config(config)


def test_settings_on_the_output_layer_need_a_task_that_has_one():
  with pytest.raises(ConfigError, match="init.labels='union' acts on an output layer over the "
                     'letters, and the autoencoder task has none'):
    init_from.check_head({'labels': 'union'}, None, 'autoencoder')
  init_from.check_head({'labels': 'same'}, None, 'autoencoder')


def test_the_finetune_recipe_trains_from_a_run_on_a_folder_of_letters(source, tmp_path):
  """configs/cnn_classifier.py:finetune as the README runs it on a user's labelled crops (a
  folder with labels.csv, no context crops), its network and letters shrunk to the tiny
  source's."""
  config = cnn_classifier.get_config('finetune')
  tiny = tiny_cnn()
  config.model = tiny.model
  config.data.update(source='folder', train=os.path.join(synthetic_root(tiny.data), 'letters'),
                     image_size=tiny.data.image_size)
  config.train.update(steps=20, log_every=5, checkpoint_every=20)
  config.init.workdir = source
  loop.train_and_evaluate(config, str(tmp_path))
  train = [r for r in read_metrics(tmp_path) if r['split'] == 'train']
  assert [r['step'] for r in train] == [5, 10, 15, 20]
  assert all(np.isfinite(r['loss']) for r in train)
