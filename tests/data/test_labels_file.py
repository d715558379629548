"""Tests for hwr_jax.data.labels_file: both formats, and an error naming file and line."""

import math

import numpy as np
import pytest

from hwr_jax.data import labels_file
from hwr_jax.errors import DataError


def test_csv_with_metadata_and_extra_columns(tmp_path, write_text):
  path = write_text(str(tmp_path / 'labels.csv'),
                    'image,label,manuscript,date,split,scribe\n'
                    'a.png,alaph,BL Add 12150,411,train,Jacob\n'
                    '\n'
                    '"b, copy.png", beth ,Vat. syr. 12,,test,\n')
  table = labels_file.read_labels_file(path)
  assert table.columns == ('manuscript', 'date', 'split', 'scribe')
  assert [(r.line, r.image, r.label) for r in table.rows] == [
      (2, 'a.png', 'alaph'), (4, 'b, copy.png', 'beth')]
  assert table.rows[0].metadata == {'manuscript': 'BL Add 12150', 'date': '411', 'split': 'train',
                                    'scribe': 'Jacob'}
  metadata = labels_file.metadata_arrays(table.columns, table.rows)
  assert metadata['date'].dtype == np.float32
  assert metadata['date'][0] == 411 and math.isnan(metadata['date'][1])
  assert metadata['scribe'].tolist() == ['Jacob', '']


def test_csv_header_is_case_insensitive_with_bom_and_crlf(tmp_path):
  path = tmp_path / 'labels.csv'
  path.write_bytes('\ufeffImage , LABEL,Date\r\nx.png,ܐ,1200\r\n'.encode('utf-8'))
  table = labels_file.read_labels_file(str(path))
  assert table.columns == ('date',)
  assert table.rows[0].label == 'ܐ'


@pytest.mark.parametrize('delimiter', ['\t', ';'])
def test_spreadsheet_delimiters(tmp_path, write_text, delimiter):
  path = write_text(str(tmp_path / 'labels.csv'),
                    f'image{delimiter}label\na.png{delimiter}alaph\n')
  assert labels_file.read_labels_file(path).rows[0].label == 'alaph'


def test_text_format(tmp_path, write_text):
  path = write_text(str(tmp_path / 'labels.txt'), 'img_001 alaph\n\n  img_002\tbeth  \n')
  table = labels_file.read_labels_file(path)
  assert table.columns == ()
  assert [(r.line, r.image, r.label) for r in table.rows] == [
      (1, 'img_001', 'alaph'), (3, 'img_002', 'beth')]


def test_format_follows_content_when_extension_disagrees(tmp_path, write_text):
  csv_in_txt = write_text(str(tmp_path / 'labels.txt'), 'image,label\na.png,alaph\n')
  assert labels_file.read_labels_file(csv_in_txt).rows[0].label == 'alaph'
  text_in_other = write_text(str(tmp_path / 'labels.lst'), 'a alaph\n')
  assert labels_file.read_labels_file(text_in_other).rows[0].image == 'a'


def test_labels_are_nfc_normalised(tmp_path, write_text):
  path = write_text(str(tmp_path / 'labels.txt'), 'a e\u0301\nb \u00e9\n')
  assert {row.label for row in labels_file.read_labels_file(path).rows} == {'\u00e9'}


def test_subfolder_names_are_normalised(tmp_path, write_text):
  path = write_text(str(tmp_path / 'labels.csv'), 'image,label\nsub\\./x.png,a\n')
  assert labels_file.read_labels_file(path).rows[0].key == 'sub/x.png'


@pytest.mark.parametrize('text, message', [
    ('image,letter\na.png,alaph\n', r"labels.csv line 1: missing column 'label'"),
    ('picture,label\na.png,alaph\n', r"labels.csv line 1: missing column 'image'"),
    ('image,label\na.png,alaph\nb.png,beth,extra\n', r'labels.csv line 3: 3 fields'),
    ('image,label\na.png,alaph\nb.png\n', r'labels.csv line 3: 1 fields'),
    ('image,label\na.png,alaph\nb.png,  \n', r"labels.csv line 3: empty label for image 'b.png'"),
    ('image,label,date\na.png,alaph,1100\nb.png,beth,c. 1200\n',
     r"labels.csv line 3: date 'c. 1200' is not a number"),
    ('image,label,date\na.png,alaph,inf\n', r"labels.csv line 2: date 'inf' is not a number"),
    ('image,label\na.png,alaph\nb.png,beth\na.png,gamal\n',
     r"'a.png' is listed twice, on line 2 and line 4"),
    ('image,label\na.png,alaph\n./a.png,gamal\n', r'listed twice, on line 2 and line 3'),
    ('image,label,label\na.png,alaph,beth\n', r"line 1: column 'label' appears twice"),
    ('image,label,\na.png,alaph,x\n', r'line 1: column 3 of the header has no name'),
    ('image,label\na.png,"alaph\n', r'labels.csv line \d+: malformed CSV'),
    ('', r'labels.csv: empty labels file'),
    ('image,label\n\n', r'labels.csv: the labels file has no rows'),
])
def test_csv_errors_name_file_and_line(tmp_path, write_text, text, message):
  path = write_text(str(tmp_path / 'labels.csv'), text)
  with pytest.raises(DataError, match=message):
    labels_file.read_labels_file(path)


@pytest.mark.parametrize('text, message', [
    ('a alaph\nb\n', r"labels.txt line 2: empty label for image 'b'"),
    ('a alaph\nb beth gamal\n', r'labels.txt line 2: 3 fields, expected 2'),
    ('a alaph\nb beth\na gamal\n', r"'a' is listed twice, on line 1 and line 3"),
    ('', r'labels.txt: the labels file has no rows'),
])
def test_text_errors_name_file_and_line(tmp_path, write_text, text, message):
  path = write_text(str(tmp_path / 'labels.txt'), text)
  with pytest.raises(DataError, match=message):
    labels_file.read_labels_file(path)


@pytest.mark.parametrize('name', ['../../etc/passwd', '/etc/passwd', 'sub/../../x.png', '..',
                                  '..\\..\\etc\\passwd', 'C:\\Windows\\x.png', '.'])
@pytest.mark.parametrize('suffix', ['csv', 'txt'])
def test_names_outside_the_folder_are_refused(tmp_path, write_text, name, suffix):
  if suffix == 'csv':
    text = f'image,label\nok.png,alaph\n"{name}",beth\n'
  else:
    text = f'ok alaph\n\n{name} beth\n'
  path = write_text(str(tmp_path / f'labels.{suffix}'), text)
  with pytest.raises(DataError,
                     match=rf'labels.{suffix} line 3: image name .*(absolute|outside|itself)'):
    labels_file.read_labels_file(path)


def test_non_utf8_names_the_line(tmp_path):
  path = tmp_path / 'labels.csv'
  path.write_bytes(b'image,label\na.png,alaph\nb.png,\xe9\xff\n')
  with pytest.raises(DataError, match=r'labels.csv line 3: not valid UTF-8 \(byte 0xe9\)'):
    labels_file.read_labels_file(str(path))


def test_missing_and_special_files(tmp_path):
  with pytest.raises(DataError, match='nothing.csv: not found'):
    labels_file.read_labels_file(str(tmp_path / 'nothing.csv'))
  with pytest.raises(DataError, match='not a regular file'):
    labels_file.read_labels_file(str(tmp_path))
  # A device would never end; it is refused without reading.
  with pytest.raises(DataError, match='/dev/zero: not a regular file'):
    labels_file.read_labels_file('/dev/zero')
