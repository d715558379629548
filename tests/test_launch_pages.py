"""Pages through the launchers as a user runs them: synthetic pages drawn, a page-trained
denoiser and the thresholding baselines binarising and scoring them, and bad pairs that write
nothing."""

import csv
import os
import re
import shutil

import numpy as np
import pytest
from PIL import Image

from hwr_jax import loop
from hwr_jax.config_lib import load_config_file
from hwr_jax.data import paired
from hwr_jax.data.synthetic import pages
from hwr_jax.errors import DataError
from hwr_jax.evaluation import dibco
from hwr_jax.io_utils import read_json

SMALL = pages.PageParams(num_pages=2, pages_per_manuscript=1, width=120, height=136,
                         body_height=12.0, seed=5)


@pytest.fixture(scope='module')
def small_pages(tmp_path_factory):
  return pages.generate_pages(str(tmp_path_factory.mktemp('pages') / 'set'), SMALL)


@pytest.fixture(scope='module')
def page_denoiser(tmp_path_factory):
  """A few steps of the tiny page variant: the wiring, not the quality."""
  config = load_config_file('configs/denoiser.py:pages_tiny')
  config.train.update(steps=4, log_every=2, checkpoint_every=4)
  workdir = str(tmp_path_factory.mktemp('runs') / 'pages')
  result = loop.train_and_evaluate(config, workdir)
  return workdir, result


def written_scores(out, root):
  """The DIBCO means of the binarisations written to `out` (ink black) against the truth."""
  names = sorted(os.listdir(out))
  outputs = [np.asarray(Image.open(os.path.join(out, name))) == 0 for name in names]
  truths = [np.asarray(Image.open(os.path.join(root, 'truth', name))) == 0 for name in names]
  return dibco.dibco_report(outputs, truths, names)['mean']


def errors(result):
  return [line for line in result.stderr.splitlines() if line.startswith('error:')]


def test_prepare_data_draws_pages_with_their_ground_truth_and_page_xml(tmp_path, launcher):
  out = tmp_path / 'drawn'
  result = launcher('prepare_data', '--source=synthetic_pages', f'--out={out}', '--pages=1',
                    '--seed=2')
  assert re.search(r'1 pages of 1 manuscripts, \d+ letters', result.stdout)
  assert sorted(os.listdir(out / 'pages')) == ['ms00_p00.png', 'ms00_p00.xml']
  page = np.asarray(Image.open(out / 'pages' / 'ms00_p00.png'))
  truth = np.asarray(Image.open(out / 'truth' / 'ms00_p00.png'))
  assert page.shape == truth.shape and set(np.unique(truth)) == {0, 255}
  preview = np.asarray(Image.open(tmp_path / 'drawn.preview.png'))
  assert preview.shape == (page.shape[0] + 4, 2 * page.shape[1] + 6)


def test_the_page_variant_trains_on_tiles_and_scores_whole_pages(page_denoiser):
  workdir, result = page_denoiser
  for name in ('test', 'pages'):
    assert {'f_score', 'f_measure', 'pseudo_f_measure', 'psnr', 'drd'} <= set(
        result.scalars[name])
  report = read_json(os.path.join(workdir, 'eval', 'report.json'))
  assert len(report['pages']['dibco']['per_image']) == 2
  assert all(name.endswith('.png') for name in
             (row['name'] for row in report['pages']['dibco']['per_image']))
  assert os.path.isfile(os.path.join(workdir, 'eval', 'denoise_pages.png'))


def test_a_denoiser_run_binarises_pages_at_their_size_and_scores_them(
    page_denoiser, small_pages, tmp_path, launcher):
  workdir, _ = page_denoiser
  out = tmp_path / 'binarised'
  result = launcher('predict', f'--workdir={workdir}', f'--data={small_pages}/pages',
                    f'--out={out}')
  assert 's per image' in result.stdout
  for name in ('ms00_p00.png', 'ms01_p00.png'):
    page = np.asarray(Image.open(os.path.join(small_pages, 'pages', name)))
    binary = np.asarray(Image.open(out / name))
    assert binary.shape == page.shape and set(np.unique(binary)) <= {0, 255}
  scored = launcher('evaluate', f'--workdir={workdir}', f'--data={small_pages}/pages',
                    f'--targets={small_pages}/truth', '--name=small')
  printed = dict(re.findall(r'(f_measure|psnr) (\S+)', scored.stdout.splitlines()[0]))
  # What evaluate scores is what predict wrote.
  mean = written_scores(out, small_pages)
  assert float(printed['f_measure']) == pytest.approx(mean['f_measure'], abs=1e-4)
  assert os.path.isfile(os.path.join(workdir, 'eval', 'small', 'dibco_small.md'))


def test_the_baselines_binarise_and_are_scored_by_the_same_code(small_pages, tmp_path,
                                                                   launcher):
  out = tmp_path / 'sauvola'
  launcher('predict', '--method=sauvola', f'--data={small_pages}/pages', f'--out={out}')
  reports = tmp_path / 'reports'
  scored = launcher('evaluate', '--method=sauvola', f'--data={small_pages}/pages',
                    f'--targets={small_pages}/truth', f'--out={reports}')
  figures = read_json(str(reports / 'report.json'))['pages']['dibco']['overall']
  mean = written_scores(out, small_pages)
  for key in dibco.MEASURES:
    assert figures[key] == pytest.approx(mean[key], rel=1e-9)
  assert re.search(r'sauvola: 2 images binarised in [\d.]+ s', scored.stdout)


def other_size(root):
  truth = os.path.join(root, 'truth', 'ms01_p00.png')
  cut = np.asarray(Image.open(truth))[:-3]
  Image.fromarray(cut).save(truth)
  return f'truth/ms01_p00.png is {cut.shape[0]}x{cut.shape[1]} but its input'


def gray_truth(root):
  truth = os.path.join(root, 'truth', 'ms00_p00.png')
  image = np.asarray(Image.open(truth)).copy()
  image[:4, :4] = 128
  Image.fromarray(image).save(truth)
  return 'truth/ms00_p00.png is not binary'


def empty_pages(root):
  for name in os.listdir(os.path.join(root, 'pages')):
    os.remove(os.path.join(root, 'pages', name))
  return 'pages holds no image'


@pytest.mark.parametrize('spoil', [other_size, gray_truth, empty_pages])
def test_a_bad_pair_is_named(small_pages, tmp_path, spoil):
  root = tmp_path / 'copy'
  shutil.copytree(small_pages, root)
  needle = spoil(str(root))
  with pytest.raises(DataError, match=re.escape(needle)):
    paired.load_paired_pages(str(root / 'pages'), str(root / 'truth'))


def test_the_launchers_stop_on_a_bad_pair_with_one_line_and_write_nothing(small_pages, tmp_path,
                                                                          launcher):
  root = tmp_path / 'copy'
  shutil.copytree(small_pages, root)
  needle = other_size(str(root))
  out = tmp_path / 'reports'
  result = launcher('evaluate', '--method=otsu', f'--data={root}/pages',
                    f'--targets={root}/truth', f'--out={out}', check=False)
  assert result.returncode == 2, result.stderr[-3000:]
  assert len(errors(result)) == 1 and needle in errors(result)[0], errors(result)
  gray = tmp_path / 'gray'
  shutil.copytree(small_pages, gray)
  needle = gray_truth(str(gray))
  result = launcher('evaluate', '--method=sauvola', f'--data={gray}/pages',
                    f'--targets={gray}/truth', f'--out={out}', check=False)
  assert result.returncode == 2 and len(errors(result)) == 1, result.stderr[-3000:]
  assert needle in errors(result)[0], errors(result)
  empty_pages(str(root))
  binarised = tmp_path / 'binarised'
  result = launcher('predict', '--method=otsu', f'--data={root}/pages', f'--out={binarised}',
                    check=False)
  assert result.returncode == 2 and len(errors(result)) == 1
  assert f'{root}/pages: no image files' in errors(result)[0], errors(result)
  assert sorted(os.listdir(tmp_path)) == ['copy', 'gray']


def test_glyph_crops_of_drawn_pages_go_through_prepare_data(small_pages, tmp_path, launcher):
  out = tmp_path / 'crops'
  result = launcher('prepare_data', '--source=pagexml', f'--data={small_pages}/pages',
                    f'--out={out}', '--pad=0')
  with open(out / 'labels.csv', newline='', encoding='utf-8') as f:
    rows = list(csv.DictReader(f))
  drawn = sum(row['glyphs'] for row in pages.page_table(small_pages))
  assert len(rows) == drawn and f'wrote {drawn} crops' in result.stdout
  assert {row['manuscript'] for row in rows} == {'ms00', 'ms01'}
