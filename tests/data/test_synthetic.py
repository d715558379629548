"""Tests for hwr_jax.data.synthetic: the generated Syriac letter set and its cache."""

from __future__ import annotations

import csv
import json
import os
import re

import numpy as np
from PIL import Image
import pytest

from hwr_jax.data import folders, synthetic
from hwr_jax.data.synthetic import writer
from hwr_jax.data.synthetic import letters as letters_module
from hwr_jax.data.synthetic import words
from hwr_jax.errors import ConfigError, DataError

NOTO_REGULAR = '/usr/share/fonts/truetype/noto/NotoSansSyriac-Regular.ttf'
TINY = synthetic.SyntheticParams(num_manuscripts=2, letters_per_manuscript=12, image_size=32)


def read_rows(folder: str) -> list[dict]:
  with open(os.path.join(folder, 'labels.csv'), encoding='utf-8', newline='') as f:
    return list(csv.DictReader(f))


def read_png(path: str) -> np.ndarray:
  with Image.open(path) as image:
    assert image.mode == 'L'
    return np.asarray(image)


def all_files(root: str) -> dict[str, bytes]:
  files = {}
  for folder, _, names in os.walk(root):
    for name in names:
      path = os.path.join(folder, name)
      with open(path, 'rb') as f:
        files[os.path.relpath(path, root)] = f.read()
  return files


@pytest.fixture(scope='module')
def small_set(tmp_path_factory) -> str:
  """300 letters in 3 manuscripts: enough for every class, generated once for the module."""
  out = str(tmp_path_factory.mktemp('synthetic') / 'set')
  return synthetic.generate(out, synthetic.SyntheticParams(
      num_manuscripts=3, letters_per_manuscript=100, image_size=48, seed=3))


def test_same_params_give_identical_bytes_and_another_seed_does_not(tmp_path):
  first = all_files(synthetic.generate(str(tmp_path / 'a'), TINY))
  second = all_files(synthetic.generate(str(tmp_path / 'b'), TINY))
  reseeded = all_files(synthetic.generate(
      str(tmp_path / 'c'), synthetic.SyntheticParams(**{**TINY.to_json(), 'seed': 1})))
  assert first == second
  assert len(first) == 3 * 24 + 3
  assert first.keys() == reseeded.keys()
  changed = [name for name in first if name.endswith('.png') and first[name] != reseeded[name]]
  assert len(changed) == 3 * 24


def test_layout_columns_and_image_format(small_set):
  letters, context = read_rows(os.path.join(small_set, 'letters')), read_rows(
      os.path.join(small_set, 'context'))
  assert list(letters[0]) == ['image', 'label', 'manuscript', 'date', 'form']
  assert letters == context
  assert len(letters) == 300
  assert letters[0]['image'] == 'ms00_000000.png'
  for row in letters:
    assert re.fullmatch(r'ms\d\d_\d{6}\.png', row['image'])
    assert row['image'].startswith(row['manuscript'] + '_')
    assert row['label'] in synthetic.LETTER_NAMES
    assert 500 <= int(row['date']) <= 1300
    assert row['form'] in synthetic.FORMS
  dates = {row['manuscript']: row['date'] for row in letters}
  assert len(dates) == 3 and all(
      row['date'] == dates[row['manuscript']] for row in letters)
  for folder in ('letters', 'context', 'clean'):
    for row in letters[::37]:
      assert read_png(os.path.join(small_set, folder, row['image'])).shape == (48, 48)
  with open(os.path.join(small_set, 'meta.json'), encoding='utf-8') as f:
    meta = json.load(f)
  assert meta['version'] == synthetic.GENERATOR_VERSION
  assert meta['params']['num_manuscripts'] == 3
  assert meta['num_images'] == 300
  assert [hand['date'] for hand in meta['manuscripts']] == [int(d) for d in dates.values()]


def test_forms_respect_joining_classes(small_set):
  for row in read_rows(os.path.join(small_set, 'letters')):
    letter = synthetic.LETTERS[synthetic.LETTER_NAMES.index(row['label'])]
    assert row['form'] in letter.forms


def test_every_class_present_with_counts_skewed_like_syriac_text(small_set):
  rows = read_rows(os.path.join(small_set, 'letters'))
  counts = {name: 0 for name in synthetic.LETTER_NAMES}
  for row in rows:
    counts[row['label']] += 1
  with open(os.path.join(small_set, 'meta.json'), encoding='utf-8') as f:
    assert json.load(f)['counts'] == counts
  assert min(counts.values()) >= 1
  assert counts['alaph'] >= 8 * counts['teth']
  expected = 300 * letters_module.FREQUENCIES
  assert np.all(np.abs(np.array(list(counts.values())) - expected) <= 1.0)


def test_default_size_gives_rare_letters_a_few_dozen_samples():
  quota = letters_module.class_quota(synthetic.SyntheticParams().num_letters,
                                     np.random.default_rng(0))
  assert quota.sum() == 12000
  assert quota.min() >= 36
  assert quota.max() >= 10 * quota.min()


def test_clean_targets_are_binary_and_lie_on_the_dark_context_ink(small_set):
  for row in read_rows(os.path.join(small_set, 'context'))[::7]:
    clean = read_png(os.path.join(small_set, 'clean', row['image']))
    context = read_png(os.path.join(small_set, 'context', row['image'])).astype(np.float64)
    letter = read_png(os.path.join(small_set, 'letters', row['image'])).astype(np.float64)
    assert clean.shape == context.shape
    assert set(np.unique(clean)) <= {0, 255}
    ink = clean == 255
    assert ink.sum() >= 5, row['image']
    assert context[ink].mean() < context[~ink].mean() - 40, row['image']
    assert letter[ink].mean() < letter[~ink].mean() - 40, row['image']
    # The crop is centred on its letter.
    rows, cols = np.nonzero(ink)
    assert abs(rows.mean() - 23.5) < 12 and abs(cols.mean() - 23.5) < 12, row['image']


def test_context_crops_show_neighbours_the_letter_crop_lacks(small_set):
  more_ink = 0
  rows = read_rows(os.path.join(small_set, 'context'))
  for row in rows:
    context = read_png(os.path.join(small_set, 'context', row['image']))
    letter = read_png(os.path.join(small_set, 'letters', row['image']))
    more_ink += (context < 128).sum() > (letter < 128).sum() + 10
  assert more_ink >= 0.8 * len(rows)


def test_without_context_only_letters_are_written_and_they_are_the_same(tmp_path):
  with_context = synthetic.generate(str(tmp_path / 'a'), TINY)
  without = synthetic.generate(
      str(tmp_path / 'b'), synthetic.SyntheticParams(**{**TINY.to_json(), 'context': False}))
  assert sorted(os.listdir(without)) == ['letters', 'meta.json']
  for row in read_rows(os.path.join(without, 'letters')):
    np.testing.assert_array_equal(
        read_png(os.path.join(without, 'letters', row['image'])),
        read_png(os.path.join(with_context, 'letters', row['image'])))


def test_committed_masters_have_distinct_positional_forms():
  masters = synthetic.load_masters()
  assert masters.num_fonts == 4
  assert list(masters.shaped) == [True, True, True, False]
  assert synthetic.FORMS == ('isolated', 'initial', 'medial', 'final')
  isolated, initial, medial, final = range(4)
  noto = masters.bitmaps[0].astype(int)
  dual = [i for i, letter in enumerate(synthetic.LETTERS) if letter.joins_left]

  def differs(a, b):
    """Whether two (letter, form) masters differ by more than 20 pixels' worth of ink."""
    return np.abs(noto[a] - noto[b]).sum() > 255 * 20

  assert sum(differs((i, initial), (i, isolated)) for i in dual) >= 12
  assert sum(differs((i, medial), (i, final)) for i in dual) >= 12
  kaph = synthetic.LETTER_NAMES.index('kaph')
  assert differs((kaph, final), (kaph, initial))
  for i, letter in enumerate(synthetic.LETTERS):
    if not letter.joins_left:
      assert not masters.bitmaps[:, i, initial].any() and not masters.bitmaps[:, i, medial].any()


def test_masters_share_a_baseline_so_joined_forms_connect():
  masters = synthetic.load_masters()
  baseline = masters.baseline
  beth = synthetic.LETTER_NAMES.index('beth')
  medial = masters.bitmaps[0, beth, synthetic.FORMS.index('medial')]
  # A medial beth's connecting stroke reaches both ends of its advance box on the baseline.
  band = medial[baseline - 6:baseline + 1]
  advance = int(masters.advances[0, beth, synthetic.FORMS.index('medial')])
  assert band[:, masters.origin].max() > 128
  assert band[:, masters.origin + advance - 1].max() > 128


def test_sampled_words_give_the_centre_letter_its_form():
  rng = np.random.default_rng(0)
  for _ in range(500):
    letter = int(rng.integers(len(synthetic.LETTERS)))
    form = str(rng.choice(synthetic.LETTERS[letter].forms))
    word = words.sample_word(rng, letter, form)
    assert word.letters[word.centre] == letter
    assert word.forms[word.centre] == form
    for neighbour, neighbour_form in zip(word.letters, word.forms):
      if neighbour is not None:
        assert neighbour_form in synthetic.LETTERS[neighbour].forms


@pytest.mark.skipif(not os.path.isfile(NOTO_REGULAR), reason=f'{NOTO_REGULAR} not installed')
def test_user_font_renders_masters_and_a_set(tmp_path):
  masters = synthetic.render_masters([NOTO_REGULAR])
  assert masters.bitmaps.shape[:3] == (1, 22, 4)
  assert masters.fonts[0].startswith('Noto Sans Syriac Regular')
  assert masters.shaped[0]
  heights = [b.shape[0] - np.argmax(b.any(axis=1)) - np.argmax(b[::-1].any(axis=1))
             for b in masters.bitmaps[0, :, 0] >= 128]
  assert abs(np.median(heights) - masters.body_height) <= 2
  out = synthetic.generate(str(tmp_path / 'set'), synthetic.SyntheticParams(
      num_manuscripts=1, letters_per_manuscript=25, image_size=32, fonts=(NOTO_REGULAR,)))
  with open(os.path.join(out, 'meta.json'), encoding='utf-8') as f:
    meta = json.load(f)
  assert meta['masters']['fonts'] == [masters.fonts[0]]
  assert len(read_rows(os.path.join(out, 'context'))) == 25


def test_bad_fonts_name_the_file(tmp_path):
  with pytest.raises(DataError, match='nope.ttf'):
    synthetic.render_masters([str(tmp_path / 'nope.ttf')])
  junk = tmp_path / 'junk.ttf'
  junk.write_bytes(b'not a font')
  with pytest.raises(DataError, match='junk.ttf'):
    synthetic.render_masters([str(junk)])


def test_hand_drifts_with_the_date_in_the_images(tmp_path):
  out = synthetic.generate(str(tmp_path / 'set'), synthetic.SyntheticParams(
      num_manuscripts=16, letters_per_manuscript=12, image_size=48, context=False))
  with open(os.path.join(out, 'meta.json'), encoding='utf-8') as f:
    hands = json.load(f)['manuscripts']
  rows = read_rows(os.path.join(out, 'letters'))
  ink = {hand['manuscript']: [] for hand in hands}
  for row in rows:
    image = read_png(os.path.join(out, 'letters', row['image'])).astype(np.float64)
    threshold = (np.percentile(image, 1) + np.median(image)) / 2
    ink[row['manuscript']].append((image < threshold).mean())
  dates = np.array([hand['date'] for hand in hands], np.float64)
  mean_ink = np.array([np.mean(ink[hand['manuscript']]) for hand in hands])
  assert np.corrcoef(dates, mean_ink)[0, 1] < -0.5
  for key, sign in (('slant', 1), ('pen_width', -1), ('width', -1)):
    values = np.array([hand[key] for hand in hands])
    assert sign * np.corrcoef(dates, values)[0, 1] > 0.5, key


def test_params_are_validated():
  with pytest.raises(ConfigError, match='num_manuscripts'):
    synthetic.SyntheticParams(num_manuscripts=0)
  with pytest.raises(ConfigError, match='date_range'):
    synthetic.SyntheticParams(date_range=(1300, 500))
  assert synthetic.SyntheticParams(fonts=['a.ttf']).fonts == ('a.ttf',)


def test_generate_refuses_a_folder_with_files(tmp_path):
  (tmp_path / 'keep.txt').write_text('mine')
  with pytest.raises(DataError, match=str(tmp_path)):
    synthetic.generate(str(tmp_path), TINY)


def test_ensure_synthetic_generates_once_and_reuses(tmp_path, monkeypatch):
  path = synthetic.ensure_synthetic(TINY, str(tmp_path))
  assert os.path.dirname(path) == str(tmp_path)
  assert os.listdir(tmp_path) == [os.path.basename(path)]
  assert len(read_rows(os.path.join(path, 'letters'))) == 24

  def fail(*args, **kwargs):
    raise AssertionError('a cached set was generated again')

  monkeypatch.setattr(writer, 'generate', fail)
  assert synthetic.ensure_synthetic(TINY, str(tmp_path)) == path
  other = synthetic.SyntheticParams(**{**TINY.to_json(), 'seed': 5})
  with pytest.raises(AssertionError, match='generated again'):
    synthetic.ensure_synthetic(other, str(tmp_path))


def test_ensure_synthetic_uses_the_cache_environment_variable(tmp_path, monkeypatch):
  monkeypatch.setenv('HWR_JAX_CACHE', str(tmp_path))
  assert os.path.dirname(synthetic.ensure_synthetic(TINY)) == str(tmp_path)


def test_failed_generation_leaves_nothing_behind(tmp_path, monkeypatch):
  calls = []
  real_render = writer.render_sample

  def render_then_fail(*args, **kwargs):
    calls.append(1)
    if len(calls) > 5:
      raise RuntimeError('killed mid-way')
    return real_render(*args, **kwargs)

  monkeypatch.setattr(writer, 'render_sample', render_then_fail)
  with pytest.raises(RuntimeError, match='mid-way'):
    synthetic.ensure_synthetic(TINY, str(tmp_path))
  assert os.listdir(tmp_path) == []


def test_losing_a_race_keeps_the_winners_set(tmp_path, monkeypatch):
  final = os.path.join(str(tmp_path), f'synthetic-{TINY.fingerprint()}')
  real_generate = writer.generate

  def generate_while_another_process_finishes(out_dir, params):
    real_generate(out_dir, params)
    real_generate(final, params)
    with open(os.path.join(final, 'winner'), 'w', encoding='utf-8') as f:
      f.write('first')
    return out_dir

  monkeypatch.setattr(writer, 'generate', generate_while_another_process_finishes)
  assert synthetic.ensure_synthetic(TINY, str(tmp_path)) == final
  assert os.listdir(tmp_path) == [os.path.basename(final)]
  assert os.path.isfile(os.path.join(final, 'winner'))


def test_generated_letters_load_through_the_folder_loader(small_set):
  dataset = folders.load_image_folder(os.path.join(small_set, 'letters'))
  assert len(dataset) == 300
  assert dataset.vocabulary.labels == tuple(sorted(synthetic.LETTER_NAMES))
  assert sorted(dataset.metadata) == ['date', 'form', 'manuscript']
  # The loader turns dark-on-light scans into bright ink on dark, the project's convention.
  assert np.median(dataset.images) < 64
