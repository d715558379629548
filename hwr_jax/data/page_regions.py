"""Letter crops cut out of transcribed pages: PAGE-XML and ALTO, the layouts HTR tools export.

Transkribus, eScriptorium, Kraken and OCR-D export a page as an XML file beside its image, with
a polygon and a transcription for every line, word and (when segmented that finely) glyph.
Cutting each polygon out of its page turns such an export into the image folder with
labels.csv that the folder loader reads (`write_crops`), or into crops in memory for predict
(`iter_regions`). Crops are gray and keep the page's polarity (dark ink on paper);
the image loaders make ink bright, as for every user image.

Coordinates are page pixels, inclusive: a polygon whose points span x = 10..29 covers 20
columns. ALTO rectangles (HPOS, VPOS, WIDTH, HEIGHT) are read the same way, so a rectangle and
the polygon of its corners give the same crop. Every page of a folder is checked (XML, image,
sizes, polygons) before the first crop is cut, so a bad page fails at once and writes nothing.
"""

from __future__ import annotations

import collections
import csv
import dataclasses
import math
import os
import xml.etree.ElementTree as ET
from typing import Iterable, Iterator, NamedTuple, Optional

import numpy as np
from PIL import Image, ImageDraw

from hwr_jax.data.synthetic.letters import LETTERS
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.io_utils import atomic_directory, write_png

SOURCES = ('pagexml', 'alto')
LEVELS = ('glyph', 'word', 'line')
PAGE_NAMESPACES = (
    'http://schema.primaresearch.org/PAGE/gts/pagecontent/2013-07-15',
    'http://schema.primaresearch.org/PAGE/gts/pagecontent/2019-07-15',
)
ALTO_NAMESPACES = (
    'http://www.loc.gov/standards/alto/ns-v2#',
    'http://www.loc.gov/standards/alto/ns-v3#',
    'http://www.loc.gov/standards/alto/ns-v4#',
)
CSV_COLUMNS = ('image', 'label', 'manuscript', 'page', 'region', 'x', 'y', 'w', 'h')

_NAMESPACES = {'pagexml': PAGE_NAMESPACES, 'alto': ALTO_NAMESPACES}
_ELEMENTS = {
    'pagexml': {'glyph': 'Glyph', 'word': 'Word', 'line': 'TextLine'},
    'alto': {'glyph': 'Glyph', 'word': 'String', 'line': 'TextLine'},
}
_LETTER_NAMES = {chr(letter.code_point): letter.name for letter in LETTERS}
_SIXTEEN_BIT_MODES = ('I;16', 'I;16B', 'I;16L', 'I;16N')

Point = tuple[int, int]
# What a format's reader finds in a file: image name, page size if given, manuscript if named,
# and the regions of the requested element.
_Content = tuple[Optional[str], Optional[tuple[int, int]], Optional[str], list['Region']]


@dataclasses.dataclass(frozen=True)
class Region:
  """One region of a page: its id, its polygon in page pixels and its text (None if none)."""

  id: str
  polygon: tuple[Point, ...]
  text: Optional[str]


@dataclasses.dataclass(frozen=True)
class PageLayout:
  """What one XML file says about its page, checked against the page image."""

  xml_path: str
  image_path: str
  width: int
  height: int
  manuscript: str
  page: str
  regions: tuple[Region, ...]


class RegionCrop(NamedTuple):
  """One region cut out of its page.

  image:    (h, w) uint8 gray, pixels outside the polygon set to the page's paper colour.
  label:    the project's letter name for a single Syriac letter, else the text as written;
            None for a region without text.
  metadata: manuscript, page, region (id), and x, y, w, h: the crop box in page pixels.
  """

  image: np.ndarray
  label: Optional[str]
  metadata: dict


@dataclasses.dataclass(frozen=True)
class CropSummary:
  """What `write_crops` wrote: crops per label, and the regions skipped for having no text."""

  out_dir: str
  written: int
  skipped_without_text: int
  label_counts: dict[str, int]

  def __str__(self) -> str:
    labels = ', '.join(f'{label} {count}' for label, count in self.label_counts.items())
    return (f'wrote {self.written} crops to {self.out_dir} ({self.skipped_without_text} regions '
            f'without text skipped); per label: {labels}')


def label_for(text: Optional[str]) -> Optional[str]:
  """A single Syriac letter becomes its project name (U+0710 -> 'alaph'); other text stays."""
  return None if text is None else _LETTER_NAMES.get(text, text)


def read_layout(source: str, xml_path: str, level: str) -> PageLayout:
  """Reads one PAGE-XML or ALTO file and checks it against its page image.

  Raises DataError naming the file (and the region) for malformed XML, a root namespace not of
  `source`, a missing page image or one of another size than the XML says, a polygon outside
  the page, duplicate region ids, or no region of `level`.
  """
  _check_choices(source, level)
  root = _parse(xml_path)
  namespace = _namespace(root, source, xml_path)
  reader = _read_page_xml if source == 'pagexml' else _read_alto
  image_name, declared_size, manuscript, regions = reader(
      root, {'x': namespace}, xml_path, _ELEMENTS[source][level])
  image_path = _find_image(xml_path, image_name)
  width, height = _image_size(image_path, xml_path)
  if declared_size is not None and declared_size != (width, height):
    raise DataError(
        f'{xml_path}: page image {image_path} is {width}x{height} pixels but the XML says '
        f'{declared_size[0]}x{declared_size[1]}')
  if not regions:
    raise DataError(f'{xml_path} has no {_ELEMENTS[source][level]} region (level {level!r})')
  _check_regions(regions, width, height, xml_path)
  folder = os.path.basename(os.path.dirname(os.path.abspath(xml_path)))
  return PageLayout(
      xml_path=xml_path, image_path=image_path, width=width, height=height,
      manuscript=manuscript or folder, page=os.path.splitext(os.path.basename(xml_path))[0],
      regions=tuple(regions))


def read_layouts(source: str, data_dir: str, level: str) -> list[PageLayout]:
  """Reads every *.xml file directly in `data_dir`, in name order."""
  _check_choices(source, level)
  return [read_layout(source, path, level) for path in _xml_files(data_dir)]


def cut_regions(layout: PageLayout, pad: int) -> Iterator[RegionCrop]:
  """Cuts each region of a page: its polygon's box grown by `pad` (clipped to the page)."""
  page = _load_gray(layout.image_path, layout.xml_path)
  # Real pages are parchment or paper of some tone, never white: filling with white would frame
  # every crop with a bright border the page never had, and a model would learn the border.
  # Ink covers far less than half of a page, so its median pixel is paper.
  paper = np.uint8(np.median(page))
  for region in layout.regions:
    x, y, w, h = _crop_box(region.polygon, pad, layout.width, layout.height)
    metadata = {'manuscript': layout.manuscript, 'page': layout.page, 'region': region.id,
                'x': x, 'y': y, 'w': w, 'h': h}
    yield RegionCrop(_cut(page, region.polygon, (x, y, w, h), paper), label_for(region.text),
                     metadata)


def iter_regions(source: str, data_dir: str, level: str = 'glyph',
                 pad: int = 4) -> Iterator[RegionCrop]:
  """Crops of every region of `level` in a folder of pages, page by page in document order.

  Every page is checked before this returns; the pages' pixels are then read one at a time.
  """
  if pad < 0:
    raise ConfigError(f'pad must be at least 0, got {pad}')
  layouts = read_layouts(source, data_dir, level)
  return (crop for layout in layouts for crop in cut_regions(layout, pad))


def read_regions(source: str, data_dir: str, level: str = 'glyph',
                 pad: int = 4) -> list[RegionCrop]:
  """All crops of a folder of pages in memory, regions without text included (label None)."""
  return list(iter_regions(source, data_dir, level, pad))


def write_crops(source: str, data_dir: str, out_dir: str, level: str = 'glyph',
                pad: int = 4) -> CropSummary:
  """Writes the crops of every region with text as PNGs and labels.csv in a new `out_dir`.

  Files are named `<page>_<region id>.png`; labels.csv has the columns of CSV_COLUMNS, rows in
  page then document order. The folder appears complete or not at all.
  """
  crops = iter_regions(source, data_dir, level, pad)
  label_counts = collections.Counter()
  skipped = 0
  with atomic_directory(out_dir) as partial:
    with open(os.path.join(partial, 'labels.csv'), 'w', newline='', encoding='utf-8') as f:
      writer = csv.writer(f)
      writer.writerow(CSV_COLUMNS)
      for crop, file_name in _named(crops):
        if crop.label is None:
          skipped += 1
          continue
        write_png(os.path.join(partial, file_name), crop.image)
        writer.writerow([file_name, crop.label, *(crop.metadata[c] for c in CSV_COLUMNS[2:])])
        label_counts[crop.label] += 1
    if not label_counts:
      raise DataError(f'no {level} region in {data_dir} has text; there is nothing to label')
  return CropSummary(out_dir, sum(label_counts.values()), skipped,
                     dict(sorted(label_counts.items())))


def crop_file_name(crop: RegionCrop) -> str:
  """'<page>_<region id>.png', with characters a file name should not hold made '_'."""
  stem = f"{crop.metadata['page']}_{crop.metadata['region']}"
  return ''.join(c if c.isalnum() or c in '-_.' else '_' for c in stem) + '.png'


def _named(crops: Iterable[RegionCrop]) -> Iterator[tuple[RegionCrop, str]]:
  """Pairs each crop with its file name, refusing two crops that would share one."""
  seen = set()
  for crop in crops:
    file_name = crop_file_name(crop)
    if file_name in seen:
      raise DataError(f"page {crop.metadata['page']}, region {crop.metadata['region']}: "
                      f'file name {file_name} is already taken by another region')
    seen.add(file_name)
    yield crop, file_name


def _check_choices(source: str, level: str) -> None:
  if source not in SOURCES:
    raise ConfigError(f'source must be one of {", ".join(SOURCES)}, got {source!r}')
  if level not in LEVELS:
    raise ConfigError(f'level must be one of {", ".join(LEVELS)}, got {level!r}')


def _xml_files(data_dir: str) -> list[str]:
  if not os.path.isdir(data_dir):
    raise DataError(f'{data_dir} is not a folder')
  paths = [os.path.join(data_dir, name) for name in sorted(os.listdir(data_dir))
           if name.lower().endswith('.xml')]
  paths = [path for path in paths if os.path.isfile(path)]
  if not paths:
    raise DataError(f'{data_dir} has no .xml file')
  return paths


def _parse(xml_path: str) -> ET.Element:
  try:
    return ET.parse(xml_path).getroot()
  except ET.ParseError as e:
    raise DataError(f'{xml_path} is not well-formed XML: {e}') from e
  except OSError as e:
    raise DataError(f'cannot read {xml_path}: {e}') from e


def _namespace(root: ET.Element, source: str, xml_path: str) -> str:
  """The root element's namespace, which must be one of `source`'s versions."""
  namespace = root.tag[1:].partition('}')[0] if root.tag.startswith('{') else ''
  if namespace in _NAMESPACES[source]:
    return namespace
  other = [s for s in SOURCES if namespace in _NAMESPACES[s]]
  hint = f' (that is {other[0]}: read it with source {other[0]!r})' if other else ''
  raise DataError(f'{xml_path}: unknown root namespace {namespace!r} for {source}{hint}; '
                  f'known: {", ".join(_NAMESPACES[source])}')


def _read_page_xml(root: ET.Element, ns: dict, xml_path: str, element: str) -> _Content:
  """Image name, declared size, manuscript and regions of a PAGE-XML file."""
  page = _single(root, 'x:Page', ns, xml_path)
  declared_size = _declared_size(page, 'imageWidth', 'imageHeight', xml_path)
  manuscript = (_attribute(root, 'x:Metadata/x:MetadataItem[@name="manuscript"]', ns)
                or _attribute(root, 'x:Metadata/x:UserDefined/x:UserAttribute[@name="manuscript"]',
                              ns))
  regions = []
  for n, node in enumerate(page.iter(f"{{{ns['x']}}}{element}"), 1):
    region_id = node.get('id') or f'{element}{n}'
    coords = node.find('x:Coords', ns)
    if coords is None or not coords.get('points'):
      raise DataError(f'{xml_path}: {element} {region_id} has no Coords@points')
    polygon = _parse_points(coords.get('points'), xml_path, region_id)
    regions.append(Region(region_id, polygon, _page_text(node, ns)))
  return page.get('imageFilename'), declared_size, manuscript, regions


def _page_text(node: ET.Element, ns: dict) -> Optional[str]:
  """The region's own first TextEquiv (lowest @index when given), not its children's."""
  equivs = node.findall('x:TextEquiv', ns)
  if not equivs:
    return None
  first = min(equivs, key=_text_equiv_order)
  return _clean(first.findtext('x:Unicode', None, ns))


def _text_equiv_order(equiv: ET.Element) -> float:
  """Lower @index first; a TextEquiv without a usable index after every indexed one."""
  index = (equiv.get('index') or '').strip()
  return int(index) if index.lstrip('-').isdigit() else math.inf


def _read_alto(root: ET.Element, ns: dict, xml_path: str, element: str) -> _Content:
  """Image name, declared size, manuscript and regions of an ALTO file."""
  unit = (root.findtext('x:Description/x:MeasurementUnit', 'pixel', ns) or 'pixel').strip()
  if unit != 'pixel':
    raise DataError(f'{xml_path}: MeasurementUnit {unit!r} is not supported; only pixel '
                    '(export the ALTO with pixel coordinates)')
  image_info = 'x:Description/x:sourceImageInformation'
  page = _single(root, 'x:Layout/x:Page', ns, xml_path)
  declared_size = _declared_size(page, 'WIDTH', 'HEIGHT', xml_path)
  manuscript = _clean(root.findtext(f'{image_info}/x:documentIdentifier', None, ns))
  regions = []
  for n, node in enumerate(page.iter(f"{{{ns['x']}}}{element}"), 1):
    region_id = node.get('ID') or f'{element}{n}'
    polygon = node.find('x:Shape/x:Polygon', ns)
    if polygon is not None and polygon.get('POINTS'):
      points = _parse_points(polygon.get('POINTS'), xml_path, region_id)
    else:
      points = _rectangle(node, xml_path, region_id)
    regions.append(Region(region_id, points, _alto_text(node, ns)))
  image_name = _clean(root.findtext(f'{image_info}/x:fileName', None, ns))
  return image_name, declared_size, manuscript, regions


def _alto_text(node: ET.Element, ns: dict) -> Optional[str]:
  """CONTENT; a TextLine, which has none, reads as its Strings joined by spaces."""
  content = node.get('CONTENT')
  if content is None:
    content = ' '.join(string.get('CONTENT', '') for string in node.findall('x:String', ns))
  return _clean(content)


def _rectangle(node: ET.Element, xml_path: str, region_id: str) -> tuple[Point, ...]:
  """The corners of an ALTO box; WIDTH counts pixels, so the last column is HPOS + WIDTH - 1."""
  try:
    x, y, w, h = (float(node.get(key)) for key in ('HPOS', 'VPOS', 'WIDTH', 'HEIGHT'))
    left, top = round(x), round(y)
    right, bottom = max(left, round(x + w) - 1), max(top, round(y + h) - 1)
  except (TypeError, ValueError, OverflowError) as e:
    raise DataError(f'{xml_path}: region {region_id} has neither Shape/Polygon nor numeric '
                    'HPOS, VPOS, WIDTH and HEIGHT') from e
  return (left, top), (right, top), (right, bottom), (left, bottom)


def _parse_points(text: str, xml_path: str, region_id: str) -> tuple[Point, ...]:
  """Points written 'x,y x,y ...' (PAGE) or 'x y x y ...' (some ALTO), rounded to pixels."""
  try:
    values = [round(float(v)) for v in text.replace(',', ' ').split()]
  except (ValueError, OverflowError) as e:
    raise DataError(f'{xml_path}: region {region_id}: points {text!r} are not numbers') from e
  if len(values) % 2 or len(values) < 6:
    raise DataError(f'{xml_path}: region {region_id}: a polygon needs at least three x,y '
                    f'points, got {text!r}')
  return tuple(zip(values[0::2], values[1::2]))


def _single(root: ET.Element, path: str, ns: dict, xml_path: str) -> ET.Element:
  found = root.findall(path, ns)
  if len(found) != 1:
    raise DataError(f"{xml_path}: expected one {path.replace('x:', '')} element, "
                    f'found {len(found)}')
  return found[0]


def _attribute(root: ET.Element, path: str, ns: dict) -> Optional[str]:
  node = root.find(path, ns)
  return None if node is None else _clean(node.get('value') or node.text)


def _declared_size(page: ET.Element, width_key: str, height_key: str,
                   xml_path: str) -> Optional[tuple[int, int]]:
  """The page size the XML gives, or None when it gives none."""
  if page.get(width_key) is None or page.get(height_key) is None:
    return None
  try:
    return round(float(page.get(width_key))), round(float(page.get(height_key)))
  except (ValueError, OverflowError) as e:
    raise DataError(f'{xml_path}: page size {page.get(width_key)!r} x '
                    f'{page.get(height_key)!r} is not a number') from e


def _clean(text: Optional[str]) -> Optional[str]:
  text = (text or '').strip()
  return text or None


def _find_image(xml_path: str, image_name: Optional[str]) -> str:
  """The page image, relative to the XML's folder or its parent, or by its base name there.

  The base name catches exports that kept the absolute path of the machine that made them;
  the parent, Transkribus exports, which put the XML in a page/ folder beside the images.
  """
  if not image_name:
    raise DataError(f'{xml_path} names no page image')
  folder = os.path.dirname(xml_path)
  base_name = image_name.replace('\\', '/').rsplit('/', 1)[-1]
  candidates = list(dict.fromkeys(
      os.path.join(place, name) for place in (folder, os.path.dirname(folder))
      for name in (image_name, base_name)))
  for candidate in candidates:
    if os.path.isfile(candidate):
      return candidate
  raise DataError(f'{xml_path}: page image {image_name!r} not found '
                  f'(looked for {", ".join(candidates)})')


def _image_size(image_path: str, xml_path: str) -> tuple[int, int]:
  """(width, height) from the image header, without decoding the pixels."""
  try:
    with Image.open(image_path) as image:
      return image.size
  except (OSError, Image.DecompressionBombError) as e:
    raise DataError(f'{xml_path}: cannot read page image {image_path}: {e}') from e


def _load_gray(image_path: str, xml_path: str) -> np.ndarray:
  """The page as (H, W) uint8 gray; 16-bit scans are scaled, since Pillow would clip them."""
  try:
    with Image.open(image_path) as image:
      if image.mode in _SIXTEEN_BIT_MODES:
        return np.rint(np.asarray(image, dtype=np.float64) / 257.0).astype(np.uint8)
      return np.asarray(image.convert('L'))
  except (OSError, Image.DecompressionBombError) as e:
    raise DataError(f'{xml_path}: cannot read page image {image_path}: {e}') from e


def _check_regions(regions: list[Region], width: int, height: int, xml_path: str) -> None:
  """Every point inside the page, and every region id used once."""
  seen = set()
  for region in regions:
    if region.id in seen:
      raise DataError(f'{xml_path}: region id {region.id} is used twice')
    seen.add(region.id)
    for x, y in region.polygon:
      if not (0 <= x < width and 0 <= y < height):
        raise DataError(f'{xml_path}: region {region.id}: point ({x}, {y}) is outside the '
                        f'{width}x{height} page')


def _crop_box(polygon: tuple[Point, ...], pad: int, width: int,
              height: int) -> tuple[int, int, int, int]:
  """(x, y, w, h) of the polygon's bounding box grown by `pad`, clipped to the page."""
  xs, ys = zip(*polygon)
  left, top = max(min(xs) - pad, 0), max(min(ys) - pad, 0)
  right, bottom = min(max(xs) + 1 + pad, width), min(max(ys) + 1 + pad, height)
  return left, top, right - left, bottom - top


def _cut(page: np.ndarray, polygon: tuple[Point, ...], box: tuple[int, int, int, int],
         paper: np.uint8) -> np.ndarray:
  """The box cut from the page, with everything outside the polygon set to `paper`."""
  x, y, w, h = box
  mask = Image.new('1', (w, h), 0)
  ImageDraw.Draw(mask).polygon([(px - x, py - y) for px, py in polygon], fill=1, outline=1)
  crop = page[y:y + h, x:x + w].copy()
  crop[~np.asarray(mask, dtype=bool)] = paper
  return crop
