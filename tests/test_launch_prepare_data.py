"""launch.prepare_data as a user runs it on what users bring: PAGE-XML and ALTO pages cut into
crops, a folder of crops of mixed sizes to npz, each with its preview, and bad pages that write
nothing."""

import csv
import os

import numpy as np
import pytest
from PIL import Image

from hwr_jax.data import images

PAPER, INK = 200, 30
# (region id, left, top, right, bottom, text), inclusive page pixels: a tall letter, a wide one
# and a region without text, which is not written.
GLYPHS = (('g1', 10, 10, 19, 49, '\u0710'), ('g2', 40, 20, 79, 29, '\u0712'),
          ('g3', 100, 10, 109, 19, None))
PAGE_WIDTH, PAGE_HEIGHT = 120, 60


def write_page(folder, image='p1.png', alto=False):
  """One page, dark ink on paper, with a filled box in every glyph region, and its XML."""
  os.makedirs(folder)
  page = Image.new('L', (PAGE_WIDTH, PAGE_HEIGHT), PAPER)
  for _, left, top, right, bottom, _ in GLYPHS:
    page.paste(INK, (left + 2, top + 2, right - 1, bottom - 1))
  page.save(os.path.join(folder, 'p1.png'))
  if alto:
    glyphs = ''.join(
        f'<Glyph ID="{i}" HPOS="{l}" VPOS="{t}" WIDTH="{r - l + 1}" HEIGHT="{b - t + 1}"'
        + ('' if text is None else f' CONTENT="{text}"') + '/>'
        for i, l, t, r, b, text in GLYPHS)
    xml = ('<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#"><Description>'
           f'<MeasurementUnit>pixel</MeasurementUnit><sourceImageInformation><fileName>{image}'
           '</fileName></sourceImageInformation></Description><Layout>'
           f'<Page ID="p" WIDTH="{PAGE_WIDTH}" HEIGHT="{PAGE_HEIGHT}"><PrintSpace><TextBlock '
           f'ID="b1"><TextLine ID="l1"><String ID="w1">{glyphs}</String></TextLine></TextBlock>'
           '</PrintSpace></Page></Layout></alto>')
  else:
    glyphs = ''.join(
        f'<Glyph id="{i}"><Coords points="{l},{t} {r},{t} {r},{b} {l},{b}"/>'
        + ('' if text is None else f'<TextEquiv><Unicode>{text}</Unicode></TextEquiv>')
        + '</Glyph>' for i, l, t, r, b, text in GLYPHS)
    xml = ('<PcGts xmlns="http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15">'
           f'<Page imageFilename="{image}" imageWidth="{PAGE_WIDTH}" '
           f'imageHeight="{PAGE_HEIGHT}"><TextRegion id="r1"><TextLine id="l1"><Word id="w1">'
           f'{glyphs}</Word></TextLine></TextRegion></Page></PcGts>')
  with open(os.path.join(folder, 'p1.xml'), 'w', encoding='utf-8') as f:
    f.write(xml)
  return str(folder)


def read_rows(path):
  with open(path, newline='', encoding='utf-8') as f:
    return list(csv.reader(f))


def grid_shape(count, side, columns=10, pad=2):
  """The size of generation.image_grid's picture of `count` images of side x side."""
  columns = min(columns, count)
  rows = -(-count // columns)
  return rows * (side + pad) + pad, columns * (side + pad) + pad


def test_pagexml_pages_become_a_labelled_folder_and_a_preview(tmp_path, launcher):
  pages = write_page(tmp_path / 'pages')
  out = tmp_path / 'crops'
  result = launcher('prepare_data', '--source=pagexml', f'--data={pages}', f'--out={out}',
                    '--pad=2', '--resize=pad', '--polarity=dark_ink')
  assert 'wrote 2 crops' in result.stdout and '1 regions without text skipped' in result.stdout
  rows = read_rows(out / 'labels.csv')
  assert rows[0] == ['image', 'label', 'manuscript', 'page', 'region', 'x', 'y', 'w', 'h']
  assert rows[1:] == [['p1_g1.png', 'alaph', 'pages', 'p1', 'g1', '8', '8', '14', '44'],
                      ['p1_g2.png', 'beth', 'pages', 'p1', 'g2', '38', '18', '44', '14']]
  # The preview lies beside the folder, not in it, where labels.csv would not list it.
  assert sorted(os.listdir(out)) == ['labels.csv', 'p1_g1.png', 'p1_g2.png']
  preview = np.asarray(Image.open(tmp_path / 'crops.preview.png'))
  assert preview.shape == grid_shape(2, 32)
  assert f'preview: {tmp_path / "crops.preview.png"}' in result.stdout
  # Each tile is the crop as a run with data.resize=pad, data.polarity=dark_ink reads it: the
  # tall 44x14 crop becomes 32x10 between margins of its inverted paper, 255 - PAPER.
  for column, name in enumerate(['p1_g1.png', 'p1_g2.png']):
    crop = np.asarray(Image.open(out / name))
    left = 2 + column * 34
    np.testing.assert_array_equal(
        preview[2:34, left:left + 32],
        images.prepare_gray(crop, size=(32, 32), resize='pad', polarity='dark_ink'))
  assert np.all(preview[2:34, 2:13] == 255 - PAPER) and np.all(preview[2:34, 23:34] == 255 - PAPER)
  assert sorted(os.listdir(tmp_path)) == ['crops', 'crops.preview.png', 'pages']


def test_alto_pages_become_the_same_labelled_folder(tmp_path, launcher):
  pages = write_page(tmp_path / 'pages', alto=True)
  out = tmp_path / 'crops'
  launcher('prepare_data', '--source=alto', f'--data={pages}', f'--out={out}', '--level=glyph')
  assert [row[:2] for row in read_rows(out / 'labels.csv')[1:]] == [['p1_g1.png', 'alaph'],
                                                                   ['p1_g2.png', 'beth']]
  assert (tmp_path / 'crops.preview.png').is_file()


def test_a_folder_of_mixed_sizes_to_npz_is_previewed_beside_it(tmp_path, launcher):
  folder = tmp_path / 'letters'
  folder.mkdir()
  for name, size in (('tall.png', (40, 10)), ('wide.png', (10, 40))):
    image = np.full(size, PAPER, np.uint8)
    image[2:-2, 2:-2] = INK
    Image.fromarray(image).save(folder / name)
  (folder / 'labels.csv').write_text('image,label\ntall.png,alaph\nwide.png,beth\n')
  npz = tmp_path / 'letters.npz'
  result = launcher('prepare_data', '--source=folder', f'--data={folder}', '--image_size=16',
                    '--resize=pad', '--format=npz', f'--out={npz}')
  assert '2 images of 16x16' in result.stdout
  preview = np.asarray(Image.open(tmp_path / 'letters.preview.png'))
  assert preview.shape == grid_shape(2, 16)
  # The tiles are the exported images: ink bright, the tall letter padded, not stretched.
  exported = np.load(npz)['images']
  np.testing.assert_array_equal(preview[2:18, 2:18], exported[0])
  np.testing.assert_array_equal(preview[2:18, 20:36], exported[1])
  tall = np.asarray(Image.open(folder / 'tall.png'))
  np.testing.assert_array_equal(exported[0], images.prepare_gray(tall, size=(16, 16),
                                                                 resize='pad'))
  assert np.all(exported[0][:, :6] == 255 - PAPER)


def break_xml(old, new):
  def apply(folder):
    path = os.path.join(folder, 'p1.xml')
    with open(path, encoding='utf-8') as f:
      text = f.read()
    assert old in text
    with open(path, 'w', encoding='utf-8') as f:
      f.write(text.replace(old, new))
  return apply


def resize_page(folder):
  Image.new('L', (PAGE_WIDTH + 1, PAGE_HEIGHT), PAPER).save(os.path.join(folder, 'p1.png'))


# Each bad page, and the words its one error line must hold beside the file's name.
BAD_PAGES = {
    'missing image': (break_xml('imageFilename="p1.png"', 'imageFilename="missing_scan.png"'),
                      'missing_scan.png'),
    'malformed XML': (break_xml('</Page>', '</Pag>'), 'p1.xml'),
    'image of another size': (resize_page, f'{PAGE_WIDTH + 1}x{PAGE_HEIGHT}'),
    'polygon outside the page': (break_xml('40,20 79,20', '40,20 979,20'), 'g2'),
    'unknown namespace': (break_xml('2019-07-15', '2099-07-15'), '2099-07-15'),
    'no glyph region': (break_xml('Glyph', 'Graph'), 'Glyph'),
}


@pytest.mark.parametrize('case', sorted(BAD_PAGES))
def test_a_bad_page_is_named_and_nothing_is_written(tmp_path, launcher, case):
  pages = write_page(tmp_path / 'pages')
  spoil, needle = BAD_PAGES[case]
  spoil(pages)
  out = tmp_path / 'crops'
  result = launcher('prepare_data', '--source=pagexml', f'--data={pages}', f'--out={out}',
                    check=False)
  assert result.returncode == 2, result.stderr[-3000:]
  errors = [line for line in result.stderr.splitlines() if line.startswith('error:')]
  assert len(errors) == 1 and 'p1.xml' in errors[0] and needle in errors[0], errors
  assert sorted(os.listdir(tmp_path)) == ['pages']
