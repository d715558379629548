"""launch.sweep: a grid of settings, one workdir per cell, one table of their figures."""

import json
import os

import pytest

from hwr_jax.tasks.restore import load_trained
from hwr_jax.training.writers import read_metrics
from launch import sweep

TINY = 'configs/cnn_classifier.py:tiny'
# Steps of each classifier cell: after 6 steps they are at chance (1 to 4 of the 48 test letters
# right, 1/22 of them being 2.2); after 60, each has 7 right (of a hand it never saw). About 5 s
# more than 6 steps.
CELL_STEPS = 60


def test_sweep_trains_every_cell_and_tabulates_it(tmp_path, launcher):
  result = launcher('sweep', f'--config={TINY}', f'--workdir={tmp_path}',
                    '--axis=model.dense=16,32', '--axis=train.label_smoothing=0,0.1',
                    f'--config.train.steps={CELL_STEPS}')
  assert sorted(p for p in os.listdir(tmp_path) if '=' in p) == [
      'dense=16,label_smoothing=0.0', 'dense=16,label_smoothing=0.1',
      'dense=32,label_smoothing=0.0', 'dense=32,label_smoothing=0.1']
  lines = result.stdout.strip().splitlines()
  # The tiny set's one test manuscript is in Serto: the per-script column is that script's.
  assert lines[0] == '| dense | label_smoothing | accuracy | accuracy_script_serto |'
  assert len(lines) == 6
  with open(tmp_path / 'table.json', encoding='utf-8') as f:
    rows = json.load(f)
  with open(tmp_path / 'dense=32,label_smoothing=0.1' / 'config.json', encoding='utf-8') as f:
    config = json.load(f)
  assert config['model']['dense'] == 32 and config['train']['label_smoothing'] == 0.1
  assert config['train']['steps'] == CELL_STEPS
  assert [row['cell']['model.dense'] for row in rows] == [16, 16, 32, 32]
  for row in rows:
    # The table holds each cell's own test accuracy, and each cell trained: twice chance.
    with open(os.path.join(row['workdir'], 'eval', 'report.json'), encoding='utf-8') as f:
      test = json.load(f)['test']
    assert row['scalars']['accuracy'] == test['accuracy']
    assert test['accuracy'] > 2 / len(test['per_class']), row


@pytest.mark.parametrize('axis,needle', [('model.depth=2,3', "no key 'model.depth'"),
                                         ('model.dense=16,big', "'big' is not a int"),
                                         ('model.dense', 'expected key=value1')])
def test_bad_axes_fail_before_anything_trains(tmp_path, axis, needle, launcher):
  result = launcher('sweep', f'--config={TINY}', f'--workdir={tmp_path / "s"}',
                    f'--axis={axis}', check=False)
  assert result.returncode == 2
  assert needle in result.stderr
  assert not (tmp_path / 's').exists()


def test_values_take_the_type_of_the_field():
  assert sweep.parse_value('false', True) is False
  assert sweep.parse_value('3', 0.5) == 3.0 and isinstance(sweep.parse_value('3', 0.5), float)
  assert sweep.parse_value('conv1', 'input') == 'conv1'
  assert sweep.parse_value('(8, 16)', (1,)) == (8, 16)


def test_a_pipeline_trains_an_encoder_of_every_gan(tmp_path, launcher):
  """The z-size study's shape: a GAN per z size, then an encoder of each, in one table."""
  result = launcher('sweep', '--config=configs/gan.py:tiny', f'--workdir={tmp_path}',
                    '--axis=model.z_dim=4,8', '--config.train.steps=10',
                    '--then=configs/encoder.py:tiny', '--then_set=train.steps=10')
  assert sorted(os.listdir(tmp_path)) == ['table.json', 'table.md', 'z_dim=4',
                                          'z_dim=4.encoder', 'z_dim=8', 'z_dim=8.encoder']
  with open(tmp_path / 'z_dim=8.encoder' / 'config.json', encoding='utf-8') as f:
    encoder = json.load(f)
  assert encoder['encoder']['gan_workdir'] == str(tmp_path / 'z_dim=8')
  assert encoder['train']['steps'] == 10
  task, _ = load_trained(str(tmp_path / 'z_dim=8.encoder'))
  assert task.model.z_dim == 8
  header = result.stdout.strip().splitlines()[0]
  assert header.startswith('| z_dim |')
  assert 'encoder.reconstruction_l2' in header and 'encoder.y_accuracy' in header
  with open(tmp_path / 'table.json', encoding='utf-8') as f:
    rows = json.load(f)
  assert [row['then_workdir'] for row in rows] == [str(tmp_path / 'z_dim=4.encoder'),
                                                   str(tmp_path / 'z_dim=8.encoder')]

  # A second stage of another name on the finished sweep: the GANs are not trained again.
  def gan_training_records():
    return [r for r in read_metrics(str(tmp_path / 'z_dim=8')) if r['split'] == 'train']

  trained_gan = gan_training_records()
  fresh = launcher('sweep', '--config=configs/gan.py:tiny', f'--workdir={tmp_path}',
                   '--axis=model.z_dim=4,8', '--config.train.steps=10',
                   '--then=configs/encoder.py:tiny', '--then_set=train.steps=10',
                   '--then_set=encoder.graft=false', '--then_name=fresh')
  with open(tmp_path / 'z_dim=8.fresh' / 'config.json', encoding='utf-8') as f:
    assert json.load(f)['encoder']['graft'] is False
  assert 'fresh.reconstruction_l2' in fresh.stdout.splitlines()[0]
  assert trained_gan and gan_training_records() == trained_gan

  # launch.compare tabulates the same runs from their workdirs alone.
  encoders = [row['then_workdir'] for row in rows]
  # --workdirs is split at commas, so the pattern reaches past the cell name's comma by '*'.
  compared = launcher('compare', f'--workdirs={",".join(encoders)}',
                      '--figures=reconstruction_l2,y_accuracy', f'--out={tmp_path / "cmp"}')
  lines = compared.stdout.strip().splitlines()
  assert lines[0] == '| run | task | reconstruction_l2 | y_accuracy |'
  for line, row in zip(lines[2:], rows):
    assert line == (f'| z_dim={row["cell"]["model.z_dim"]}.encoder | encoder | '
                    f'{row["scalars"]["encoder.reconstruction_l2"]:.4f} | '
                    f'{row["scalars"]["encoder.y_accuracy"]:.4f} |')
  assert (tmp_path / 'cmp' / 'table.md').read_text().strip() == compared.stdout.strip()

  bogus = launcher('compare', f'--workdirs={",".join(encoders)}',
                   '--figures=y_accuracy,fidelity', check=False)
  assert bogus.returncode == 2
  assert '--figures: no run has fidelity; they have random_image_l2' in bogus.stderr
  context = launcher('compare', f'--workdirs={encoders[0]}', '--set=val', check=False)
  assert context.returncode == 2
  assert ("no figures of --set=val; its evaluations score ['context', 'context_binary', 'test']"
          in context.stderr)

  os.remove(os.path.join(encoders[0], 'eval', 'report.json'))
  unfinished = launcher('compare', f'--workdirs={",".join(encoders)}', check=False)
  assert unfinished.returncode == 2
  assert f'{encoders[0]}: no eval/report.json' in unfinished.stderr


def test_a_bad_follow_on_setting_fails_before_anything_trains(tmp_path, launcher):
  result = launcher('sweep', '--config=configs/gan.py:tiny', f'--workdir={tmp_path / "s"}',
                    '--axis=model.z_dim=4,8', '--then=configs/encoder.py:tiny',
                    '--then_set=encoder.depth=3', check=False)
  assert result.returncode == 2
  assert "no key 'encoder.depth'" in result.stderr
  assert not (tmp_path / 's').exists()


def test_a_seed_axis_gives_a_table_over_seeds(tmp_path, launcher):
  """Two settings over two seeds: each setting's row holds the mean and sample standard
  deviation of its two runs, and launch.compare folds the same runs the same way."""
  result = launcher('sweep', '--config=configs/conv_autoencoder.py:tiny',
                    f'--workdir={tmp_path}', '--axis=model.features=(8,4),(4,4)',
                    '--axis=seed=0,1', '--config.train.steps=8')
  with open(tmp_path / 'table.json', encoding='utf-8') as f:
    rows = json.load(f)
  assert [row['cell']['seed'] for row in rows] == [0, 1, 0, 1]
  with open(tmp_path / 'summary.json', encoding='utf-8') as f:
    summary = json.load(f)
  assert [group['cell'] for group in summary] == [{'model.features': [8, 4]},
                                                  {'model.features': [4, 4]}]
  for group, seeds in zip(summary, (rows[:2], rows[2:])):
    values = [row['scalars']['reconstruction_mse'] for row in seeds]
    assert values[0] != values[1]  # the seed reaches the run
    mse = group['scalars']['reconstruction_mse']
    assert mse['values'] == values and mse['n'] == 2
    assert mse['mean'] == pytest.approx(sum(values) / 2)
    assert mse['sd'] == pytest.approx(abs(values[0] - values[1]) / 2 ** 0.5)
  over = result.stdout.split('Over seeds')[1].strip().splitlines()
  header = [name.strip() for name in over[2].split('|')]
  assert header[1] == 'features'
  cells = [cell.strip() for cell in over[4].split('|')]
  mse = summary[0]['scalars']['reconstruction_mse']
  assert cells[1] == '(8, 4)'
  assert cells[header.index('reconstruction_mse')] == (
      f'{mse["mean"]:.4f} ± {mse["sd"]:.4f} (n=2)')

  # --workdirs is split at commas, so the pattern reaches past the cell name's comma by '*'.
  compared = launcher('compare', f'--workdirs={tmp_path}/features=(8*',
                      f'--out={tmp_path / "cmp"}')
  line = compared.stdout.strip().splitlines()[-1]
  assert line.startswith(f'| {tmp_path}/features=(8* | autoencoder | ')
  assert f'{mse["mean"]:.4f} ± {mse["sd"]:.4f} (n=2)' in line
  with open(tmp_path / 'cmp' / 'summary.json', encoding='utf-8') as f:
    assert json.load(f)[0]['scalars']['reconstruction_mse'] == mse

  nothing = launcher('compare', f'--workdirs={tmp_path}/nothing*', check=False)
  assert nothing.returncode == 2
  assert 'nothing*' in nothing.stderr and 'matches no folder' in nothing.stderr


def test_axis_values_split_outside_brackets():
  assert sweep.split_values('(1024,),(64,)') == ['(1024,)', '(64,)']
  assert sweep.split_values("[1, 2],'a',3") == ['[1, 2]', "'a'", '3']


def test_the_follow_on_takes_the_cells_seed():
  assert sweep.follow_on_settings('encoder.gan_workdir', 'w', {'seed': 2, 'model.z_dim': 8}) == {
      'encoder.gan_workdir': 'w', 'seed': 2}
  assert sweep.follow_on_settings('encoder.gan_workdir', 'w', {'model.z_dim': 8}) == {
      'encoder.gan_workdir': 'w'}
