"""Simulation clock conventions: minutes from the start of day 0, weeks of 7 x 24 hours.

Day 0 is the weekday given by ``run.start_weekday`` (0 = Monday). Weekly
profiles and rotas are held as arrays of 168 values, Monday 00:00 first.
"""

from __future__ import annotations

import numpy as np

MIN_PER_HOUR = 60.0
MIN_PER_DAY = 1440.0
HOURS_PER_WEEK = 168
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def weekday_of_day(day: int | np.ndarray, start_weekday: int):
    """Weekday (0 = Monday) of simulation day ``day``."""
    return (day + start_weekday) % 7


def hour_of_week(t: float | np.ndarray, start_weekday: int):
    """Index 0..167 of the hour of the week that contains time ``t`` (minutes)."""
    hours = np.floor_divide(t, MIN_PER_HOUR).astype(np.int64) if isinstance(t, np.ndarray) else int(t // MIN_PER_HOUR)
    return (hours + 24 * start_weekday) % HOURS_PER_WEEK


def expand_weekly(value) -> np.ndarray:
    """Expand a scalar, a 24-hour list or a 7 x 24 list into 168 hourly values.

    A scalar holds all week; a list of 24 repeats every day; a list of 7 lists of
    24 gives each weekday its own hours, Monday first.
    """
    if isinstance(value, (int, float)):
        return np.full(HOURS_PER_WEEK, float(value))
    if len(value) == 24 and all(isinstance(v, (int, float)) for v in value):
        return np.tile(np.asarray(value, dtype=float), 7)
    if len(value) == 7 and all(isinstance(v, list) and len(v) == 24 for v in value):
        return np.asarray(value, dtype=float).reshape(HOURS_PER_WEEK)
    raise ValueError("expected a number, a list of 24 hourly values, or 7 lists of 24")


def check_weekly(value):
    """Pydantic helper: validate a weekly profile and return it unchanged."""
    arr = expand_weekly(value)
    if np.any(arr < 0) or not np.all(np.isfinite(arr)):
        raise ValueError("values must be finite and >= 0")
    return value
