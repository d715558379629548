"""Tests for hwr_jax.data.synthetic: the generated Syriac letter set and its cache."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re

import numpy as np
from PIL import Image
import pytest

from hwr_jax.data import folders, synthetic
from hwr_jax.data.synthetic import writer
from hwr_jax.data.synthetic import letters as letters_module
from hwr_jax.data.synthetic import masters as masters_module
from hwr_jax.data.synthetic import hand as hand_module
from hwr_jax.data.synthetic import render, words
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
  # letters, context, context_binary and clean PNGs; three labels files and meta.json.
  assert len(first) == 4 * 24 + 4
  assert first.keys() == reseeded.keys()
  changed = [name for name in first if name.endswith('.png') and first[name] != reseeded[name]]
  assert len(changed) == 4 * 24


def test_layout_columns_and_image_format(small_set):
  letters, context = read_rows(os.path.join(small_set, 'letters')), read_rows(
      os.path.join(small_set, 'context'))
  assert list(letters[0]) == ['image', 'label', 'manuscript', 'date', 'form', 'script', 'font']
  assert letters == context == read_rows(os.path.join(small_set, 'context_binary'))
  assert len(letters) == 300
  assert letters[0]['image'] == 'ms00_000000.png'
  for row in letters:
    assert re.fullmatch(r'ms\d\d_\d{6}\.png', row['image'])
    assert row['image'].startswith(row['manuscript'] + '_')
    assert row['label'] in synthetic.LETTER_NAMES
    assert 500 <= int(row['date']) <= 1300
    assert row['form'] in synthetic.FORMS
  masters = synthetic.load_masters()
  for column in ('date', 'script', 'font'):
    per_manuscript = {row['manuscript']: row[column] for row in letters}
    assert len(per_manuscript) == 3 and all(
        row[column] == per_manuscript[row['manuscript']] for row in letters), column
  for row in letters:
    font = [masters.design(f) for f in range(masters.num_fonts)].index(row['font'])
    assert row['script'] == masters.scripts[font]
  dates = {row['manuscript']: row['date'] for row in letters}
  for folder in ('letters', 'context', 'context_binary', 'clean'):
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


# The Syriac letters' lines of the Unicode Character Database's ArabicShaping.txt (16.0.0),
# verbatim: code point; name; Joining_Type; Joining_Group.
UCD_ARABIC_SHAPING = """\
0710; SYRIAC LETTER ALAPH; R; ALAPH
0712; SYRIAC LETTER BETH; D; BETH
0713; SYRIAC LETTER GAMAL; D; GAMAL
0715; SYRIAC LETTER DALATH; R; DALATH RISH
0717; SYRIAC LETTER HE; R; HE
0718; SYRIAC LETTER WAW; R; SYRIAC WAW
0719; SYRIAC LETTER ZAIN; R; ZAIN
071A; SYRIAC LETTER HETH; D; HETH
071B; SYRIAC LETTER TETH; D; TETH
071D; SYRIAC LETTER YUDH; D; YUDH
071F; SYRIAC LETTER KAPH; D; KAPH
0720; SYRIAC LETTER LAMADH; D; LAMADH
0721; SYRIAC LETTER MIM; D; MIM
0722; SYRIAC LETTER NUN; D; NUN
0723; SYRIAC LETTER SEMKATH; D; SEMKATH
0725; SYRIAC LETTER E; D; E
0726; SYRIAC LETTER PE; D; PE
0728; SYRIAC LETTER SADHE; R; SADHE
0729; SYRIAC LETTER QAPH; D; QAPH
072A; SYRIAC LETTER RISH; R; DALATH RISH
072B; SYRIAC LETTER SHIN; D; SHIN
072C; SYRIAC LETTER TAW; R; TAW
"""


def ucd_joining_types() -> dict[str, str]:
  """Label name -> Joining_Type, from the UCD lines (names as the project spells them)."""
  types = {}
  for line in UCD_ARABIC_SHAPING.splitlines():
    code, name, joining, _ = (field.strip() for field in line.split(';'))
    label = name.removeprefix('SYRIAC LETTER ').lower()
    types[label] = joining
    assert chr(int(code, 16)) == synthetic.LETTERS[synthetic.LETTER_NAMES.index(label)].char
  return types


@pytest.mark.parametrize('name', synthetic.LETTER_NAMES)
def test_each_letter_joins_as_unicode_says(name):
  letter = synthetic.LETTERS[synthetic.LETTER_NAMES.index(name)]
  joining = ucd_joining_types()[name]
  assert letter.joins_left == (joining == 'D')
  assert letter.forms == (('isolated', 'initial', 'medial', 'final') if joining == 'D'
                          else ('isolated', 'final'))


def test_a_font_without_shaping_gives_isolated_unjoined_letters():
  masters = synthetic.load_masters()
  unshaped = [masters.design(f) for f in range(masters.num_fonts) if not masters.shaped[f]]
  assert unshaped == ['Unifont Regular']
  hand = dataclasses.replace(
      hand_module.sample_hand(np.random.default_rng(0), (500, 1300), masters.scripts),
      font=unshaped_font(masters))
  for s in range(40):
    sample = render.render_sample(masters, hand, np.random.default_rng([9, s]), s % 22, 32,
                                  context=True)
    assert sample.form == 'isolated'
  word = words.unjoined(words.sample_word(np.random.default_rng(0), 1, 'medial'))
  assert not word.joins
  assert set(word.forms) <= {'isolated', None}
  gap, space = 7.0, 20.0
  advances = masters.advances[unshaped_font(masters)]
  positions = words.advance_positions(word, advances, gap, space)
  widths = [space if letter is None else advances[letter, 0] for letter in word.letters]
  # Every token sits a gap to the left of the one before it: no two letters abut as a joined
  # pair would.
  np.testing.assert_allclose(-np.diff(positions), np.array(widths[1:]) + gap)


def unshaped_font(masters) -> int:
  return int(np.flatnonzero(~masters.shaped)[0])


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


def test_committed_masters_cover_two_scripts():
  masters = synthetic.load_masters()
  assert masters.scripts == ('estrangela',) * 4 + ('serto',) * 3
  assert masters.script_names == ('estrangela', 'serto')
  assert [masters.design(f) for f in range(masters.num_fonts)] == [
      'Noto Sans Syriac Regular', 'Noto Sans Syriac Thin', 'Noto Sans Syriac Black',
      'Unifont Regular', 'Noto Sans Syriac Western Regular',
      'Noto Sans Syriac Western Thin Regular', 'Noto Sans Syriac Western Black Regular']
  assert list(masters.shaped) == [True, True, True, False, True, True, True]


@pytest.mark.parametrize('name', synthetic.LETTER_NAMES)
def test_committed_masters_give_each_letter_its_own_forms(name):
  """In every font that shapes, a dual-joining letter's initial form differs from its isolated
  one and its medial from its final one (by more than 20 pixels of ink); a right-joining letter
  has no initial or medial master at all."""
  masters = synthetic.load_masters()
  i = synthetic.LETTER_NAMES.index(name)
  isolated, initial, medial, final = range(4)
  for font in np.flatnonzero(masters.shaped):
    bitmaps = masters.bitmaps[font, i].astype(int)
    assert bitmaps[isolated].any() and bitmaps[final].any(), (name, font)
    if synthetic.LETTERS[i].joins_left:
      assert np.abs(bitmaps[initial] - bitmaps[isolated]).sum() > 255 * 20, (name, font)
      assert np.abs(bitmaps[medial] - bitmaps[final]).sum() > 255 * 20, (name, font)
    else:
      assert not bitmaps[initial].any() and not bitmaps[medial].any(), (name, font)


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
  # Fonts of the two scripts carry different amounts of ink whatever the date, so the drift is
  # measured within each script: both are centred on their script's mean.
  scripts = np.array([hand['script'] for hand in hands])
  centred_dates = dates.copy()
  for script in np.unique(scripts):
    mine = scripts == script
    centred_dates[mine] -= dates[mine].mean()
    mean_ink[mine] -= mean_ink[mine].mean()
  assert np.corrcoef(centred_dates, mean_ink)[0, 1] < -0.5
  for key, sign in (('slant', 1), ('pen_width', -1), ('width', -1)):
    values = np.array([hand[key] for hand in hands])
    assert sign * np.corrcoef(dates, values)[0, 1] > 0.5, key


def test_params_are_validated():
  with pytest.raises(ConfigError, match='num_manuscripts'):
    synthetic.SyntheticParams(num_manuscripts=0)
  with pytest.raises(ConfigError, match='date_range'):
    synthetic.SyntheticParams(date_range=(1300, 500))
  assert synthetic.SyntheticParams(fonts=['a.ttf']).fonts == ('a.ttf',)


def test_font_specs_name_their_script():
  assert masters_module.parse_font('/f/SertoJerusalem.otf:Serto') == ('/f/SertoJerusalem.otf',
                                                                      'serto')
  assert masters_module.parse_font('/f/Estrangelo.otf') == ('/f/Estrangelo.otf', 'estrangela')
  assert masters_module.parse_font('C:/fonts/x.ttf') == ('C:/fonts/x.ttf', 'estrangela')


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
  assert sorted(dataset.metadata) == ['date', 'font', 'form', 'manuscript', 'script']
  # The loader turns dark-on-light scans into bright ink on dark, the project's convention.
  assert np.median(dataset.images) < 64
