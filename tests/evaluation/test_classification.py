"""Classification metrics on hand-made predictions."""

import ml_collections
import numpy as np

from hwr_jax.data.dataset import DataInfo, LetterDataset
from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.evaluation.result import EvalResult
from hwr_jax.evaluation import classification

VOCAB = Vocabulary(('alaph', 'beth', 'gamal'))


def test_report_counts_by_hand():
  labels = np.array([0, 0, 0, 1, 1, 2])
  predictions = np.array([0, 0, 1, 1, 2, 2])
  report = classification.classification_report(labels, predictions, VOCAB)
  assert report['accuracy'] == 4 / 6
  assert report['per_class']['alaph'] == {'count': 3, 'accuracy': 2 / 3}
  assert report['per_class']['beth'] == {'count': 2, 'accuracy': 0.5}
  assert report['confusion'] == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_absent_class_has_no_accuracy():
  report = classification.classification_report(np.array([0, 1]), np.array([0, 1]), VOCAB)
  assert report['per_class']['gamal'] == {'count': 0, 'accuracy': None}
  assert report['accuracy'] == 1.0


CELL = 18


def cell_colour(image, row, column):
  """The colour at the centre of the matrix cell (true `row`, predicted `column`): the cells
  fill the picture's bottom right corner, CELL pixels each, inside a 4-pixel border."""
  top = image.shape[0] - 4 - len(VOCAB) * CELL
  left = image.shape[1] - 4 - len(VOCAB) * CELL
  return tuple(image[top + row * CELL + CELL // 2, left + column * CELL + CELL // 2])


def test_confusion_image_shades_each_cell_by_its_rate_in_the_true_class():
  # alaph: 3 right, 1 read as beth; beth: always right; gamal: absent from the set.
  matrix = np.array([[3, 1, 0], [0, 4, 0], [0, 0, 0]])
  image = classification.confusion_image(matrix, VOCAB, cell=CELL)
  assert image.dtype == np.uint8 and image.shape == (image.shape[1], image.shape[1], 3)
  assert cell_colour(image, 1, 1) == (0, 0, 255)  # all of beth right: full blue
  red, green, blue = cell_colour(image, 0, 0)  # 3/4 of alaph right: a darker blue
  assert blue == 255 and red == green and abs(red - 255 / 4) <= 1
  red, green, blue = cell_colour(image, 0, 1)  # 1/4 of alaph read as beth: a pale red
  assert red == 255 and green == blue and abs(green - 255 * 3 / 4) <= 1
  for row, column in [(0, 2), (1, 0), (1, 2)]:  # mistakes never made: white
    assert cell_colour(image, row, column) == (255, 255, 255)
  for column in range(3):  # a class absent from the set: grey, neither right nor wrong
    assert cell_colour(image, 2, column) == (200, 200, 200)


def test_evaluator_reports_accuracy_per_script_when_asked():
  vocabulary = Vocabulary(('a', 'b'))
  dataset = LetterDataset(
      images=np.zeros((5, 4, 4), np.uint8), labels=np.array([0, 1, 0, 1, 1], np.int32),
      vocabulary=vocabulary, names=np.array([f'{i}.png' for i in range(5)]),
      metadata={'script': np.array(['serto', 'serto', 'estrangela', 'estrangela', 'serto'])})
  logits = np.eye(2)[[0, 0, 0, 1, 1]]
  info = DataInfo(vocabulary, (4, 4), (2, 3))
  result = EvalResult({})
  settings = ml_collections.ConfigDict({'type': 'classification', 'by': 'script,scribe'})
  classification.Evaluator(None, info, settings)('test', dataset, {'logits': logits}, result,
                                                  None)
  assert result.scalars['test'] == {'accuracy': 0.8, 'accuracy_script_estrangela': 1.0,
                                    'accuracy_script_serto': 2 / 3}
  assert result.report['test']['by_script'] == {
      'estrangela': {'accuracy': 1.0, 'count': 2}, 'serto': {'accuracy': 2 / 3, 'count': 3}}
  plain = EvalResult({})
  classification.Evaluator(None, info, ml_collections.ConfigDict({'type': 'classification'}))(
      'test', dataset, {'logits': logits}, plain, None)
  assert plain.scalars['test'] == {'accuracy': 0.8}
