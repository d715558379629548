"""Tests for hwr_jax.data.page_regions: crops cut from drawn pages in PAGE-XML and ALTO."""

from __future__ import annotations

import csv
import os
from typing import Optional

import numpy as np
from PIL import Image, ImageDraw
import pytest

from hwr_jax.data import page_regions
from hwr_jax.errors import DataError

PAGE_2013, PAGE_2019 = page_regions.PAGE_NAMESPACES
ALTO_V2, _, ALTO_V4 = page_regions.ALTO_NAMESPACES
PAGE_SIZE = (400, 300)
PAPER, INK = 200, 30
PAD = 4


def rect(left: int, top: int, right: int, bottom: int) -> tuple:
  """The corners of a box whose last column and row are `right` and `bottom`."""
  return (left, top), (right, top), (right, bottom), (left, bottom)


# Beth's region is a diamond; a dark square in a corner of its bounding box lies outside it.
DIAMOND = ((130, 40), (170, 80), (130, 120), (90, 80))
BETH_INK = (118, 68, 142, 92)
STRAY_INK = (92, 42, 99, 49)
# Page boxes (left, top, right, bottom), inclusive, of the shapes drawn in each glyph region.
DRAWN = {'g1': (40, 50, 59, 89), 'g2': BETH_INK, 'g3': (200, 60, 219, 79),
         'g4': (250, 50, 269, 69), 'g5': (0, 200, 9, 229)}
# (id, polygon, text, children): lines hold words, words hold glyphs. g3 has no text, g4 and
# w2 Latin text, g5 sits on the left edge of the page so its padding is clipped.
LINES = (
    ('l1', rect(30, 30, 280, 130), '\u0710\u0712 q', (
        ('w1', rect(36, 36, 174, 124), '\u0710\u0712', (
            ('g1', rect(*DRAWN['g1']), '\u0710', ()),
            ('g2', DIAMOND, '\u0712', ()))),
        ('w2', rect(196, 46, 273, 83), 'q', (
            ('g3', rect(*DRAWN['g3']), None, ()),
            ('g4', rect(*DRAWN['g4']), 'q', ()))))),
    ('l2', rect(0, 190, 20, 240), '\u072c', (
        ('w3', rect(0, 195, 15, 235), '\u072c', (
            ('g5', rect(*DRAWN['g5']), '\u072c', ()),)),)),
)


def draw_page(path: str, size: tuple[int, int] = PAGE_SIZE, sixteen_bit: bool = False) -> None:
  """A light-gray page with a dark shape in every glyph region, and a stray mark beside beth."""
  page = Image.new('L', size, PAPER)
  draw = ImageDraw.Draw(page)
  for glyph, box in DRAWN.items():
    (draw.ellipse if glyph == 'g2' else draw.rectangle)(box, fill=INK)
  draw.rectangle(STRAY_INK, fill=INK)
  if sixteen_bit:
    page = Image.fromarray(np.asarray(page).astype(np.uint16) * 257)
  page.save(path)


def without_glyphs(lines: tuple) -> tuple:
  return tuple((i, p, t, tuple((wi, wp, wt, ()) for wi, wp, wt, _ in words))
               for i, p, t, words in lines)


def page_xml(namespace: str, lines: tuple = LINES, metadata: str = '',
             image: str = 'p1.png') -> str:
  """A PAGE-XML file; every text comes second to a worse reading with a higher @index."""

  def region(tag: str, region_id: str, polygon: tuple, text: Optional[str], inner: str) -> str:
    points = ' '.join(f'{x},{y}' for x, y in polygon)
    if text is not None:
      inner += ('<TextEquiv index="2"><Unicode>\u071b</Unicode></TextEquiv>'
                f'<TextEquiv index="1"><Unicode>{text}</Unicode></TextEquiv>')
    return f'<{tag} id="{region_id}"><Coords points="{points}"/>{inner}</{tag}>'

  def line(line_id, polygon, text, words) -> str:
    inner = ''.join(
        region('Word', wi, wp, wt, ''.join(region('Glyph', *glyph[:3], '') for glyph in glyphs))
        for wi, wp, wt, glyphs in words)
    return region('TextLine', line_id, polygon, text, inner)

  body = ''.join(line(*spec) for spec in lines)
  return (f'<?xml version="1.0" encoding="UTF-8"?>\n<PcGts xmlns="{namespace}">'
          f'<Metadata><Creator>test</Creator>{metadata}</Metadata>'
          f'<Page imageFilename="{image}" imageWidth="{PAGE_SIZE[0]}" '
          f'imageHeight="{PAGE_SIZE[1]}">'
          f'<TextRegion id="r1"><Coords points="0,0 399,0 399,299 0,299"/>{body}</TextRegion>'
          '</Page></PcGts>')


def alto_xml(namespace: str, lines: tuple = LINES, document: str = '', unit: str = 'pixel',
             comma_points: bool = True) -> str:
  """An ALTO file: boxes as HPOS/VPOS/WIDTH/HEIGHT, other polygons as Shape/Polygon."""

  def region(tag: str, region_id: str, polygon: tuple, text: Optional[str], inner: str) -> str:
    xs, ys = [x for x, _ in polygon], [y for _, y in polygon]
    box = (f'HPOS="{min(xs)}" VPOS="{min(ys)}" WIDTH="{max(xs) - min(xs) + 1}" '
           f'HEIGHT="{max(ys) - min(ys) + 1}"')
    if polygon != rect(min(xs), min(ys), max(xs), max(ys)):
      separator = ',' if comma_points else ' '
      points = ' '.join(f'{x}{separator}{y}' for x, y in polygon)
      inner = f'<Shape><Polygon POINTS="{points}"/></Shape>' + inner
    content = '' if text is None or tag == 'TextLine' else f' CONTENT="{text}"'
    return f'<{tag} ID="{region_id}" {box}{content}>{inner}</{tag}>'

  def line(line_id, polygon, text, words) -> str:
    strings = '<SP/>'.join(
        region('String', wi, wp, wt, ''.join(region('Glyph', *glyph[:3], '') for glyph in glyphs))
        for wi, wp, wt, glyphs in words)
    return region('TextLine', line_id, polygon, text, strings)

  return (f'<?xml version="1.0" encoding="UTF-8"?>\n<alto xmlns="{namespace}"><Description>'
          f'<MeasurementUnit>{unit}</MeasurementUnit><sourceImageInformation>'
          f'<fileName>p1.png</fileName>{document}</sourceImageInformation></Description>'
          f'<Layout><Page ID="page1" WIDTH="{PAGE_SIZE[0]}" HEIGHT="{PAGE_SIZE[1]}" '
          'PHYSICAL_IMG_NR="1"><PrintSpace><TextBlock ID="b1">'
          f"{''.join(line(*spec) for spec in lines)}</TextBlock></PrintSpace></Page></Layout>"
          '</alto>')


def make_folder(folder: str, xml: str, name: str = 'p1', **page) -> str:
  """Writes `name`.xml and the page image p1.png it names into `folder`."""
  os.makedirs(folder, exist_ok=True)
  draw_page(os.path.join(folder, 'p1.png'), **page)
  with open(os.path.join(folder, f'{name}.xml'), 'w', encoding='utf-8') as f:
    f.write(xml)
  return folder


MANUSCRIPT_ITEM = '<MetadataItem type="other" name="manuscript" value="BL Add. 12150"/>'


@pytest.fixture
def page_folder(tmp_path) -> str:
  return make_folder(str(tmp_path / 'Vat_syr_12'), page_xml(PAGE_2019, metadata=MANUSCRIPT_ITEM))


def ink_box(image: np.ndarray) -> tuple[int, int, int, int]:
  """(left, top, right, bottom) of the dark pixels, inclusive."""
  ys, xs = np.nonzero(image < (PAPER + INK) // 2)
  return xs.min(), ys.min(), xs.max(), ys.max()


def by_region(records) -> dict:
  return {record.metadata['region']: record for record in records}


def test_glyph_crops_come_back_where_they_were_drawn(page_folder):
  records = page_regions.read_regions('pagexml', page_folder, 'glyph', pad=PAD)
  assert [r.metadata['region'] for r in records] == ['g1', 'g2', 'g3', 'g4', 'g5']
  crops = by_region(records)
  assert crops['g1'].metadata == {'manuscript': 'BL Add. 12150', 'page': 'p1', 'region': 'g1',
                                  'x': 36, 'y': 46, 'w': 28, 'h': 48}
  assert crops['g1'].image.shape == (48, 28) and crops['g1'].image.dtype == np.uint8
  for region, record in crops.items():
    meta = record.metadata
    left, top, right, bottom = DRAWN[region]
    assert ink_box(record.image) == (left - meta['x'], top - meta['y'],
                                     right - meta['x'], bottom - meta['y']), region
  assert ink_box(crops['g1'].image) == (PAD, PAD, PAD + 19, PAD + 39)


def test_padding_is_clipped_at_the_page_edge(page_folder):
  edge = by_region(page_regions.read_regions('pagexml', page_folder, 'glyph', pad=PAD))['g5']
  assert {k: edge.metadata[k] for k in 'xywh'} == {'x': 0, 'y': 196, 'w': 14, 'h': 38}
  assert ink_box(edge.image) == (0, PAD, 9, PAD + 29)
  wide = by_region(page_regions.read_regions('pagexml', page_folder, 'glyph', pad=150))
  assert {k: wide['g4'].metadata[k] for k in 'xywh'} == {'x': 100, 'y': 0, 'w': 300, 'h': 220}
  assert {k: wide['g5'].metadata[k] for k in 'xywh'} == {'x': 0, 'y': 50, 'w': 160, 'h': 250}
  assert wide['g4'].image.shape == (220, 300) and wide['g5'].image.shape == (250, 160)


def test_pixels_outside_a_polygon_are_paper_colour(page_folder):
  beth = by_region(page_regions.read_regions('pagexml', page_folder, 'glyph', pad=PAD))['g2']
  x, y = beth.metadata['x'], beth.metadata['y']
  assert (x, y, beth.image.shape) == (86, 36, (89, 89))
  rows, columns = np.indices(beth.image.shape)
  outside = np.abs(columns + x - 130) + np.abs(rows + y - 80) > 41
  assert outside.sum() > 3000
  assert np.all(beth.image[outside] == PAPER)
  # The stray square inside the bounding box is gone; only beth's ellipse is left.
  assert ink_box(beth.image) == (BETH_INK[0] - x, BETH_INK[1] - y, BETH_INK[2] - x,
                                 BETH_INK[3] - y)


def test_labels_map_single_letters_and_keep_other_text(page_folder):
  labels = {level: [r.label for r in page_regions.read_regions('pagexml', page_folder, level)]
            for level in page_regions.LEVELS}
  assert labels == {'glyph': ['alaph', 'beth', None, 'q', 'taw'],
                    'word': ['\u0710\u0712', 'q', 'taw'],
                    'line': ['\u0710\u0712 q', 'taw']}


def test_page_2013_manuscript_from_user_attribute_or_folder(tmp_path):
  attribute = ('<UserDefined><UserAttribute name="manuscript" type="xsd:string" '
               'value="Sinai syr. 30"/></UserDefined>')
  named = make_folder(str(tmp_path / 'a'), page_xml(PAGE_2013, metadata=attribute))
  unnamed = make_folder(str(tmp_path / 'Mingana_syr_8'), page_xml(PAGE_2013))
  assert {r.metadata['manuscript'] for r in page_regions.read_regions('pagexml', named)} == {
      'Sinai syr. 30'}
  records = page_regions.read_regions('pagexml', unnamed)
  assert {r.metadata['manuscript'] for r in records} == {'Mingana_syr_8'}
  assert [r.label for r in records] == ['alaph', 'beth', None, 'q', 'taw']


@pytest.mark.parametrize('namespace, document, comma_points, manuscript', [
    (ALTO_V4, '<documentIdentifier>Sinai syr. 30</documentIdentifier>', True, 'Sinai syr. 30'),
    (ALTO_V2, '', False, 'BL_Add_14425'),
])
def test_alto_crops_match_page_xml(tmp_path, page_folder, namespace, document, comma_points,
                                   manuscript):
  folder = make_folder(str(tmp_path / 'BL_Add_14425'),
                       alto_xml(namespace, document=document, comma_points=comma_points))
  for level in page_regions.LEVELS:
    alto = page_regions.read_regions('alto', folder, level)
    page = page_regions.read_regions('pagexml', page_folder, level)
    assert [r.label for r in alto] == [r.label for r in page]
    for a, p in zip(alto, page):
      np.testing.assert_array_equal(a.image, p.image)
      assert a.metadata == {**p.metadata, 'manuscript': manuscript}


def test_alto_regions_without_id_are_numbered(tmp_path):
  xml = alto_xml(ALTO_V4).replace('<Glyph ID="', '<Glyph LANG="')
  folder = make_folder(str(tmp_path / 'ms'), xml)
  records = page_regions.read_regions('alto', folder)
  assert [r.metadata['region'] for r in records] == [f'Glyph{n}' for n in range(1, 6)]


def test_image_found_by_base_name_and_sixteen_bit_page(tmp_path, page_folder):
  folder = make_folder(str(tmp_path / 'scans'), page_xml(PAGE_2019, image='C:\\scans\\p1.png'),
                       sixteen_bit=True)
  scanned = page_regions.read_regions('pagexml', folder)
  for a, p in zip(scanned, page_regions.read_regions('pagexml', page_folder)):
    np.testing.assert_array_equal(a.image, p.image)


def test_transkribus_layout_finds_the_image_beside_the_page_folder(tmp_path, page_folder):
  export = tmp_path / 'export'
  make_folder(str(export), page_xml(PAGE_2019))
  os.makedirs(export / 'page')
  os.replace(export / 'p1.xml', export / 'page' / 'p1.xml')
  moved = page_regions.read_regions('pagexml', str(export / 'page'))
  for a, p in zip(moved, page_regions.read_regions('pagexml', page_folder)):
    np.testing.assert_array_equal(a.image, p.image)
  assert len(moved) == 5


def test_write_crops_writes_pngs_and_labels_csv(tmp_path, page_folder):
  make_folder(page_folder, page_xml(PAGE_2019, metadata=MANUSCRIPT_ITEM), name='p0')
  out = str(tmp_path / 'out' / 'crops')
  summary = page_regions.write_crops('pagexml', page_folder, out, level='glyph', pad=PAD)
  assert (summary.written, summary.skipped_without_text) == (8, 2)
  assert summary.label_counts == {'alaph': 2, 'beth': 2, 'q': 2, 'taw': 2}
  assert 'wrote 8 crops' in str(summary) and '2 regions without text' in str(summary)
  with open(os.path.join(out, 'labels.csv'), encoding='utf-8', newline='') as f:
    rows = list(csv.reader(f))
  assert rows[0] == ['image', 'label', 'manuscript', 'page', 'region', 'x', 'y', 'w', 'h']
  assert [row[0] for row in rows[1:]] == [
      f'{page}_{glyph}.png' for page in ('p0', 'p1') for glyph in ('g1', 'g2', 'g4', 'g5')]
  assert rows[1] == ['p0_g1.png', 'alaph', 'BL Add. 12150', 'p0', 'g1', '36', '46', '28', '48']
  assert rows[8] == ['p1_g5.png', 'taw', 'BL Add. 12150', 'p1', 'g5', '0', '196', '14', '38']
  assert sorted(os.listdir(out)) == sorted(['labels.csv', *(row[0] for row in rows[1:])])
  crops = by_region(page_regions.read_regions('pagexml', page_folder, pad=PAD)[5:])
  np.testing.assert_array_equal(np.asarray(Image.open(os.path.join(out, 'p1_g2.png'))),
                                crops['g2'].image)


def _replace(old: str, new: str):
  """A change to p2.xml's text; the file must contain `old`."""

  def change(folder: str) -> None:
    path = os.path.join(folder, 'p2.xml')
    with open(path, encoding='utf-8') as f:
      text = f.read()
    assert old in text
    with open(path, 'w', encoding='utf-8') as f:
      f.write(text.replace(old, new))

  return change


def _write_p2(xml: str):
  return lambda folder: make_folder(folder, xml, name='p2')


def _resize_image(folder: str) -> None:
  draw_page(os.path.join(folder, 'p1.png'), size=(300, 200))


def _remove_xml(folder: str) -> None:
  for name in os.listdir(folder):
    if name.endswith('.xml'):
      os.remove(os.path.join(folder, name))


# Each case spoils a folder whose p1.xml is good (so a writer that did not check every page
# before writing would already have written p1's crops) and names what the message must say.
BAD_INPUTS = {
    'malformed': (_replace('</Page>', '</Pag>'), 'pagexml', ['p2.xml', 'well-formed']),
    'unknown namespace': (_replace(PAGE_2019, 'http://example.org/page'), 'pagexml',
                          ['p2.xml', 'http://example.org/page', PAGE_2013, PAGE_2019]),
    'alto read as page': (_write_p2(alto_xml(ALTO_V4)), 'pagexml', ['p2.xml', ALTO_V4, 'alto']),
    'image missing': (_replace('imageFilename="p1.png"', 'imageFilename="scan.tif"'), 'pagexml',
                      ['p2.xml', 'scan.tif', 'not found']),
    'image of another size': (_resize_image, 'pagexml', ['p1.xml', '300x200', '400x300']),
    'polygon outside': (_replace('250,50 269,50', '250,50 469,50'), 'pagexml',
                        ['p2.xml', 'g4', '(469, 50)', '400x300']),
    'duplicate id': (_replace('id="g4"', 'id="g1"'), 'pagexml', ['p2.xml', 'g1', 'twice']),
    'no glyph': (_write_p2(page_xml(PAGE_2019, lines=without_glyphs(LINES))), 'pagexml',
                 ['p2.xml', 'Glyph']),
    'alto in mm10': (_write_p2(alto_xml(ALTO_V4, unit='mm10')), 'alto', ['p2.xml', 'mm10']),
    'no xml': (_remove_xml, 'pagexml', ['Vat_syr_12', '.xml']),
}


@pytest.mark.parametrize('case', list(BAD_INPUTS))
def test_bad_input_raises_data_error_and_writes_nothing(tmp_path, page_folder, case):
  spoil, source, words = BAD_INPUTS[case]
  if source == 'alto':
    make_folder(page_folder, alto_xml(ALTO_V4))
  else:
    make_folder(page_folder, page_xml(PAGE_2019), name='p2')
  spoil(page_folder)
  parent = tmp_path / 'out'
  parent.mkdir()
  with pytest.raises(DataError) as error:
    page_regions.write_crops(source, page_folder, str(parent / 'crops'))
  for word in words:
    assert word in str(error.value), (case, str(error.value))
  assert os.listdir(parent) == []


def test_existing_out_dir_is_refused_and_kept(tmp_path, page_folder):
  out = tmp_path / 'crops'
  out.mkdir()
  (out / 'mine.txt').write_text('keep')
  with pytest.raises(DataError, match='crops already exists'):
    page_regions.write_crops('pagexml', page_folder, str(out))
  assert sorted(os.listdir(tmp_path)) == ['Vat_syr_12', 'crops']
  assert os.listdir(out) == ['mine.txt'] and (out / 'mine.txt').read_text() == 'keep'
