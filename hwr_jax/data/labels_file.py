"""Labels files: which image shows which letter, plus per-image metadata.

Two formats exist in the wild:

* CSV with a header row: `image,label` and optionally `manuscript`, `date` (a year), `split`
  (train/test/val) and any other columns, which are kept as metadata strings. Comma, tab and
  semicolon delimiters are recognised from the header, since spreadsheet exports differ.
* The older text format from the original project: one `<image id> <letter>` pair per line,
  separated by whitespace, no header.

A file whose first line is a header naming `image` and `label` is CSV whatever its extension;
otherwise `.csv` means CSV and anything else the text format.

Labels files are often written by hand or by a spreadsheet, so every problem is reported with
the file and line number, and image names are checked here, before any file is opened, so that
a crafted name such as `../../etc/passwd` can never make a loader read outside its folder.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import os
import posixpath
import re
import unicodedata
from typing import Mapping, Optional, Sequence

import numpy as np

from hwr_jax.errors import DataError

IMAGE_COLUMN = 'image'
LABEL_COLUMN = 'label'
# Matched case-insensitively and stored lower case; other columns keep their spelling.
KNOWN_COLUMNS = (IMAGE_COLUMN, LABEL_COLUMN, 'manuscript', 'date', 'split')
DATE_COLUMN = 'date'

# The label given to images that come without one (paired folders, bare image arrays).
UNKNOWN_LABEL = '?'

_CSV_DELIMITERS = (',', '\t', ';')
_WINDOWS_DRIVE = re.compile(r'^[A-Za-z]:')


@dataclasses.dataclass(frozen=True)
class LabelRow:
  """One labelled image.

  line:     1-based line of the row in its file, for error messages.
  image:    the image name as written in the file (relative to the image folder).
  key:      `image` normalised: forward slashes, no `.` or redundant separators.
  label:    the letter name, stripped and in Unicode NFC form.
  metadata: the other columns' values (stripped strings; '' where a cell is empty).
  """

  line: int
  image: str
  key: str
  label: str
  metadata: Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class LabelsTable:
  """The rows of one labels file, in file order.

  columns: the metadata column names (everything but image and label), in file order.
  """

  path: str
  columns: tuple[str, ...]
  rows: tuple[LabelRow, ...]

  def where(self, row: LabelRow) -> str:
    """'<file> line <n>', the prefix of every message about `row`."""
    return f'{self.path} line {row.line}'


def normalize_image_name(name: str, where: str) -> str:
  """Checks an image name from a labels file and returns its normalised relative form.

  Backslashes count as separators because labels files are often written on Windows. The name
  is rejected if it is absolute or climbs out of the folder (`..`), checked lexically so that
  nothing outside the folder is ever touched; loaders still check symlinks when resolving.
  """
  if not name:
    raise DataError(f'{where}: empty image name')
  if '\x00' in name:
    raise DataError(f'{where}: image name {name!r} contains a NUL byte')
  slashed = name.replace('\\', '/')
  if slashed.startswith('/') or _WINDOWS_DRIVE.match(slashed) or os.path.isabs(name):
    raise DataError(f'{where}: image name {name!r} is an absolute path; names must be '
                    'relative to the image folder')
  key = posixpath.normpath(slashed)
  if key == '.':
    raise DataError(f'{where}: image name {name!r} names the folder itself, not an image file')
  if key == '..' or key.startswith('../'):
    raise DataError(f'{where}: image name {name!r} points outside the image folder')
  return key


def _parse_date(value: str, where: str) -> None:
  """Rejects a date that is not a finite number; an empty cell means unknown and is allowed."""
  if not value:
    return
  try:
    year = float(value)
  except ValueError:
    year = math.nan
  if not math.isfinite(year):
    raise DataError(f'{where}: date {value!r} is not a number (expected a year such as 1150)')


def _decode(data: bytes, path: str) -> str:
  try:
    # utf-8-sig drops the byte-order mark that spreadsheet programs put in front of CSV files.
    return data.decode('utf-8-sig')
  except UnicodeDecodeError as e:
    line = data.count(b'\n', 0, e.start) + 1
    raise DataError(f'{path} line {line}: not valid UTF-8 (byte 0x{data[e.start]:02x}); '
                    'save the labels file as UTF-8') from e


def _csv_header_delimiter(first_line: str) -> Optional[str]:
  """The delimiter that splits `first_line` into a header with image and label, if any."""
  for delimiter in _CSV_DELIMITERS:
    try:
      fields = next(csv.reader([first_line], delimiter=delimiter), [])
    except csv.Error:
      continue
    names = {field.strip().lower() for field in fields}
    if IMAGE_COLUMN in names and LABEL_COLUMN in names:
      return delimiter
  return None


def _append_unique(rows: list[LabelRow], seen: dict[str, int], row: LabelRow,
                   path: str) -> None:
  if row.key in seen:
    raise DataError(f'{path}: image {row.image!r} is listed twice, on line {seen[row.key]} and '
                    f'line {row.line}')
  seen[row.key] = row.line
  rows.append(row)


def _label(value: str) -> str:
  # Syriac letters typed in different editors may arrive composed or decomposed; NFC makes the
  # same letter one vocabulary entry.
  return unicodedata.normalize('NFC', value.strip())


def _read_csv(text: str, path: str, delimiter: str) -> LabelsTable:
  reader = csv.reader(io.StringIO(text, newline=''), delimiter=delimiter, strict=True)
  try:
    header = next(reader, None)
    while header is not None and not any(field.strip() for field in header):
      header = next(reader, None)
    if header is None:
      raise DataError(f'{path}: empty labels file (expected a header such as image,label)')
    header_line = reader.line_num
    columns = []
    for position, field in enumerate(header, start=1):
      name = field.strip()
      if name.lower() in KNOWN_COLUMNS:
        name = name.lower()
      if not name:
        raise DataError(f'{path} line {header_line}: column {position} of the header has no name')
      if name in columns:
        raise DataError(f'{path} line {header_line}: column {name!r} appears twice in the header')
      columns.append(name)
    for required in (IMAGE_COLUMN, LABEL_COLUMN):
      if required not in columns:
        raise DataError(f'{path} line {header_line}: missing column {required!r} '
                        f'(header has {columns})')
    metadata_columns = tuple(c for c in columns if c not in (IMAGE_COLUMN, LABEL_COLUMN))
    rows: list[LabelRow] = []
    seen: dict[str, int] = {}
    for fields in reader:
      line = reader.line_num
      where = f'{path} line {line}'
      if not any(field.strip() for field in fields):
        continue
      if len(fields) != len(columns):
        raise DataError(f'{where}: {len(fields)} fields, but the header has {len(columns)} '
                        f'columns {columns}')
      values = dict(zip(columns, (field.strip() for field in fields)))
      label = _label(values[LABEL_COLUMN])
      if not label:
        raise DataError(f'{where}: empty label for image {values[IMAGE_COLUMN]!r}')
      if DATE_COLUMN in values:
        _parse_date(values[DATE_COLUMN], where)
      image = values[IMAGE_COLUMN]
      row = LabelRow(line=line, image=image, key=normalize_image_name(image, where), label=label,
                     metadata={c: values[c] for c in metadata_columns})
      _append_unique(rows, seen, row, path)
  except csv.Error as e:
    raise DataError(f'{path} line {reader.line_num}: malformed CSV ({e})') from e
  return LabelsTable(path=path, columns=metadata_columns, rows=tuple(rows))


def _read_text(text: str, path: str) -> LabelsTable:
  rows: list[LabelRow] = []
  seen: dict[str, int] = {}
  # Split on '\n' only, as the UTF-8 error does, so line numbers agree with any editor's.
  for line, content in enumerate(text.split('\n'), start=1):
    fields = content.split()
    if not fields:
      continue
    where = f'{path} line {line}'
    if len(fields) == 1:
      raise DataError(f'{where}: empty label for image {fields[0]!r} '
                      '(expected "<image id> <letter>")')
    if len(fields) != 2:
      raise DataError(f'{where}: {len(fields)} fields, expected 2: "<image id> <letter>"')
    image, label = fields
    row = LabelRow(line=line, image=image, key=normalize_image_name(image, where),
                   label=_label(label), metadata={})
    _append_unique(rows, seen, row, path)
  return LabelsTable(path=path, columns=(), rows=tuple(rows))


def read_labels_file(path: str) -> LabelsTable:
  """Reads a CSV or whitespace-separated labels file (see the module docstring).

  Raises:
    DataError: naming the file and line for a missing file, non-UTF-8 bytes, malformed CSV, a
      missing image/label column, a wrong number of fields, an empty label, a date that is not
      a number, an absolute or escaping image name, an image listed twice (both lines), or a
      file without any rows.
  """
  if not os.path.isfile(path):
    what = 'not a regular file' if os.path.exists(path) else 'not found'
    raise DataError(f'labels file {path}: {what}')
  try:
    with open(path, 'rb') as f:
      data = f.read()
  except OSError as e:
    raise DataError(f'cannot read labels file {path}: {e}') from e
  text = _decode(data, path)
  first_line = next((line for line in text.split('\n') if line.strip()), '')
  delimiter = _csv_header_delimiter(first_line)
  if delimiter is None and os.path.splitext(path)[1].lower() == '.csv':
    delimiter = ','
  table = _read_csv(text, path, delimiter) if delimiter else _read_text(text, path)
  if not table.rows:
    raise DataError(f'{path}: the labels file has no rows')
  return table


def metadata_arrays(columns: Sequence[str],
                    rows: Sequence[Optional[LabelRow]]) -> dict[str, np.ndarray]:
  """Per-image metadata columns: 'date' as float32 years (NaN if unknown), the rest as str.

  A None in `rows` stands for an image without a labels row; it gets '' (NaN for the date).
  """
  arrays = {}
  for column in columns:
    values = [row.metadata[column] if row is not None else '' for row in rows]
    if column == DATE_COLUMN:
      arrays[column] = np.asarray([float(v) if v else math.nan for v in values],
                                  dtype=np.float32)
    else:
      arrays[column] = np.asarray(values, dtype=str)
  return arrays
