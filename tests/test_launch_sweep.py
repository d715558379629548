"""launch.sweep: a grid of settings, one workdir per cell, one table of their figures."""

import json
import os

import pytest

from hwr_jax.tasks.restore import load_trained
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

  # launch.compare tabulates the same runs from their workdirs alone.
  encoders = [row['then_workdir'] for row in rows]
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
