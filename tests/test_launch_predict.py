"""launch.predict as a user runs it: unlabelled and labelled folders, PAGE-XML pages, image
answers, the same bytes twice, and bad input that writes nothing."""

import csv
import dataclasses
import os
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from hwr_jax.config_lib import load_config_file
from hwr_jax.data import streams
from hwr_jax.data.sources import image_options, synthetic_root
from hwr_jax.data.synthetic.letters import LETTERS
from hwr_jax.errors import DataError
from hwr_jax.loop import train_and_evaluate
from hwr_jax.prediction import predict
from hwr_jax.tasks.restore import load_trained

TINY = 'configs/cnn_classifier.py:tiny'
COUNT = 48
CODE_POINTS = {letter.name: letter.code_point for letter in LETTERS}


def read_csv(path):
  with open(path, newline='', encoding='utf-8') as f:
    return list(csv.reader(f))


@pytest.fixture(scope='module')
def letters(tmp_path_factory):
  """The first COUNT synthetic letters: a labelled copy (labels.csv with every column) and an
  unlabelled one (the same files, no labels file); both in file-name order."""
  config = load_config_file(TINY)
  source = os.path.join(synthetic_root(config.data), 'letters')
  rows = read_csv(os.path.join(source, 'labels.csv'))
  header, rows = rows[0], sorted(rows[1:])[:COUNT]
  root = tmp_path_factory.mktemp('letters')
  labelled, unlabelled = root / 'labelled', root / 'unlabelled'
  for folder in (labelled, unlabelled):
    folder.mkdir()
    for row in rows:
      shutil.copy(os.path.join(source, row[0]), folder / row[0])
  with open(labelled / 'labels.csv', 'w', newline='', encoding='utf-8') as f:
    csv.writer(f).writerows([header, *rows])
  return {'labelled': str(labelled), 'unlabelled': str(unlabelled), 'rows': rows,
          'header': header}


@pytest.fixture(scope='module')
def classifier(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('predict') / 'cnn')
  train_and_evaluate(load_config_file(TINY), workdir)
  return workdir


def test_unlabelled_folder_gives_one_row_per_image_in_name_order_with_top_k(
    classifier, letters, launcher, tmp_path):
  out = str(tmp_path / 'answers.csv')
  result = launcher('predict', f'--workdir={classifier}', f'--data={letters["unlabelled"]}',
                    f'--out={out}', '--top_k=3')
  table = read_csv(out)
  assert table[0] == ['image', 'label', 'probability', 'label_2', 'probability_2', 'label_3',
                      'probability_3']
  assert [row[0] for row in table[1:]] == sorted(row[0] for row in letters['rows'])
  for row in table[1:]:
    probabilities = [float(p) for p in row[2::2]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert 0 < sum(probabilities) <= 1.000001
    assert len(set(row[1::2])) == 3
  assert f'{COUNT} images' in result.stdout and 'accuracy' not in result.stdout
  # The same answers again, in chunks of 5 images: the same bytes.
  again = str(tmp_path / 'again.csv')
  task, state = load_trained(classifier)
  predict(task, state, streams.folder_stream(letters['unlabelled'], image_options(
      task.config.data)), again, top_k=3, chunk_size=5)
  with open(out, 'rb') as a, open(again, 'rb') as b:
    assert a.read() == b.read()


def test_labelled_folder_accuracy_equals_launch_evaluate_and_keeps_metadata(
    classifier, letters, launcher, tmp_path):
  out = str(tmp_path / 'answers.csv')
  result = launcher('predict', f'--workdir={classifier}', f'--data={letters["labelled"]}',
                    f'--out={out}')
  table = read_csv(out)
  extra = [column for column in letters['header'] if column not in ('image', 'label')]
  assert table[0] == ['image', 'label', 'probability', 'true_label', *extra]
  truth = {row[0]: row for row in letters['rows']}
  for row in table[1:]:
    assert row[3] == truth[row[0]][1]
    assert row[4:] == truth[row[0]][2:]
  from_csv = np.mean([row[1] == row[3] for row in table[1:]])
  printed = re.search(r'accuracy (\d\.\d{4}) on 48 labelled images', result.stdout).group(1)
  evaluated = launcher('evaluate', f'--workdir={classifier}', f'--data={letters["labelled"]}',
                       '--name=copy')
  assert re.search(r'copy: accuracy (\d\.\d{4})', evaluated.stdout).group(1) == printed
  assert f'{from_csv:.4f}' == printed


def write_page(folder, letters):
  """One page with the letters pasted in a row, and its PAGE-XML (2019) with a Glyph region
  (a rectangle exactly around each letter) and the letter's Unicode character."""
  images = [np.asarray(Image.open(os.path.join(letters['labelled'], row[0])))
            for row in letters['rows']]
  size = images[0].shape[0]
  page = np.full((size + 20, 10 + len(images) * (size + 6)), 200, np.uint8)
  glyphs = []
  for i, (image, row) in enumerate(zip(images, letters['rows'])):
    x, y = 10 + i * (size + 6), 10
    page[y:y + size, x:x + size] = image
    points = f'{x},{y} {x + size - 1},{y} {x + size - 1},{y + size - 1} {x},{y + size - 1}'
    glyphs.append(f'<Glyph id="g{i:02d}"><Coords points="{points}"/><TextEquiv><Unicode>'
                  f'{chr(CODE_POINTS[row[1]])}</Unicode></TextEquiv></Glyph>')
  os.makedirs(folder)
  Image.fromarray(page).save(os.path.join(folder, 'p1.png'))
  xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">'
         f'<Page imageFilename="p1.png" imageWidth="{page.shape[1]}" '
         f'imageHeight="{page.shape[0]}"><TextRegion id="r1"><TextLine id="l1"><Word id="w1">'
         + ''.join(glyphs) + '</Word></TextLine></TextRegion></Page></PcGts>')
  with open(os.path.join(folder, 'p1.xml'), 'w', encoding='utf-8') as f:
    f.write(xml)


def test_pagexml_regions_are_answered_as_the_same_letters_in_a_folder(
    classifier, letters, launcher, tmp_path):
  pages = str(tmp_path / 'pages')
  write_page(pages, letters)
  out, reference = str(tmp_path / 'pages.csv'), str(tmp_path / 'folder.csv')
  result = launcher('predict', f'--workdir={classifier}', f'--data={pages}', f'--out={out}',
                    '--pad=0')
  launcher('predict', f'--workdir={classifier}', f'--data={letters["labelled"]}',
           f'--out={reference}')
  table = read_csv(out)
  assert table[0] == ['image', 'label', 'probability', 'true_label', 'manuscript', 'page',
                      'region', 'x', 'y', 'w', 'h']
  assert [row[0] for row in table[1:]] == [f'p1_g{i:02d}.png' for i in range(COUNT)]
  assert [row[3] for row in table[1:]] == [row[1] for row in letters['rows']]
  # Each region holds exactly one letter's pixels, so it is answered as that letter's file.
  assert [row[1:3] for row in table[1:]] == [row[1:3] for row in read_csv(reference)[1:]]
  assert table[1][5:] == ['p1', 'g00', '10', '10', '32', '32']
  assert 'labelled images' in result.stdout


def test_an_autoencoder_answers_with_images_named_as_its_inputs(letters, launcher, tmp_path):
  workdir = str(tmp_path / 'ae')
  train_and_evaluate(load_config_file('configs/conv_autoencoder.py:tiny'), workdir)
  out = tmp_path / 'rebuilt'
  launcher('predict', f'--workdir={workdir}', f'--data={letters["unlabelled"]}',
           f'--out={out}')
  assert sorted(os.listdir(out)) == sorted(row[0] for row in letters['rows'])
  first = np.asarray(Image.open(out / letters['rows'][0][0]))
  assert first.shape == (16, 16) and first.dtype == np.uint8


def test_bad_input_names_the_culprit_and_writes_nothing(classifier, letters, launcher, tmp_path):
  broken = tmp_path / 'broken'
  shutil.copytree(letters['unlabelled'], broken)
  (broken / 'zz_bad.png').write_bytes(b'not a png')
  out = tmp_path / 'answers.csv'
  result = launcher('predict', f'--workdir={classifier}', f'--data={broken}', f'--out={out}',
                    check=False)
  assert result.returncode == 2
  error = [line for line in result.stderr.splitlines() if line.startswith('error:')][-1]
  assert 'cannot read image' in error and f'{broken}/zz_bad.png' in error
  missing = launcher('predict', f'--workdir={classifier}', f'--data={tmp_path / "nothing"}',
                     f'--out={out}', check=False)
  assert missing.returncode == 2 and 'nothing' in missing.stderr.splitlines()[-1]
  assert os.listdir(tmp_path) == ['broken']


def test_a_dating_run_answers_a_year_per_letter_and_per_manuscript(tmp_path):
  config = load_config_file('configs/dating.py:tiny')
  workdir = str(tmp_path / 'dating')
  train_and_evaluate(config, workdir)
  letters = os.path.join(synthetic_root(config.data), 'letters')
  task, state = load_trained(workdir)
  stream = streams.folder_stream(letters, image_options(task.config.data))
  out = str(tmp_path / 'dates.csv')
  summary = predict(task, state, stream, out)
  table = read_csv(out)
  assert table[0][:3] == ['image', 'year', 'true_label'] and len(table) == len(stream) + 1
  years = np.array([float(row[1]) for row in table[1:]])
  assert np.all(np.isfinite(years))
  manuscripts = read_csv(str(tmp_path / 'dates.manuscripts.csv'))
  assert manuscripts[0] == ['manuscript', 'median_year', 'sd_years', 'letters']
  column = table[0].index('manuscript')
  for name, year, _, count in manuscripts[1:]:
    own = years[[row[column] == name for row in table[1:]]]
    assert int(count) == len(own) and float(year) == pytest.approx(np.median(own), abs=0.051)
  assert summary.files == [out, str(tmp_path / 'dates.manuscripts.csv')]
  # Without labels the model cannot know which letter it reads: named, nothing written.
  unlabelled = dataclasses.replace(stream, true_labels=None)
  with pytest.raises(DataError, match='reads each letter.s label'):
    predict(task, state, unlabelled, str(tmp_path / 'none.csv'))
  assert not os.path.exists(tmp_path / 'none.csv')


def test_fine_tuning_from_a_run_of_another_model_or_size_fails_before_any_work(
    classifier, launcher, tmp_path):
  workdir = tmp_path / 'tuned'
  other_model = launcher('train', '--config=configs/blstm_classifier.py:tiny',
                         f'--workdir={workdir}', f'--config.init.workdir={classifier}',
                         check=False)
  other_size = launcher('train', f'--config={TINY}', f'--workdir={workdir}',
                        f'--config.init.workdir={classifier}', '--config.data.image_size=20',
                        check=False)
  for result, needle in ((other_model, 'blstm'), (other_size, '[20, 20]')):
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith('error:')]
    assert len(errors) == 1 and needle in errors[0] and classifier in errors[0], errors
  assert not workdir.exists()
