"""Accuracy, per-class accuracy and the confusion matrix, with a JSON report and a PNG; and the
accuracy per value of metadata columns named in the evaluator's `by` setting (e.g. 'script':
Estrangela and Serto apart)."""

from __future__ import annotations

import numpy as np
from absl import logging
from PIL import Image, ImageDraw, ImageFont

from hwr_jax.data.vocabulary import Vocabulary
from hwr_jax.evaluation import evaluator


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_classes: int) -> np.ndarray:
  """(C, C) counts; row = true class, column = predicted class."""
  matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
  np.add.at(matrix, (labels, predictions), 1)
  return matrix


def classification_report(labels: np.ndarray, predictions: np.ndarray,
                          vocabulary: Vocabulary) -> dict:
  """Overall accuracy, and per class its count and accuracy (None for classes absent here)."""
  matrix = confusion_matrix(labels, predictions, len(vocabulary))
  counts = matrix.sum(axis=1)
  per_class = {
      name: {'count': int(count),
             'accuracy': float(matrix[i, i] / count) if count else None}
      for i, (name, count) in enumerate(zip(vocabulary.labels, counts))}
  return {'accuracy': float(np.trace(matrix) / max(counts.sum(), 1)),
          'count': int(counts.sum()),
          'per_class': per_class,
          'confusion': matrix.tolist()}


def accuracy_by(groups: np.ndarray, labels: np.ndarray, predictions: np.ndarray) -> dict:
  """{group: {'accuracy', 'count'}} for every value of a metadata column, sorted by name."""
  groups = np.asarray(groups).astype(str)
  return {str(group): {'accuracy': float(np.mean(predictions[groups == group] ==
                                                   labels[groups == group])),
                       'count': int(np.sum(groups == group))}
          for group in np.unique(groups)}


def format_groups(column: str, table: dict) -> str:
  return f'  by {column}: ' + ', '.join(f'{group} {row["accuracy"]:.4f} ({row["count"]})'
                                        for group, row in table.items())


def confusion_image(matrix: np.ndarray, vocabulary: Vocabulary, cell: int = 18) -> np.ndarray:
  """An RGB picture of the row-normalised confusion matrix: rows are true classes, columns
  predicted ones, class names on both axes; classes absent from the set are grey rows."""
  matrix = np.asarray(matrix, dtype=np.float64)
  counts = matrix.sum(axis=1)
  rates = matrix / np.maximum(counts[:, None], 1)
  names = [name[:10] for name in vocabulary.labels]
  font = ImageFont.load_default()
  margin = 8 + 7 * max(max(len(n) for n in names), 6)
  size = len(names) * cell
  canvas = Image.new('RGB', (margin + size + 4, margin + size + 4), 'white')
  draw = ImageDraw.Draw(canvas)
  draw.text((2, 2), 'rows: true', fill='black', font=font)
  draw.text((2, 14), 'cols: pred', fill='black', font=font)
  for i, row in enumerate(rates):
    for j, rate in enumerate(row):
      shade = int(255 * (1 - rate))
      colour = (200, 200, 200) if not counts[i] else (shade, shade, 255) if i == j else (
          255, shade, shade)
      x, y = margin + j * cell, margin + i * cell
      draw.rectangle([x, y, x + cell - 1, y + cell - 1], fill=colour, outline=(220, 220, 220))
  for i, name in enumerate(names):
    draw.text((2, margin + i * cell + 3), name, fill='black', font=font)
    label = Image.new('RGB', (margin - 4, cell), 'white')
    ImageDraw.Draw(label).text((2, 3), name, fill='black', font=font)
    canvas.paste(label.rotate(90, expand=True), (margin + i * cell, 2))
  return np.asarray(canvas)


def format_report(name: str, report: dict) -> str:
  """A short text block for the log: overall accuracy and the weakest classes."""
  lines = [f'{name}: accuracy {report["accuracy"]:.4f} on {report["count"]} images']
  scored = [(v['accuracy'], k) for k, v in report['per_class'].items() if v['accuracy'] is not None]
  worst = sorted(scored)[:5]
  if worst:
    lines.append('  weakest classes: ' + ', '.join(f'{k} {a:.3f}' for a, k in worst))
  return '\n'.join(lines)


class Evaluator(evaluator.Evaluator):
  """Accuracy, per-class accuracy and the confusion matrix of the task's 'logits'; with
  settings.by = 'column[,column]', the accuracy per value of each of those metadata columns
  the data set has (others are skipped: a user's folder may not record a script)."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    predictions = np.argmax(outputs['logits'], -1)
    report = classification_report(dataset.labels, predictions, self.data_info.vocabulary)
    scalars = {'accuracy': report['accuracy']}
    lines = [format_report(name, report)]
    for column in (c.strip() for c in self.settings.get('by', '').split(',') if c.strip()):
      if column not in dataset.metadata:
        continue
      table = accuracy_by(dataset.metadata[column], dataset.labels, predictions)
      report[f'by_{column}'] = table
      scalars.update({f'accuracy_{column}_{group.replace(" ", "_")}': row['accuracy']
                      for group, row in table.items()})
      lines.append(format_groups(column, table))
    logging.info('%s', '\n'.join(lines))
    result.add(name, scalars, report)
    picture = confusion_image(np.asarray(report['confusion']), self.data_info.vocabulary)
    result.add_image(f'{name}/confusion', picture, out_dir, f'confusion_{name}.png')
