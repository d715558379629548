"""Scoring date predictions: per letter, per manuscript, and against the mean-date baseline.

A manuscript's date is one number, so its letters' predictions are combined into one (their
median or mean) before it is scored; the per-manuscript error is the one that says how well a
manuscript would be dated. Periods are fixed bins of `period_years` years counted from year 0
(with 50: 1100-1149, 1150-1199, ...); a prediction is right when it falls in the true period.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from absl import logging
from PIL import Image, ImageDraw, ImageFont

from hwr_jax.data.dataset import LetterDataset
from hwr_jax.errors import DataError
from hwr_jax.evaluation import evaluator

AGGREGATES = {'median': np.median, 'mean': np.mean}


# The hand parameters that drift with the date in hwr_jax/data/synthetic/hand.py.
DRIFTING = ('slant', 'pen_width', 'width')


def hand_fit_errors(hands: dict[str, dict], train: list[str], test: list[str]
                    ) -> tuple[float, float]:
  """(least-squares MAE, mean-predictor MAE) over the test manuscripts, in years: the date fitted
  on the training manuscripts' true drifting hand parameters, the limit a perfect reader of the
  synthetic hand could reach with a linear rule (scripts/dating_limit.py)."""

  def design(names):
    return np.array([[1.0] + [hands[n][key] for key in DRIFTING] for n in names])

  def dates(names):
    return np.array([hands[n]['date'] for n in names], np.float64)

  weights, *_ = np.linalg.lstsq(design(train), dates(train), rcond=None)
  fitted = float(np.mean(np.abs(design(test) @ weights - dates(test))))
  mean = float(np.mean(np.abs(dates(train).mean() - dates(test))))
  return fitted, mean


def period_of(years: np.ndarray, period_years: float) -> np.ndarray:
  """The index of the period each year falls in (floor(year / period_years))."""
  return np.floor(np.asarray(years, np.float64) / period_years).astype(np.int64)


def per_manuscript(manuscripts: np.ndarray, dates: np.ndarray, predicted: np.ndarray,
                   aggregate: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
  """(names, true dates, predicted dates), one per manuscript in sorted order; the prediction
  is the `aggregate` ('median' or 'mean') of its letters', its true date their median."""
  combine = AGGREGATES[aggregate]
  names, inverse = np.unique(np.asarray(manuscripts, dtype=str), return_inverse=True)
  true = np.array([np.median(dates[inverse == i]) for i in range(len(names))], np.float64)
  combined = np.array([combine(predicted[inverse == i]) for i in range(len(names))], np.float64)
  return names, true, combined


def scores(dates: np.ndarray, predicted: np.ndarray, period_years: float) -> dict:
  """Mean absolute error in years, share of predictions in the true period, and the count."""
  dates, predicted = np.asarray(dates, np.float64), np.asarray(predicted, np.float64)
  return {'mae': float(np.mean(np.abs(predicted - dates))) if len(dates) else float('nan'),
          'period_accuracy': float(np.mean(period_of(predicted, period_years) ==
                                           period_of(dates, period_years)))
                             if len(dates) else float('nan'),
          'count': int(len(dates))}


def dating_report(manuscripts: np.ndarray, dates: np.ndarray, predicted: np.ndarray, *,
                  baseline_date: float, period_years: float, aggregate: str) -> dict:
  """Scores of the letters' predictions and of their per-manuscript combination, beside those
  of the baseline that predicts `baseline_date` (the training mean) for everything, and each
  manuscript's true and predicted date."""
  names, true, combined = per_manuscript(manuscripts, dates, predicted, aggregate)
  constant = np.full(len(dates), baseline_date)
  return {
      'letter': scores(dates, predicted, period_years),
      'manuscript': scores(true, combined, period_years),
      'baseline': {'date': float(baseline_date),
                   'letter': scores(dates, constant, period_years),
                   'manuscript': scores(true, np.full(len(true), baseline_date), period_years)},
      'aggregate': aggregate,
      'period_years': period_years,
      'manuscripts': [{'manuscript': str(n), 'date': float(t), 'predicted': float(p)}
                      for n, t, p in zip(names, true, combined)],
  }


def summary_scalars(report: dict) -> dict[str, float]:
  """The figures logged and printed: errors and period accuracies, ours and the baseline's."""
  letter, manuscript, baseline = report['letter'], report['manuscript'], report['baseline']
  return {'mae_letter': letter['mae'], 'mae_manuscript': manuscript['mae'],
          'period_accuracy_letter': letter['period_accuracy'],
          'period_accuracy_manuscript': manuscript['period_accuracy'],
          'baseline_mae_letter': baseline['letter']['mae'],
          'baseline_mae_manuscript': baseline['manuscript']['mae'],
          'baseline_period_accuracy_manuscript': baseline['manuscript']['period_accuracy']}


def format_report(name: str, report: dict) -> str:
  letter, manuscript, baseline = report['letter'], report['manuscript'], report['baseline']
  return (f'{name}: {manuscript["count"]} manuscripts, {letter["count"]} letters; MAE per '
          f'letter {letter["mae"]:.1f} years, per manuscript ({report["aggregate"]}) '
          f'{manuscript["mae"]:.1f} (baseline {baseline["manuscript"]["mae"]:.1f}); period '
          f'accuracy per manuscript {manuscript["period_accuracy"]:.3f} '
          f'(baseline {baseline["manuscript"]["period_accuracy"]:.3f})')


def date_scatter(true: Sequence[float], predicted: Sequence[float], baseline_date: float,
                 size: int = 480) -> np.ndarray:
  """uint8 RGB picture: one dot per manuscript at (true date, predicted date), the diagonal of
  perfect dating, and the baseline's constant prediction as a horizontal line."""
  true, predicted = np.asarray(true, np.float64), np.asarray(predicted, np.float64)
  margin = 48
  picture = Image.new('RGB', (size + margin, size + margin), 'white')
  draw = ImageDraw.Draw(picture)
  values = np.concatenate([true, predicted, [baseline_date]])
  low, high = float(values.min()), float(values.max())
  span = high - low if high > low else 1.0
  low, high = low - 0.05 * span, high + 0.05 * span

  def place(year_x: float, year_y: float) -> tuple[float, float]:
    x = margin + (year_x - low) / (high - low) * (size - 8)
    y = size - (year_y - low) / (high - low) * (size - 8)
    return x, y

  draw.rectangle((margin, 0, size + margin - 1, size), outline='black')
  draw.line((*place(low, low), *place(high, high)), fill=(160, 160, 160))
  draw.line((*place(low, baseline_date), *place(high, baseline_date)), fill=(230, 150, 60))
  for x_year, y_year in zip(true, predicted):
    x, y = place(x_year, y_year)
    draw.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(30, 80, 200))
  font = ImageFont.load_default()
  for year in np.linspace(low, high, 5)[1:-1]:
    x, _ = place(year, low)
    _, y = place(low, year)
    draw.text((x - 12, size + 4), f'{year:.0f}', fill='black', font=font)
    draw.text((4, y - 6), f'{year:.0f}', fill='black', font=font)
  draw.text((margin + size // 2 - 30, size + 24), 'true date', fill='black', font=font)
  draw.text((margin + 6, 4), 'predicted date (grey: exact; orange: training mean)',
            fill='black', font=font)
  return np.asarray(picture)


def check_dated(dataset: LetterDataset, set_name: str) -> None:
  """Every image needs a date and a manuscript; the first one without is named."""
  for column in ('date', 'manuscript'):
    if column not in dataset.metadata:
      raise DataError(f'dating needs a {column!r} column, but the {set_name} set has '
                      f'{sorted(dataset.metadata) or "no metadata columns"}')
  dates = np.asarray(dataset.metadata['date'], np.float64)
  undated = np.flatnonzero(~np.isfinite(dates))
  if len(undated):
    raise DataError(f'{set_name} set: image {str(dataset.names[undated[0]])!r} has no date '
                    f'({len(undated)} image(s) have none); dating needs a year for every image')
  unassigned = np.flatnonzero(
      np.char.strip(np.asarray(dataset.metadata['manuscript'], dtype=str)) == '')
  if len(unassigned):
    raise DataError(f'{set_name} set: image {str(dataset.names[unassigned[0]])!r} has no '
                    f'manuscript ({len(unassigned)} image(s) have none)')


class Evaluator(evaluator.Evaluator):
  """Errors of the task's 'year' per letter and per manuscript, against the training mean;
  config.dating gives the period length and how a manuscript's letters are combined."""

  def __call__(self, name, dataset, outputs, result, out_dir):
    check_dated(dataset, name)
    baseline = self.data_info.dates.mean
    report = dating_report(
        dataset.metadata['manuscript'], np.asarray(dataset.metadata['date'], np.float64),
        outputs['year'], baseline_date=baseline,
        period_years=float(self.config.dating.period_years),
        aggregate=self.config.dating.aggregate)
    logging.info('%s', format_report(name, report))
    result.add(name, summary_scalars(report), report)
    manuscripts = report['manuscripts']
    picture = date_scatter([m['date'] for m in manuscripts],
                           [m['predicted'] for m in manuscripts], baseline)
    result.add_image(f'{name}/dates', picture, out_dir, f'dates_{name}.png')
