"""What an evaluation returns: scalars per data set, pictures, and a report for the workdir."""

from __future__ import annotations

import dataclasses
import os
from typing import Any, Optional

import numpy as np

from hwr_jax.io_utils import write_json, write_png

REPORT_FILE = 'report.json'


@dataclasses.dataclass
class EvalResult:
  """scalars: per data set name, its scalar metrics; images: TensorBoard tag -> uint8 image;
  report: the JSON-serialisable details written to the workdir."""

  scalars: dict[str, dict[str, float]]
  images: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
  report: dict[str, Any] = dataclasses.field(default_factory=dict)

  def add(self, name: str, scalars: dict[str, float], report: dict[str, Any]) -> None:
    """Adds an evaluator's figures and report details for data set `name` to what earlier
    evaluators gave it."""
    self.scalars.setdefault(name, {}).update(scalars)
    self.report.setdefault(name, {}).update(report)

  def add_image(self, tag: str, image: np.ndarray, out_dir: Optional[str],
                filename: str) -> None:
    """Keeps a picture for TensorBoard, and writes it to out_dir/filename when out_dir is set."""
    self.images[tag] = image
    if out_dir:
      write_png(os.path.join(out_dir, filename), image)

  def write_report(self, out_dir: Optional[str]) -> None:
    if out_dir:
      write_json(os.path.join(out_dir, REPORT_FILE), self.report)
