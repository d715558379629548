"""When periodic work is due, and the chronometer's speed and time left, on a clock we drive."""

import pytest

from hwr_jax.training import progress


def due_steps(every, total_steps):
  return [step for step in range(1, total_steps + 1)
          if progress.is_due(step, every, total_steps)]


def test_work_is_due_every_n_steps_and_once_at_the_last():
  # Step 1 is not due of itself: the loop logs and saves from step `every` on.
  assert due_steps(5, 20) == [5, 10, 15, 20]
  assert due_steps(5, 22) == [5, 10, 15, 20, 22]
  assert due_steps(1, 3) == [1, 2, 3]


@pytest.mark.parametrize('every', [0, 50])
def test_work_that_is_off_or_rarer_than_the_run_is_due_only_at_the_last_step(every):
  assert due_steps(every, 20) == [20]


@pytest.mark.parametrize('seconds,text', [(0, '0s'), (5.4, '5s'), (59.6, '1m00s'),
                                          (65, '1m05s'), (3600, '1h00m'), (3725, '1h02m'),
                                          (90061, '25h01m')])
def test_durations_read_in_the_largest_two_units(seconds, text):
  assert progress.format_duration(seconds) == text


@pytest.mark.parametrize('rate,text', [(0.2526, '0.25'), (9.994, '9.99'), (10.4, '10'),
                                       (1139.5, '1140')])
def test_slow_rates_keep_two_decimals(rate, text):
  assert progress.format_rate(rate) == text


@pytest.mark.parametrize('seconds,text', [(4.0, '4.000 s'), (0.1, '0.100 s'),
                                          (0.0995, '99.50 ms'), (0.000424, '0.42 ms')])
def test_short_intervals_read_in_milliseconds(seconds, text):
  assert progress.format_interval(seconds) == text


class Clock:
  """A perf_counter that reads what the test sets."""

  def __init__(self, now):
    self.now = now

  def __call__(self):
    return self.now


@pytest.fixture
def clock(monkeypatch):
  fake = Clock(100.0)
  monkeypatch.setattr(progress.time, 'perf_counter', fake)
  return fake


def test_compile_time_is_the_first_step_and_the_rate_leaves_it_out(clock):
  chrono = progress.Chronometer(first_step=0, total_steps=101, batch_size=16)
  clock.now = 112.0
  chrono.step_done(1)
  assert chrono.compile_seconds == 12.0
  assert chrono.steps_per_second(1) == 0.0
  clock.now = 115.0
  chrono.step_done(2)  # later steps do not move the start of the timing
  assert chrono.compile_seconds == 12.0
  clock.now = 117.0
  assert chrono.steps_per_second(11) == pytest.approx(2.0)  # 10 steps in 5 s
  assert chrono.elapsed() == pytest.approx(17.0)


def test_progress_line_gives_speed_images_and_time_left(clock):
  chrono = progress.Chronometer(first_step=0, total_steps=101, batch_size=16)
  assert chrono.progress_line(0, {'loss': 0.5}) == 'step 0/101  loss 0.5'
  clock.now = 112.0
  chrono.step_done(1)
  assert 'ETA' not in chrono.progress_line(1, {})
  clock.now = 117.0
  assert chrono.progress_line(11, {'loss': 0.123456, 'accuracy': 0.75}) == (
      'step 11/101  loss 0.1235  accuracy 0.75  2.00 steps/s (32 img/s)  ETA 45s')


def test_a_resumed_run_times_from_where_it_resumed(clock):
  chrono = progress.Chronometer(first_step=500, total_steps=1000, batch_size=8)
  clock.now = 103.0
  chrono.step_done(501)
  clock.now = 203.0
  assert chrono.steps_per_second(701) == pytest.approx(2.0)
  assert chrono.progress_line(701, {}).endswith('2.00 steps/s (16 img/s)  ETA 2m30s')
