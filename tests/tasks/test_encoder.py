"""The encoder task: grafted from the GAN's discriminator, the generator frozen, z exported."""

import csv
import json

import jax
import numpy as np
import pytest
from PIL import Image

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.data import streams
from hwr_jax.data.sources import load_splits
from hwr_jax.errors import ConfigError
from hwr_jax.evaluation.generation import image_grid
from hwr_jax.models import dcgan
from hwr_jax.prediction import predict
from hwr_jax.tasks import encoder as encoder_task
from hwr_jax.tasks.gan_losses import DISCRIMINATOR, GENERATOR
from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.writers import read_metrics


@pytest.fixture(scope='module')
def gan_workdir(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('gan'))
  config = load_config_file('configs/gan.py:tiny')
  config.train.update(steps=30, checkpoint_every=30, sample_every=0)
  loop.train_and_evaluate(config, workdir)
  return workdir


def encoder_config(gan_workdir, **settings):
  config = load_config_file('configs/encoder.py:tiny')
  config.encoder.gan_workdir = gan_workdir
  config.encoder.update(settings)
  return config


def trained_encoder(gan_workdir, workdir, steps=40, **settings):
  config = encoder_config(gan_workdir, **settings)
  config.train.update(steps=steps, log_every=1, checkpoint_every=steps, sample_every=0)
  config.optimizer.learning_rate = 2e-3
  loop.train_and_evaluate(config, str(workdir))
  return config


def built_task(gan_workdir, **settings):
  run = loop.build_run(encoder_config(gan_workdir, **settings))
  return run.task, jax.device_get(run.initial_state)


def test_grafted_encoder_starts_as_the_trained_discriminator(gan_workdir):
  task, state = built_task(gan_workdir)
  _, gan = load_trained(gan_workdir)
  discriminator = jax.device_get(gan.params[DISCRIMINATOR])
  encoder = state.params[encoder_task.ENCODER]
  trunk = [name for name in encoder if name not in dcgan.ENCODER_HEADS]
  assert trunk and set(trunk) | {'Conv_0'} == set(discriminator)
  for name in trunk:
    jax.tree.map(np.testing.assert_array_equal, encoder[name], discriminator[name])
  jax.tree.map(np.testing.assert_array_equal, state.batch_stats[encoder_task.ENCODER],
               jax.device_get(gan.batch_stats[DISCRIMINATOR]))
  assert encoder['z_head']['kernel'].shape[-1] == task.model.z_dim
  assert encoder['y_head']['kernel'].shape[-1] == task.num_classes
  jax.tree.map(np.testing.assert_array_equal, state.params[GENERATOR],
               jax.device_get(gan.params[GENERATOR]))

  _, fresh = built_task(gan_workdir, graft=False)
  assert not np.array_equal(fresh.params[encoder_task.ENCODER]['Downsample_0']['Conv_0']['kernel'],
                            encoder['Downsample_0']['Conv_0']['kernel'])


@pytest.mark.parametrize('settings,falling', [
    (dict(objective='reconstruction'), 'reconstruction'),
    (dict(objective='icgan', trunk_lr_scale=1.0), 'z_mse'),
    (dict(objective='icgan', architecture='independent', graft=False, y_loss='mse',
          trunk_lr_scale=1.0), 'z_mse'),
    (dict(objective='icgan', architecture='joint', graft=False, y_loss='mse',
          trunk_lr_scale=1.0), 'y_loss'),
], ids=['reconstruction', 'icgan', 'icgan_independent', 'icgan_joint'])
def test_training_keeps_the_generator_bit_identical_and_its_loss_falls(
    gan_workdir, tmp_path, settings, falling):
  trained_encoder(gan_workdir, tmp_path, **settings)
  _, gan = load_trained(gan_workdir)
  task, state = load_trained(str(tmp_path))
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(state.params[GENERATOR]),
               jax.device_get(gan.params[GENERATOR]))
  jax.tree.map(np.testing.assert_array_equal, jax.device_get(state.batch_stats[GENERATOR]),
               jax.device_get(gan.batch_stats[GENERATOR]))
  curve = [r[falling] for r in read_metrics(str(tmp_path)) if r['split'] == 'train']
  assert len(curve) == 40
  assert np.mean(curve[-10:]) < 0.9 * np.mean(curve[:10]), curve

  # The report and the pictures show what the trained run does to every test letter x:
  # its mean distance to G(E_z(x), y) (pixels in [0, 1]); originals over rebuilt letters.
  letters = load_splits(task.config.data, task.config.seed).test
  rebuilt = task.rebuild(state, task.encode(state, letters.images)['z'], letters.labels)
  distances = np.linalg.norm((letters.images / 255.0 - rebuilt / 255.0).reshape(
      len(letters), -1), axis=1)
  report = json.loads((tmp_path / 'eval' / 'report.json').read_text())['test']
  assert report['count'] == len(letters)
  assert report['reconstruction_l2'] == pytest.approx(np.mean(distances), rel=1e-6)
  columns = task.config.eval.grid_columns
  with Image.open(tmp_path / 'eval' / 'reconstruction_test.png') as picture:
    np.testing.assert_array_equal(np.asarray(picture), image_grid(
        np.concatenate([letters.images[:columns], rebuilt[:columns]]), columns))
  one_row_per_letter = image_grid(rebuilt[:columns].repeat(1 + task.num_classes, axis=0),
                                  columns)
  with Image.open(tmp_path / 'eval' / 'edit_test.png') as picture:
    assert picture.height == one_row_per_letter.shape[0]  # the originals, then every letter


def test_the_trunk_learns_at_its_own_rate(gan_workdir, tmp_path):
  """trunk_lr_scale=0 keeps the grafted discriminator layers as they were; the heads learn."""
  trained_encoder(gan_workdir, tmp_path, steps=3, trunk_lr_scale=0.0)
  _, gan = load_trained(gan_workdir)
  _, state = load_trained(str(tmp_path))
  encoder = jax.device_get(state.params[encoder_task.ENCODER])
  discriminator = jax.device_get(gan.params[DISCRIMINATOR])
  for name in encoder:
    if name in dcgan.ENCODER_HEADS:
      continue
    jax.tree.map(np.testing.assert_array_equal, encoder[name], discriminator[name])
  _, start = built_task(gan_workdir)
  for head in ('z_head', 'y_head'):
    assert not np.array_equal(encoder[head]['kernel'],
                              start.params[encoder_task.ENCODER][head]['kernel'])


def test_data_other_than_the_gans_is_refused(gan_workdir):
  config = encoder_config(gan_workdir)
  config.data.image_size = 20
  with pytest.raises(ConfigError, match=r'gan_workdir=.* 22 classes of \(16, 16\) images, this '
                     r'data has 22 classes of \(20, 20\)'):
    loop.build_run(config)


def test_a_workdir_that_is_not_a_gan_is_refused(gan_workdir, tmp_path):
  trained_encoder(gan_workdir, tmp_path, steps=2)
  with pytest.raises(ConfigError, match='holds a encoder run, not a GAN'):
    loop.build_run(encoder_config(str(tmp_path)))


def test_exported_codes_follow_the_input_order(gan_workdir, tmp_path, launcher):
  workdir = tmp_path / 'encoder'
  trained_encoder(gan_workdir, workdir, steps=4)
  task, state = load_trained(str(workdir))
  run_data = loop.build_run(task.config).data
  out = tmp_path / 'codes.npz'
  launcher('encode', f'--workdir={workdir}', f'--out={out}')
  codes = np.load(out)
  sets = [run_data.train, run_data.test, *run_data.extra_tests.values()]
  names = np.concatenate([d.names for d in sets])
  np.testing.assert_array_equal(codes['names'], names)
  np.testing.assert_array_equal(codes['labels'], np.concatenate([d.labels for d in sets]))
  assert list(codes['split']).count('test') == len(run_data.test)
  # Each image's code is its own: encoded alone, in reverse order, the rows are the same.
  test_rows = codes['split'] == 'test'
  reversed_codes = task.encode(state, run_data.test.images[::-1])['z'][::-1]
  np.testing.assert_allclose(codes['z'][test_rows], reversed_codes, rtol=1e-5, atol=1e-6)
  alone = task.encode(state, run_data.test.images[3:4])['z'][0]
  np.testing.assert_allclose(codes['z'][test_rows][3], alone, rtol=1e-5, atol=1e-6)
  assert codes['z'].shape == (len(names), task.model.z_dim)
  # predict answers the same letters with the label each z was read as, its z beside the CSV.
  answers = tmp_path / 'answers.csv'
  predict(task, state, streams.from_dataset(run_data.test), str(answers), chunk_size=7)
  with open(answers, newline='') as f:
    table = list(csv.reader(f))
  assert table[0][:3] == ['image', 'label', 'true_label']
  predicted = task.encode(state, run_data.test.images)['predicted']
  assert [row[1] for row in table[1:]] == [task.data_info.vocabulary.labels[i] for i in predicted]
  z = np.load(tmp_path / 'answers.z.npz')
  np.testing.assert_array_equal(z['names'], run_data.test.names)
  np.testing.assert_allclose(z['z'], codes['z'][test_rows], rtol=1e-5, atol=1e-6)


def test_graft_needs_the_discriminator_architecture(gan_workdir):
  with pytest.raises(ConfigError, match='encoder.graft=True grafts the discriminator'):
    loop.build_run(encoder_config(gan_workdir, architecture='joint'))


@pytest.mark.parametrize('settings, needle', [
    (dict(trunk_lr_scale=-0.1), r'trunk_lr_scale=-0.1: must be 0 \(a frozen trunk\) or more'),
    (dict(architecture='joint', graft=False),
     "trunk_lr_scale=0.1 scales the discriminator trunk, but encoder.architecture='joint'"),
])
def test_a_trunk_rate_that_cannot_apply_is_refused(gan_workdir, settings, needle):
  with pytest.raises(ConfigError, match=needle):
    loop.build_run(encoder_config(gan_workdir, **settings))


def test_combined_fine_tuning_starts_from_both_runs_and_trains_all_three(gan_workdir, tmp_path):
  encoder_workdir = tmp_path / 'encoder'
  trained_encoder(gan_workdir, encoder_workdir, steps=10)
  config = load_config_file('configs/finetune.py:tiny')
  config.finetune.encoder_workdir = str(encoder_workdir)
  config.train.update(steps=40, log_every=1, checkpoint_every=40, sample_every=0)
  config.optimizer.learning_rate = 1e-3
  run = loop.build_run(config)
  _, encoder_state = load_trained(str(encoder_workdir))
  _, gan = load_trained(gan_workdir)
  start = jax.device_get(run.initial_state)
  for part, source in ((encoder_task.ENCODER, encoder_state), (GENERATOR, encoder_state),
                       (DISCRIMINATOR, gan)):
    jax.tree.map(np.testing.assert_array_equal, start.params[part],
                 jax.device_get(source.params[part]))
  loop.train_and_evaluate(config, str(tmp_path / 'finetune'))
  _, state = load_trained(str(tmp_path / 'finetune'))
  for part in (encoder_task.ENCODER, GENERATOR, DISCRIMINATOR):
    pairs = zip(jax.tree.leaves(jax.device_get(state.params[part])),
                jax.tree.leaves(start.params[part]))
    assert any(not np.array_equal(after, before) for after, before in pairs), part
  curve = [r['reconstruction'] for r in read_metrics(str(tmp_path / 'finetune'))
           if r['split'] == 'train']
  assert np.mean(curve[-10:]) < 0.9 * np.mean(curve[:10]), curve
