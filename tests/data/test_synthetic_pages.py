"""Synthetic manuscript pages: the same bytes from the same seed, PAGE-XML in the 2019 schema's
layout, a ground truth that is exactly the letters' ink, and glyph crops that the page reader
cuts back as the letters drawn."""

import filecmp
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from hwr_jax.data import page_regions
from hwr_jax.data.synthetic import pages
from hwr_jax.data.synthetic.letters import LETTER_NAMES, LETTERS
from hwr_jax.errors import ConfigError
from hwr_jax.io_utils import read_json

PARAMS = pages.PageParams(num_pages=3, pages_per_manuscript=2, width=160, height=176,
                          body_height=14.0, seed=3)
NS = {'p': pages.PAGE_NAMESPACE}
SYRIAC = {letter.char for letter in LETTERS}


@pytest.fixture(scope='module')
def drawn(tmp_path_factory):
  return pages.generate_pages(str(tmp_path_factory.mktemp('pages') / 'set'), PARAMS)


def page_names(root):
  return [row['image'][:-len('.png')] for row in pages.page_table(root)]


def read_gray(path):
  return np.asarray(Image.open(path))


def test_the_same_seed_gives_the_same_bytes_and_another_seed_other_pages(drawn, tmp_path):
  again = pages.generate_pages(str(tmp_path / 'again'), PARAMS)
  for folder in ('pages', 'truth'):
    names = sorted(os.listdir(os.path.join(drawn, folder)))
    assert names == sorted(os.listdir(os.path.join(again, folder)))
    _, mismatch, errors = filecmp.cmpfiles(os.path.join(drawn, folder),
                                           os.path.join(again, folder), names, shallow=False)
    assert not mismatch and not errors
  assert filecmp.cmp(os.path.join(drawn, 'meta.json'), os.path.join(again, 'meta.json'),
                     shallow=False)
  other = pages.generate_pages(str(tmp_path / 'other'),
                               pages.PageParams(**{**PARAMS.to_json(), 'seed': 4}))
  first = page_names(drawn)[0] + '.png'
  assert not filecmp.cmp(os.path.join(drawn, 'pages', first),
                         os.path.join(other, 'pages', first), shallow=False)


def test_pages_come_in_manuscripts_of_one_hand_and_differ_in_size(drawn):
  table = pages.page_table(drawn)
  assert [row['manuscript'] for row in table] == ['ms00', 'ms00', 'ms01']
  meta = read_json(os.path.join(drawn, 'meta.json'))
  hands = {hand['manuscript']: hand for hand in meta['manuscripts']}
  for row in table:
    hand = hands[row['manuscript']]
    assert (row['date'], row['width'], row['height']) == (hand['date'], hand['page_width'],
                                                          hand['page_height'])
    assert read_gray(os.path.join(drawn, 'pages', row['image'])).shape == (row['height'],
                                                                           row['width'])
  assert len({(row['width'], row['height']) for row in table}) == 2


def region_children(element):
  return [child.tag.split('}')[1] for child in element]


def box(element):
  points = [tuple(int(v) for v in point.split(','))
            for point in element.find('p:Coords', NS).get('points').split()]
  xs, ys = zip(*points)
  assert len(points) == 4 and len(set(xs)) <= 2 and len(set(ys)) <= 2
  return min(xs), min(ys), max(xs), max(ys)


def inside(inner, outer):
  return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
          and inner[3] <= outer[3])


def test_page_xml_has_the_2019_layout_and_nested_regions(drawn):
  hands = {hand['manuscript']: hand for hand in
           read_json(os.path.join(drawn, 'meta.json'))['manuscripts']}
  for name in page_names(drawn):
    root = ET.parse(os.path.join(drawn, 'pages', f'{name}.xml')).getroot()
    assert root.tag == f'{{{pages.PAGE_NAMESPACE}}}PcGts'
    assert region_children(root) == ['Metadata', 'Page']
    metadata = root.find('p:Metadata', NS)
    assert region_children(metadata)[:3] == ['Creator', 'Created', 'LastChange']
    items = {item.get('name'): item.get('value')
             for item in metadata.findall('p:MetadataItem', NS)}
    manuscript = name.split('_')[0]
    assert items == {'manuscript': manuscript, 'date': str(hands[manuscript]['date']),
                     'script': hands[manuscript]['script']}
    page = root.find('p:Page', NS)
    height, width = read_gray(os.path.join(drawn, 'pages', page.get('imageFilename'))).shape
    assert (int(page.get('imageWidth')), int(page.get('imageHeight'))) == (width, height)
    ids = [element.get('id') for element in root.iter() if element.get('id')]
    assert len(ids) == len(set(ids))
    (region,) = page.findall('p:TextRegion', NS)
    lines = region.findall('p:TextLine', NS)
    assert lines and region_children(region) == ['Coords'] + ['TextLine'] * len(lines) + [
        'TextEquiv']
    for line in lines:
      words = line.findall('p:Word', NS)
      assert region_children(line) == ['Coords', 'Baseline'] + ['Word'] * len(words) + [
          'TextEquiv']
      assert inside(box(line), box(region))
      word_texts = []
      for word in words:
        glyphs = word.findall('p:Glyph', NS)
        assert region_children(word) == ['Coords'] + ['Glyph'] * len(glyphs) + ['TextEquiv']
        assert inside(box(word), box(line))
        letters = [glyph.findtext('p:TextEquiv/p:Unicode', None, NS) for glyph in glyphs]
        assert all(region_children(glyph) == ['Coords', 'TextEquiv'] for glyph in glyphs)
        assert all(letter in SYRIAC for letter in letters)
        assert all(inside(box(glyph), box(word)) for glyph in glyphs)
        assert word.findtext('p:TextEquiv/p:Unicode', None, NS) == ''.join(letters)
        word_texts.append(''.join(letters))
      assert line.findtext('p:TextEquiv/p:Unicode', None, NS) == ' '.join(word_texts)
      # Right to left: each word lies left of the one before it.
      rights = [box(word)[2] for word in words]
      assert rights == sorted(rights, reverse=True)


def test_the_ground_truth_is_exactly_the_ink_of_the_glyphs(drawn):
  for name in page_names(drawn):
    truth = read_gray(os.path.join(drawn, 'truth', f'{name}.png'))
    assert set(np.unique(truth)) == {0, 255}
    ink = truth == 0
    assert 0.01 < ink.mean() < 0.2
    covered = np.zeros_like(ink)
    root = ET.parse(os.path.join(drawn, 'pages', f'{name}.xml')).getroot()
    for glyph in root.iter(f'{{{pages.PAGE_NAMESPACE}}}Glyph'):
      left, top, right, bottom = box(glyph)
      covered[top:bottom + 1, left:right + 1] = True
      # The box is tight: ink on each of its four edges.
      assert ink[top, left:right + 1].any() and ink[bottom, left:right + 1].any()
      assert ink[top:bottom + 1, left].any() and ink[top:bottom + 1, right].any()
    assert not (ink & ~covered).any()
    # Ink is darker than the paper around it in the page itself.
    gray = read_gray(os.path.join(drawn, 'pages', f'{name}.png')).astype(float)
    assert gray[ink].mean() < gray[~ink].mean() - 40


def test_glyph_crops_cut_by_the_page_reader_are_the_letters_drawn(drawn):
  masters = PARAMS.masters()
  sheet = pages.manuscript_sheet(PARAMS, masters, 0)
  page = pages.draw_page(masters, sheet, pages.page_rng(PARAMS, 0, 1))
  name = 'ms00_p01'
  np.testing.assert_array_equal(page.gray, read_gray(os.path.join(drawn, 'pages',
                                                                  f'{name}.png')))
  crops = [crop for crop in page_regions.read_regions('pagexml', os.path.join(drawn, 'pages'),
                                                      'glyph', pad=0)
           if crop.metadata['page'] == name]
  assert [crop.label for crop in crops] == [LETTER_NAMES[g.letter] for g in page.glyphs]
  for crop, glyph in zip(crops, page.glyphs):
    left, top, right, bottom = glyph.box
    assert (crop.metadata['x'], crop.metadata['y'], crop.metadata['w'],
            crop.metadata['h']) == (left, top, right - left + 1, bottom - top + 1)
    np.testing.assert_array_equal(crop.image, page.gray[top:bottom + 1, left:right + 1])
    assert crop.metadata['manuscript'] == 'ms00'
  words = [crop.label for crop in page_regions.read_regions(
      'pagexml', os.path.join(drawn, 'pages'), 'word', pad=0) if crop.metadata['page'] == name]
  assert words == [word.text for line in page.lines for word in line.words]


def test_the_cache_draws_once_and_pages_too_small_for_a_line_are_refused(tmp_path):
  small = pages.PageParams(num_pages=1, width=96, height=96, body_height=12.0)
  first = pages.ensure_pages(small, str(tmp_path))
  assert pages.ensure_pages(small, str(tmp_path)) == first
  assert os.listdir(tmp_path) == [os.path.basename(first)]
  with pytest.raises(ConfigError, match='body_height=20'):
    pages.PageParams(width=96, height=96, body_height=20.0)
