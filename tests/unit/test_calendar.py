"""The calendar, checked by hand: annual figures weight each weekday by its share of a year,
and England and Wales bank holidays follow Sunday's pattern when a config asks for them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.inputs.calendar import (
    DAYS_PER_YEAR,
    bank_holiday_days,
    day_types,
    mean_day_weights,
    year_shares,
)


def test_whole_weeks_weigh_every_day_alike():
    w = mean_day_weights(day_types(14, 0), year_shares())
    assert np.allclose(w, 1 / 14)


def test_a_run_of_eight_days_counts_its_two_mondays_as_one():
    """Days 0-7 from a Monday: two Mondays share a seventh of the year, every other day has one."""
    w = mean_day_weights(day_types(8, 0), year_shares())
    assert w[0] == w[7] == pytest.approx(1 / 14)
    assert np.allclose(w[1:7], 1 / 7)
    # a patient a day on Mondays and none on other days: 1/7 of a day on the mean day, 365/7 a year
    per_day = np.array([1, 0, 0, 0, 0, 0, 0, 1]) @ w
    assert per_day * DAYS_PER_YEAR == pytest.approx(365 / 7)
    # the plain mean over the 8 days would say 2/8 a day: 91.25 a year


def test_33_and_63_days_give_the_same_annual_figure():
    """A weekday-only activity (5 a weekday): 33 days from a Monday hold 5 Mondays-Fridays and
    4 weekends, 63 days hold 9 of each; the annual figure is 5 x 5/7 x 365 = 1303.57 for both."""
    for days in (33, 63):
        types = day_types(days, 0)
        counts = np.where(types < 5, 5.0, 0.0)
        annual = counts @ mean_day_weights(types, year_shares()) * DAYS_PER_YEAR
        assert annual == pytest.approx(5 * 5 / 7 * 365)
    # the plain mean would give 5 x 25/33 x 365 = 1382.6 for the 33 days: GBP-like figures 6% high


def test_a_run_shorter_than_a_week_takes_missing_days_as_the_average():
    w = mean_day_weights(day_types(3, 0), year_shares())
    assert np.allclose(w, 1 / 3)


def test_england_and_wales_bank_holidays_follow_sunday():
    # Easter 2025: Good Friday 18 April, Easter Monday 21 April; a run from Monday 14 April 2025
    days = bank_holiday_days(dt.date(2025, 4, 14), 14)
    assert days == [4, 7]
    types = day_types(14, 0, days)
    assert types[4] == 6 and types[7] == 6 and types[3] == 3 and types[8] == 1
    with pytest.raises(ValueError, match="known for 2023-2027"):
        bank_holiday_days(dt.date(2027, 12, 1), 60)


def test_year_shares_with_bank_holidays():
    """2023-2027: 41 bank holidays over 1826 days, 28 of them Mondays (Easter, May x2-3, August...)."""
    shares = year_shares(True)
    assert shares.sum() == pytest.approx(1.0)
    assert shares[6] > 1 / 7 > shares[0]
    assert shares[6] * 1826 == pytest.approx(261 + 41)  # 261 Sundays in 2023-2027, plus every bank holiday
