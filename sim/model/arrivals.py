"""Non-stationary Poisson arrivals by thinning, with the rate taken at the candidate time.

Candidates are drawn from a homogeneous Poisson process at the peak rate and each
is kept with probability rate(candidate time) / peak rate (Lewis and Shedler
thinning). The hourly rate is piecewise constant over the week, so this is exact.
"""

from __future__ import annotations

import numpy as np

from ..inputs.calendar import HOURS_PER_WEEK, MIN_PER_HOUR, hour_of_pattern
from ..inputs.config import ArrivalProfile


def _mean_one(values) -> np.ndarray:
    """``values`` rescaled to mean 1 (left as they are if all zero: no demand)."""
    arr = np.asarray(values, dtype=float)
    total = arr.sum()
    return arr * (arr.size / total) if total > 0 else arr


def weekly_multipliers(profile: ArrivalProfile) -> np.ndarray:
    """The 168 hour-of-week multipliers of a profile, rescaled to mean 1 over the week.

    ``hour_of_day`` and ``day_of_week`` are each rescaled to mean 1 (over 24 hours
    and over all 7 days) and multiplied; ``hour_of_week`` is rescaled to mean 1
    over its 168 hours. Only the shape of a profile matters: ``mean_per_day`` is
    the mean over all 7 days of the week, whatever shape is given, so a channel
    with no weekend demand has ``mean_per_day * 7 / 5`` on each weekday.
    """
    if profile.hour_of_week is not None:
        return _mean_one(profile.hour_of_week).reshape(HOURS_PER_WEEK)
    return np.outer(_mean_one(profile.day_of_week), _mean_one(profile.hour_of_day)).reshape(HOURS_PER_WEEK)


def hourly_rates(profile: ArrivalProfile) -> np.ndarray:
    """Expected arrivals per hour for each of the 168 hours of the week (Monday 00:00 first).

    They sum to ``7 * mean_per_day * growth`` (unless the shape is all zero).
    """
    return profile.mean_per_day * profile.growth / 24.0 * weekly_multipliers(profile)


def thinned_arrivals(
    rates_per_hour: np.ndarray,
    horizon_min: float,
    start_weekday: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Arrival times (minutes, sorted) of a Poisson process with a weekly hourly rate.

    Parameters
    ----------
    rates_per_hour : ndarray of shape (168,)
        Expected arrivals in each hour of the week, Monday 00:00 first.
    horizon_min : float
        Arrivals are generated on ``[0, horizon_min)``.
    start_weekday : int or ndarray
        Weekday of time 0 (0 = Monday), or the weekday pattern each day follows
        (``RunConfig.day_types``: bank holidays as Sundays, say).
    rng : numpy Generator
        The channel's own arrival stream.
    """
    peak = float(np.max(rates_per_hour)) / MIN_PER_HOUR  # per minute
    if peak <= 0 or horizon_min <= 0:
        return np.empty(0)
    accepted = []
    t = 0.0
    block = max(1024, int(peak * horizon_min * 1.1))
    while t < horizon_min:
        candidates = t + np.cumsum(rng.exponential(1.0 / peak, block))
        u = rng.random(block)
        t = candidates[-1]
        candidates_in = candidates[candidates < horizon_min]
        # the rate at the candidate's own time, not at the previous arrival
        rate_at = rates_per_hour[hour_of_pattern(candidates_in, start_weekday)] / MIN_PER_HOUR
        accepted.append(candidates_in[u[: candidates_in.size] * peak < rate_at])
    return np.concatenate(accepted)
