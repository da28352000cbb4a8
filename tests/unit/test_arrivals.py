import numpy as np
import pytest

from sim.model.arrivals import hourly_rates, thinned_arrivals
from sim.inputs.calendar import hour_of_week
from sim.inputs.config import ArrivalProfile


def _profile(**kw):
    base = dict(mean_per_day=240.0, growth=1.0, hour_of_day=[1.0] * 24, day_of_week=[1.0] * 7)
    base.update(kw)
    return ArrivalProfile.model_validate(base)


def test_hourly_rates_mean_and_shape():
    hours = [0.0] * 12 + [2.0] * 12
    # day levels 1,1,1,1,1,0.5,0.5 sum to 6: rescaled to mean 1 they are 7/6 and 7/12
    rates = hourly_rates(_profile(hour_of_day=hours, day_of_week=[1, 1, 1, 1, 1, 0.5, 0.5], growth=1.5))
    assert rates.shape == (168,)
    # the week holds 7 x 240 x 1.5 = 2520 arrivals whatever the shape
    assert rates.sum() == pytest.approx(2520.0)
    # Monday: 360 x 7/6 = 420, spread over the second half of the day only
    assert rates[:24].sum() == pytest.approx(420.0)
    assert rates[:12].sum() == 0.0
    assert rates[12:24] == pytest.approx([35.0] * 12)
    assert rates[5 * 24 : 6 * 24].sum() == pytest.approx(210.0)  # Saturday: 360 x 7/12


def test_day_levels_are_rescaled_to_mean_one():
    """A profile averaging 1.9 over the week still gives mean_per_day a day."""
    rates = hourly_rates(_profile(day_of_week=[1.9] * 7))
    assert rates.sum() / 7 == pytest.approx(240.0)
    assert rates == pytest.approx([10.0] * 168)


def test_weekday_only_demand_is_a_mean_over_seven_days():
    """No weekend demand: 45 a day over the week is 63 on each weekday (45 x 7 / 5)."""
    rates = hourly_rates(_profile(mean_per_day=45.0, day_of_week=[1, 1, 1, 1, 1, 0, 0]))
    per_day = rates.reshape(7, 24).sum(axis=1)
    assert per_day == pytest.approx([63.0] * 5 + [0.0, 0.0])
    assert per_day.mean() == pytest.approx(45.0)


def test_hour_of_week_is_rescaled_to_mean_one():
    week = [[0.0] * 24 for _ in range(7)]
    week[0][9] = 3.0  # Monday 09:00-10:00
    week[2][14] = 1.0  # Wednesday 14:00-15:00
    rates = hourly_rates(ArrivalProfile.model_validate(dict(mean_per_day=40.0, growth=1.0, hour_of_week=week)))
    assert rates.sum() == pytest.approx(280.0)  # 7 x 40
    assert rates[9] == pytest.approx(210.0)  # three quarters of the week's demand
    assert rates[2 * 24 + 14] == pytest.approx(70.0)


def test_all_zero_day_levels_mean_no_demand():
    """(Allowed only with mean_per_day 0: the config refuses an all-zero week with demand.)"""
    assert hourly_rates(_profile(mean_per_day=0.0, day_of_week=[0.0] * 7)).sum() == 0.0


def test_counts_per_hour_match_rates():
    rates = hourly_rates(_profile(hour_of_day=list(np.linspace(0.2, 1.8, 24))))
    rng = np.random.default_rng(1)
    times = thinned_arrivals(rates, 7 * 1440 * 20, 0, rng)
    counts = np.bincount(hour_of_week(times, 0), minlength=168) / 20.0
    expected = rates
    # Poisson: sd of a 20-week mean is sqrt(rate/20)
    z = (counts - expected) / np.sqrt(expected / 20.0)
    assert np.all(np.abs(z) < 4.5)
    assert abs(times.size / (7 * 20) - 240.0) < 3 * np.sqrt(240.0 / 140)


def test_rate_is_taken_at_candidate_time():
    """Hours with zero rate get no arrivals at all, even right after a busy hour.

    Thinning that used the rate at the previous arrival would let candidates
    spill into the empty hours that follow a busy one.
    """
    hours = [0.0] * 24
    hours[10] = 24.0  # all demand in 10:00-11:00
    rates = hourly_rates(_profile(hour_of_day=hours))
    times = thinned_arrivals(rates, 28 * 1440, 0, np.random.default_rng(5))
    minute_of_day = times % 1440
    assert times.size > 0
    assert np.all((minute_of_day >= 600) & (minute_of_day < 660))


def test_start_weekday_shifts_the_week():
    dow = [1, 1, 1, 1, 1, 1, 0]  # nobody on Sundays
    rates = hourly_rates(_profile(day_of_week=dow))
    times = thinned_arrivals(rates, 7 * 1440, 6, np.random.default_rng(2))  # day 0 is a Sunday
    assert np.all(times >= 1440)
    assert np.all(np.diff(times) > 0)


def test_zero_demand_gives_no_arrivals():
    rates = hourly_rates(_profile(mean_per_day=0.0))
    assert thinned_arrivals(rates, 1440, 0, np.random.default_rng(0)).size == 0
