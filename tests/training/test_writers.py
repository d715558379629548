"""Metric sinks: TensorBoard event files readable without TensorFlow, and the JSON lines."""

import glob
import struct

import numpy as np
from tensorboardX.proto import event_pb2

from hwr_jax.training.writers import MetricWriter, read_metrics


def read_events(logdir):
  """Every summary value in the TFRecord-framed event files of `logdir`: (tag, step, value)."""
  values = []
  for path in sorted(glob.glob(f'{logdir}/events.out.tfevents.*')):
    with open(path, 'rb') as f:
      data = f.read()
    offset = 0
    while offset < len(data):
      length, = struct.unpack('<Q', data[offset:offset + 8])
      event = event_pb2.Event.FromString(data[offset + 12:offset + 12 + length])
      offset += 12 + length + 4
      for value in event.summary.value:
        kind = 'image' if value.HasField('image') else value.simple_value
        values.append((value.tag, event.step, kind))
  return values


def test_scalars_and_images_reach_tensorboard_and_jsonl(tmp_path):
  writer = MetricWriter(str(tmp_path))
  writer.write_scalars(10, 'train', {'loss': 0.5})
  writer.write_image(10, 'test/confusion', np.zeros((4, 5, 3), np.uint8))
  writer.close()
  events = read_events(tmp_path / 'tensorboard')
  assert ('train/loss', 10, 0.5) in events
  assert ('test/confusion', 10, 'image') in events
  assert read_metrics(tmp_path) == [{'step': 10, 'split': 'train', 'loss': 0.5}]


def test_resume_drops_later_lines_and_a_line_cut_short(tmp_path):
  writer = MetricWriter(str(tmp_path))
  for step in (5, 10, 15):
    writer.write_scalars(step, 'train', {'loss': 1.0 / step})
  with open(tmp_path / 'metrics.jsonl', 'a') as f:
    f.write('{"step": 20, "spl')
  writer.truncate_after(10)
  writer.write_scalars(11, 'train', {'loss': 0.0})
  writer.close()
  assert [r['step'] for r in read_metrics(tmp_path)] == [5, 10, 11]


def test_a_finished_run_drops_only_the_evaluations_it_redoes(tmp_path):
  writer = MetricWriter(str(tmp_path))
  for split in ('train', 'val', 'test', 'context'):
    writer.write_scalars(10, split, {'accuracy': 0.5})
  writer.truncate_after(10, redo_splits={'test': None, 'context': None})
  writer.close()
  assert [r['split'] for r in read_metrics(tmp_path)] == ['train', 'val']
