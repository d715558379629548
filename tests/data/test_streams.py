"""Data sets read a chunk at a time: what predict reads from folders, arrays and pages."""

import csv
import logging
import os

import numpy as np
import pytest
from PIL import Image

from hwr_jax.data import streams
from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.labels_file import UNKNOWN_LABEL
from hwr_jax.data.page_regions import PAGE_NAMESPACES
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.errors import DataError

OPTIONS = {'size': (8, 8), 'binarize_threshold': None, 'resize': 'stretch', 'polarity': 'auto'}


def write_images(folder, names, value=0):
  os.makedirs(folder, exist_ok=True)
  for i, name in enumerate(names):
    os.makedirs(os.path.dirname(os.path.join(folder, name)), exist_ok=True)
    image = np.full((12, 12), 220, np.uint8)
    image[2:4 + i, 3] = value
    Image.fromarray(image).save(os.path.join(folder, name))


def test_an_unlabelled_folder_is_every_image_in_name_order_in_chunks(tmp_path):
  write_images(tmp_path, ['b.png', 'a.png', 'c.png', 'sub/d.png'])
  stream = streams.folder_stream(str(tmp_path), OPTIONS)
  assert stream.names.tolist() == ['a.png', 'b.png', 'c.png'] and stream.true_labels is None
  chunks = list(stream.chunks(2))
  assert [start for start, _ in chunks] == [0, 2]
  assert [images.shape for _, images in chunks] == [(2, 8, 8), (1, 8, 8)]
  assert streams.folder_stream(str(tmp_path), OPTIONS, recursive=True).names.tolist()[-1] == \
      'sub/d.png'


def test_a_folder_without_images_says_so(tmp_path):
  write_images(tmp_path / 'sub', ['a.png'])
  with pytest.raises(DataError, match='no image files.*--recursive'):
    streams.folder_stream(str(tmp_path), OPTIONS)


def test_a_labelled_folder_follows_its_labels_file_and_reports_unlisted_images(tmp_path,
                                                                               caplog):
  write_images(tmp_path, ['a.png', 'b.png', 'extra.png'])
  with open(tmp_path / 'labels.csv', 'w', newline='') as f:
    csv.writer(f).writerows([['image', 'label', 'manuscript'], ['b.png', 'beth', 'm1'],
                             ['a.png', 'alaph', 'm2']])
  with caplog.at_level(logging.WARNING):
    stream = streams.folder_stream(str(tmp_path), OPTIONS)
  assert stream.names.tolist() == ['b.png', 'a.png']
  assert stream.true_labels.tolist() == ['beth', 'alaph']
  assert stream.metadata['manuscript'].tolist() == ['m1', 'm2']
  assert 'extra.png' in caplog.text


def test_arrays_stored_without_labels_have_no_true_labels():
  images = np.zeros((3, 4, 4), np.uint8)
  unlabelled = LetterDataset(images, np.zeros(3, np.int32), Vocabulary((UNKNOWN_LABEL,)),
                             np.array(['0', '1', '2']), {})
  assert streams.from_dataset(unlabelled).true_labels is None
  labelled = LetterDataset(images, np.array([1, 0, 1], np.int32), Vocabulary(('a', 'b')),
                           np.array(['0', '1', '2']), {})
  assert streams.from_dataset(labelled).true_labels.tolist() == ['b', 'a', 'b']


def test_page_folders_are_found_beside_or_under_page_and_other_xml_is_ignored(tmp_path):
  write_images(tmp_path / 'images', ['a.png'])
  (tmp_path / 'images' / 'notes.xml').write_text('<notes/>')
  assert streams.page_folder(str(tmp_path / 'images')) is None
  export = tmp_path / 'export'
  os.makedirs(export / 'page')
  (export / 'page' / 'p1.xml').write_text(f'<PcGts xmlns="{PAGE_NAMESPACES[1]}"/>')
  assert streams.page_folder(str(export)) == ('pagexml', str(export / 'page'))
