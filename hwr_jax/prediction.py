"""A trained run's answers for every image of a data set: one CSV row per image, in order.

The images are read, answered and written a chunk at a time, so memory is bounded by the
chunk, not the collection. What a row holds follows from what the task answers (see
Task.answers): the top-k letters and their softmax probabilities of a classifier, the label
an encoder reads (its codes go to an npz beside the CSV), the year of a dating model (and a
second CSV with each manuscript's median year); denoisers and autoencoders write images
into a folder instead, and binarisers (an unconditional denoiser, a thresholding baseline)
write the binarisation of each image of a folder at its own size (predict_pages). Then the
true label where the data has one, then every metadata column. Numbers are written with fixed
digits, so the same command gives the same bytes.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import sys
import time
from typing import IO, Callable, Iterable, Iterator, Optional

import numpy as np

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.data.streams import ImageStream, WholeImages
from hwr_jax.errors import ConfigError, DataError
from hwr_jax.evaluation import dating
from hwr_jax.io_utils import atomic_directory, atomic_file, write_png
from hwr_jax.tasks.base import Task
from hwr_jax.training.progress import format_duration, format_rate
from hwr_jax.training.state import TrainState

PROBABILITY_DIGITS = 6
YEAR_DIGITS = 1


@dataclasses.dataclass
class PredictionSummary:
  """count: images answered; correct: how many the top-1 label matches where every image has a
  true label and the answers have a label (else None); files: what was written."""

  count: int
  correct: Optional[int]
  files: list[str]
  seconds: float

  @property
  def accuracy(self) -> Optional[float]:
    return None if self.correct is None else self.correct / self.count


class Progress:
  """One line on stderr, rewritten per chunk: images done, rate and time left."""

  def __init__(self, total: int, stream: IO = sys.stderr):
    self.total, self.stream = total, stream
    self.start = time.perf_counter()

  def update(self, done: int) -> None:
    elapsed = max(time.perf_counter() - self.start, 1e-9)
    rate = done / elapsed
    eta = (self.total - done) / rate if rate else 0.0
    self.stream.write(f'\rpredict: {done}/{self.total} images ({100 * done / self.total:.0f}%), '
                      f'{format_rate(rate)} img/s, ETA {format_duration(eta)}   ')
    if done == self.total:
      self.stream.write('\n')
    self.stream.flush()

  def seconds(self) -> float:
    return time.perf_counter() - self.start


def label_ids(task: Task, stream: ImageStream, start: int, stop: int) -> np.ndarray:
  """The model's ids of the true labels of rows start..stop, for answers that read them."""
  if stream.true_labels is None:
    raise DataError(f'a {task.config.task_name} model reads each letter\'s label, but this data '
                    'has none: give it a labels file')
  return task.data_info.vocabulary.encode(list(stream.true_labels[start:stop]),
                                          source='the data to predict')


def chunk_dataset(task: Task, stream: ImageStream, start: int, images: np.ndarray
                  ) -> LetterDataset:
  stop = start + len(images)
  if images.shape[1:] != tuple(task.data_info.image_shape):
    raise DataError(f'{stream.names[start]}: images are {images.shape[1:]}, the model was '
                    f'trained on {tuple(task.data_info.image_shape)} (set data.image_size when '
                    'training)')
  labels = (label_ids(task, stream, start, stop) if task.answers_need_labels
            else np.zeros(len(images), np.int32))
  return LetterDataset(images, labels, task.data_info.vocabulary, stream.names[start:stop], {})


def csv_header(answer_keys: set[str], top_k: int, stream: ImageStream) -> list[str]:
  header = ['image']
  if 'probabilities' in answer_keys:
    header += ['label', 'probability']
    for rank in range(2, top_k + 1):
      header += [f'label_{rank}', f'probability_{rank}']
  if 'predicted' in answer_keys:
    header.append('label')
  if 'year' in answer_keys:
    header.append('year')
  if stream.true_labels is not None:
    header.append('true_label')
  return header + list(stream.metadata)


def answer_rows(answers: dict[str, np.ndarray], labels: list[str], top_k: int) -> list[list]:
  """The answer cells of each row of a chunk, and its top-1 label first where there is one."""
  columns = []
  if 'probabilities' in answers:
    probabilities = answers['probabilities']
    # A stable sort keeps the lower class id first among equal probabilities.
    order = np.argsort(-probabilities, axis=-1, kind='stable')[:, :top_k]
    for rank in range(order.shape[1]):
      chosen = order[:, rank]
      columns.append([labels[i] for i in chosen])
      columns.append([f'{p:.{PROBABILITY_DIGITS}f}'
                      for p in probabilities[np.arange(len(chosen)), chosen]])
  if 'predicted' in answers:
    columns.append([labels[i] for i in answers['predicted']])
  if 'year' in answers:
    columns.append([f'{y:.{YEAR_DIGITS}f}' for y in answers['year']])
  return [list(row) for row in zip(*columns)]


def metadata_cell(value) -> str:
  """A metadata value as a labels file writes it: dates (float) without a needless '.0', and
  empty where unknown."""
  if isinstance(value, (float, np.floating)):
    return '' if np.isnan(value) else f'{value:g}'
  return str(value)


def check_top_k(top_k: int, num_classes: int) -> None:
  if not 1 <= top_k <= num_classes:
    raise ConfigError(f'--top_k={top_k}: must be between 1 and the model\'s {num_classes} '
                      'letters')


def manuscript_table(manuscripts: np.ndarray, years: np.ndarray, aggregate: str
                     ) -> list[list[str]]:
  """Per manuscript, in name order: its letters' years combined as the dating run scores
  them (dating.aggregate), their standard deviation and its letter count."""
  names, _, combined = dating.per_manuscript(manuscripts, years, years, aggregate)
  return [[name, f'{year:.{YEAR_DIGITS}f}',
           f'{np.std(years[manuscripts == name]):.{YEAR_DIGITS}f}',
           str(int(np.sum(manuscripts == name)))] for name, year in zip(names, combined)]


def companion_path(out: str, suffix: str) -> str:
  """`out` with its .csv extension replaced by `suffix` (predictions.csv -> predictions.z.npz)."""
  stem = out[:-len('.csv')] if out.lower().endswith('.csv') else out
  return stem + suffix


def predict_to_csv(task: Task, state: TrainState, stream: ImageStream, out: str, top_k: int,
                   chunk_size: int, progress: Progress) -> PredictionSummary:
  """Writes `out` (and the codes' npz or the manuscripts' CSV beside it), each atomically."""
  vocabulary = list(task.data_info.vocabulary.labels)
  check_top_k(top_k, len(vocabulary))
  codes, years, correct, files = [], [], 0, [out]
  with atomic_file(out) as f:
    writer = csv.writer(f, lineterminator='\n')
    header = None
    for start, images in stream.chunks(chunk_size):
      answers = task.answers(state, chunk_dataset(task, stream, start, images))
      if 'image' in answers:
        raise ConfigError(f'a {task.config.task_name} run answers with images: give --out a '
                          'folder, not a .csv file')
      if header is None:
        header = csv_header(set(answers), top_k, stream)
        writer.writerow(header)
      stop = start + len(images)
      rows = answer_rows(answers, vocabulary, top_k)
      truth = None if stream.true_labels is None else stream.true_labels[start:stop]
      for i, row in enumerate(rows):
        extra = [] if truth is None else [truth[i]]
        extra += [metadata_cell(stream.metadata[column][start + i])
                  for column in stream.metadata]
        writer.writerow([stream.names[start + i], *row, *extra])
        if truth is not None and row and row[0] == truth[i]:
          correct += 1
      codes.extend(answers.get('z', ()))
      years.extend(answers.get('year', ()))
      progress.update(stop)
  if codes:
    files.append(write_codes(companion_path(out, '.z.npz'), np.stack(codes), stream.names))
  if years and 'manuscript' in stream.metadata:
    files.append(write_manuscripts(companion_path(out, '.manuscripts.csv'),
                                   np.asarray(stream.metadata['manuscript'], dtype=str),
                                   np.asarray(years, np.float64),
                                   task.config.dating.aggregate))
  scored = stream.true_labels is not None and 'label' in header
  return PredictionSummary(len(stream), correct if scored else None, files, progress.seconds())


def write_codes(path: str, z: np.ndarray, names: np.ndarray) -> str:
  with atomic_file(path, 'wb') as f:
    np.savez(f, z=z.astype(np.float32), names=np.asarray(names, dtype=str))
  return path


def write_manuscripts(path: str, manuscripts: np.ndarray, years: np.ndarray,
                      aggregate: str) -> str:
  with atomic_file(path) as f:
    writer = csv.writer(f, lineterminator='\n')
    writer.writerow(['manuscript', f'{aggregate}_year', 'sd_years', 'letters'])
    writer.writerows(manuscript_table(manuscripts, years, aggregate))
  return path


def image_file_name(name: str) -> str:
  """The output file of input image `name`: the same relative path, as PNG."""
  stem, extension = os.path.splitext(name)
  return stem + '.png' if extension.lower() != '.png' else name


def predict_to_folder(task: Task, state: TrainState, stream: ImageStream, out: str,
                      chunk_size: int, progress: Progress) -> PredictionSummary:
  """Writes each answer image under the folder `out`, named as its input, in one step."""
  with atomic_directory(out) as partial:
    for start, images in stream.chunks(chunk_size):
      answers = task.answers(state, chunk_dataset(task, stream, start, images))
      if 'image' not in answers:
        raise ConfigError(f'a {task.config.task_name} run answers with labels, not images: '
                          'give --out a .csv file')
      for i, image in enumerate(answers['image']):
        path = os.path.join(partial, image_file_name(str(stream.names[start + i])))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_png(path, image)
      progress.update(start + len(images))
  return PredictionSummary(len(stream), None, [out], progress.seconds())


def predict_pages(binarise: Callable[[Iterable[np.ndarray]], Iterator[np.ndarray]],
                  images: WholeImages, out: str) -> PredictionSummary:
  """Writes the binarisation of every image, at its own size, under the folder `out`, named as
  its input (as PNG), in one step: ink black (0) on white (255), as binarisation tools write
  it and DIBCO's ground truth is drawn. `binarise` maps the images (ink bright), one by one in
  order, to their ink (bool): a denoiser's Task.binarise_pages, or a baseline."""
  if out.lower().endswith('.csv'):
    raise ConfigError('a binarisation is an image per input: give --out a folder, not a .csv '
                      'file')
  progress = Progress(len(images))
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  with atomic_directory(out) as partial:
    for i, ink in enumerate(binarise(images.images())):
      path = os.path.join(partial, image_file_name(str(images.names[i])))
      os.makedirs(os.path.dirname(path), exist_ok=True)
      write_png(path, np.where(ink, 0, 255).astype(np.uint8))
      progress.update(i + 1)
  return PredictionSummary(len(images), None, [out], progress.seconds())


def predict(task: Task, state: TrainState, stream: ImageStream, out: str, *, top_k: int = 1,
            chunk_size: int = 1024) -> PredictionSummary:
  """The answers of `task` at `state` for every image of `stream`, written to `out`: a CSV
  file for tasks that answer with labels, codes or years, a folder for those that answer
  with images."""
  if not len(stream):
    raise DataError('no images to predict')
  progress = Progress(len(stream))
  os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
  if out.lower().endswith('.csv'):
    return predict_to_csv(task, state, stream, out, top_k, chunk_size, progress)
  return predict_to_folder(task, state, stream, out, chunk_size, progress)
