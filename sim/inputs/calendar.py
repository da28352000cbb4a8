"""Simulation clock and calendar: minutes from the start of day 0, weeks of 7 x 24 hours, years of 365 days.

Day 0 is the weekday given by ``run.start_weekday`` (0 = Monday). Weekly
profiles and rotas are held as arrays of 168 values, Monday 00:00 first. Each
simulation day follows one weekday's pattern (its *day type*): its own weekday,
or, for an England and Wales bank holiday when a config asks for them, the
pattern of ``run.bank_holiday_as_weekday`` (Sunday unless configured).

Every calendar constant of the package lives here: minutes per hour and per
day, hours per week, days per week and per year.
"""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from pathlib import Path

import numpy as np

MIN_PER_HOUR = 60.0
MIN_PER_DAY = 1440.0
HOURS_PER_DAY = 24
DAYS_PER_WEEK = 7
HOURS_PER_WEEK = 168
DAYS_PER_YEAR = 365.0
"""Days in the year that annual figures describe (a year of 52 1/7 weeks)."""
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SUNDAY = 6

BANK_HOLIDAYS_FILE = Path(__file__).resolve().parents[2] / "configs" / "bank_holidays_england_wales.yaml"
"""England and Wales bank holiday dates, as published at gov.uk (data, not code)."""


def weekday_of_day(day: int | np.ndarray, start_weekday: int):
    """Weekday (0 = Monday) of simulation day ``day``."""
    return (day + start_weekday) % 7


def hour_of_week(t: float | np.ndarray, start_weekday: int):
    """Index 0..167 of the hour of the week that contains time ``t`` (minutes)."""
    hours = np.floor_divide(t, MIN_PER_HOUR).astype(np.int64) if isinstance(t, np.ndarray) else int(t // MIN_PER_HOUR)
    return (hours + 24 * start_weekday) % HOURS_PER_WEEK


def hour_of_pattern(t: float | np.ndarray, week):
    """Index 0..167 into a weekly profile for time ``t``, following each day's type.

    ``week`` is either the weekday of day 0 (every day follows its own weekday,
    as :func:`hour_of_week`) or an array of day types (see :func:`day_types`).
    """
    if isinstance(week, (int, np.integer)):
        return hour_of_week(t, int(week))
    last = len(week) - 1
    if isinstance(t, np.ndarray):
        hours = np.floor_divide(t, MIN_PER_HOUR).astype(np.int64)
        return week[np.minimum(hours // 24, last)] * 24 + hours % 24
    hours = int(t // MIN_PER_HOUR)
    return int(week[min(hours // 24, last)]) * 24 + hours % 24


def type_of_day(day: int | np.ndarray, week):
    """The weekday pattern simulation day ``day`` follows (``week`` as in :func:`hour_of_pattern`)."""
    if isinstance(week, (int, np.integer)):
        return weekday_of_day(day, int(week))
    return np.asarray(week)[day] if isinstance(day, np.ndarray) else int(week[day])


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


# ------------------------------------------------------------ bank holidays --
@lru_cache(maxsize=4)
def bank_holidays(path: Path = BANK_HOLIDAYS_FILE) -> tuple[tuple[int, ...], frozenset[_dt.date]]:
    """The years covered and the bank holiday dates of the data file."""
    from .yaml_reader import load_bounded

    data = load_bounded(Path(path).read_text(encoding="utf-8"))
    years = tuple(int(y) for y in data["years"])
    dates = frozenset(d if isinstance(d, _dt.date) else _dt.date.fromisoformat(str(d)) for d in data["dates"])
    return years, dates


def bank_holiday_days(start_date: _dt.date, days: int, path: Path = BANK_HOLIDAYS_FILE) -> list[int]:
    """Simulation days (0-based) of a run starting on ``start_date`` that are bank holidays.

    Raises ``ValueError`` (one line) if the run reaches a year the data file does not cover.
    """
    years, dates = bank_holidays(path)
    last = start_date + _dt.timedelta(days=days - 1)
    if start_date.year < min(years) or last.year > max(years):
        raise ValueError(
            f"bank holidays are known for {min(years)}-{max(years)} only "
            f"(a run of {days} days from {start_date} ends {last}); see {Path(path).name}"
        )
    return [d for d in range(days) if start_date + _dt.timedelta(days=d) in dates]


def day_types(days: int, start_weekday: int, holidays=(), holiday_as: int = SUNDAY) -> np.ndarray:
    """The weekday (0 = Monday) whose pattern each simulation day follows.

    A day follows its own weekday, except the days in ``holidays`` (bank holidays),
    which follow ``holiday_as``'s rota, diaries and demand (Sunday unless configured).
    """
    types = weekday_of_day(np.arange(days, dtype=np.int64), start_weekday)
    if len(holidays):
        types[np.asarray(holidays, dtype=np.int64)] = holiday_as
    return types


def year_shares(
    bank_holidays_on: bool = False, holiday_as: int = SUNDAY, path: Path = BANK_HOLIDAYS_FILE
) -> np.ndarray:
    """Share of a year's days that follow each weekday's pattern (7 values summing to 1).

    Without bank holidays each weekday is 1/7 of a year. With them, a bank holiday
    counts for ``holiday_as``, averaged over the whole years the data file covers
    (8 a year in England and Wales, 6 of them Mondays in most years).
    """
    if not bank_holidays_on:
        return np.full(7, 1.0 / 7)
    years, dates = bank_holidays(path)
    counts = np.zeros(7)
    for year in years:
        day = _dt.date(year, 1, 1)
        while day.year == year:
            counts[holiday_as if day in dates else day.weekday()] += 1
            day += _dt.timedelta(days=1)
    return counts / counts.sum()


def mean_day_weights(types: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Weight of each day of a window in the mean day of a year (the weights sum to 1).

    Each day type (the weekday a day follows) carries its share of a year, split
    equally among the window's days of that type; so a window that holds more
    Mondays than Sundays does not count Mondays more than a year does, and a
    33-day run and a 63-day run give the same annual figures but for noise. A
    type the window does not hold (a run shorter than a week) is taken as the
    average of those it holds: its share is spread over them.
    Annual figures are ``DAYS_PER_YEAR`` times the weighted mean day.
    """
    types = np.asarray(types, dtype=np.int64)
    counts = np.bincount(types, minlength=7).astype(float)
    present = counts > 0
    if not present.any():
        return np.zeros(0)
    per_type = np.zeros(7)
    per_type[present] = shares[present] / counts[present] / shares[present].sum()
    return per_type[types]
