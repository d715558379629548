"""Classification metrics on hand-made predictions."""

import numpy as np

from hwr_jax.data.vocabulary import Vocabulary
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


def test_confusion_image_is_rgb_and_marks_the_diagonal():
  image = classification.confusion_image(np.eye(3, dtype=int) * 5, VOCAB)
  assert image.ndim == 3 and image.shape[2] == 3
  assert (image == [0, 0, 255]).all(axis=-1).sum() > 0
