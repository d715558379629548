"""Where scalars and images go: TensorBoard event files and a JSON-lines file in the workdir.

TensorBoard files are written by tensorboardX, so `tensorboard --logdir` reads them without a
TensorFlow dependency in this project.
"""

from __future__ import annotations

import json
import os
from typing import Collection, Mapping, Optional

import numpy as np
import tensorboardX

from hwr_jax.io_utils import atomic_file, write_png

METRICS_FILE = 'metrics.jsonl'
TENSORBOARD_DIR = 'tensorboard'


class MetricWriter:
  """Writes scalars to both sinks and images to TensorBoard; an inactive writer (the processes
  other than 0 of a multi-process run) writes nothing."""

  def __init__(self, workdir: str, active: bool = True):
    self.workdir = workdir
    self.active = active
    self._summary = tensorboardX.SummaryWriter(
        os.path.join(workdir, TENSORBOARD_DIR)) if active else None
    self._jsonl_path = os.path.join(workdir, METRICS_FILE)

  def truncate_after(self, step: int, redo_splits: Collection[str] = ()):
    """Drops JSON lines logged after `step` (a resumed run logs those steps again), and a
    last line cut short by a killed process; also the records of redo_splits logged at `step`
    itself (a finished run started again evaluates its test sets again)."""
    if not self.active or not os.path.exists(self._jsonl_path):
      return
    kept = [json.dumps(record) + '\n' for record in _parse_lines(self._jsonl_path)
            if record['step'] < step
            or record['step'] == step and record['split'] not in redo_splits]
    with atomic_file(self._jsonl_path) as f:
      f.writelines(kept)

  def write_scalars(self, step: int, split: str, scalars: Mapping[str, float]):
    if not self.active:
      return
    values = {k: int(v) if isinstance(v, (int, np.integer)) else float(v)
              for k, v in scalars.items()}
    for name, value in values.items():
      self._summary.add_scalar(f'{split}/{name}', value, step)
    with open(self._jsonl_path, 'a', encoding='utf-8') as f:
      f.write(json.dumps({'step': int(step), 'split': split, **values}) + '\n')

  def write_image(self, step: int, tag: str, image: np.ndarray, png: Optional[str] = None):
    """image: (H, W) or (H, W, 3) uint8; also written as a PNG file when `png` gives its path
    relative to the workdir."""
    if not self.active:
      return
    self._summary.add_image(tag, image, step, dataformats='HW' if image.ndim == 2 else 'HWC')
    if png:
      path = os.path.join(self.workdir, png)
      os.makedirs(os.path.dirname(path), exist_ok=True)
      write_png(path, image)

  def flush(self):
    if self.active:
      self._summary.flush()

  def close(self):
    if self.active:
      self._summary.close()

  def __enter__(self) -> MetricWriter:
    return self

  def __exit__(self, *exc) -> None:
    self.close()


def _parse_lines(path: str) -> list[dict]:
  records = []
  with open(path, encoding='utf-8', errors='replace') as f:
    for line in f:
      try:
        records.append(json.loads(line))
      except json.JSONDecodeError:
        continue  # a line cut short when a run was killed mid-write
  return records


def read_metrics(workdir: str) -> list[dict]:
  """All complete JSON-lines records of a workdir, in order."""
  return _parse_lines(os.path.join(workdir, METRICS_FILE))
