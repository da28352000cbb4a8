"""How long a run must warm up: daily KPIs from the event log, and MSER-5 truncation.

A run starts empty: no one queues at the front door, UTC or ED, and no SDA slot
is booked. The first days therefore look better than the steady state. The
warm-up is the number of days to leave out of the KPIs so that this start-up
bias no longer shows.

:func:`daily_kpis` turns a replication's event log into one row per simulated
day (patients counted on the day they arrive); :func:`mser` finds the
truncation point of a series by the MSER rule of White (1997) on batch means
of 5 (MSER-5): the point that minimises the squared standard error of the mean
of what is left, searched over the first half of the run only. Applied to the
daily series averaged over replications, as Welch's method would average them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.calendar import MIN_PER_DAY
from .kpis import FOUR_HOURS

DAILY_KPIS = (
    "arrivals",
    "ia_wait_mean_min",
    "utc_wait_mean_min",
    "utc_within_4h_pct",
    "ed_wait_mean_min",
    "redirected_time_to_slot_mean_min",
)
"""The daily KPIs the warm-up is judged on: the queues and the slot diary, the parts that start empty."""


def daily_kpis(events: pd.DataFrame, days: int) -> pd.DataFrame:
    """One row per day of one replication's event log (``arrival`` and the step times, in minutes).

    Columns ``day`` and :data:`DAILY_KPIS`; a day with no patient at a step has NaN there.
    """
    day = (events["arrival"].to_numpy() // MIN_PER_DAY).astype(int)
    frame = pd.DataFrame(
        {
            "day": day,
            "ia_wait": events["ia_start"] - events["door_arrival"],
            "utc_wait": events["utc_start"] - events["utc_join"],
            "utc_4h": np.where(
                events["utc_end"].notna(), (events["utc_end"] - events["door_arrival"]) <= FOUR_HOURS, np.nan
            ),
            "ed_wait": events["ed_start"] - events["ed_join"],
            "to_slot": np.where(
                events["route"].astype(str).str.contains("sda_gpcg"),
                events["sda_slot"] - events["door_arrival"],
                np.nan,
            ),
        }
    )
    by_day = frame.groupby("day")
    table = pd.DataFrame(
        {
            "arrivals": by_day.size().astype(float),
            "ia_wait_mean_min": by_day["ia_wait"].mean(),
            "utc_wait_mean_min": by_day["utc_wait"].mean(),
            "utc_within_4h_pct": 100.0 * by_day["utc_4h"].mean(),
            "ed_wait_mean_min": by_day["ed_wait"].mean(),
            "redirected_time_to_slot_mean_min": by_day["to_slot"].mean(),
        }
    ).reindex(range(days))
    table.index.name = "day"
    return table.reset_index()


def mser(series, batch: int = 5) -> int:
    """Truncation point (in observations) of ``series`` by MSER on batch means of ``batch``.

    For each candidate ``d`` batches cut from the start (up to half the
    batches), the statistic is the variance of the remaining batch means over
    their number; the ``d`` with the least wins. Returns ``d * batch``. NaNs
    (days with no patient at that step) are left out of their batch's mean.
    """
    x = np.asarray(series, dtype=float)
    n_batches = x.size // batch
    if n_batches < 4:
        return 0
    with np.errstate(invalid="ignore"):
        means = np.array(
            [
                np.nanmean(x[i * batch : (i + 1) * batch])
                if np.isfinite(x[i * batch : (i + 1) * batch]).any()
                else np.nan
                for i in range(n_batches)
            ]
        )
    best, best_stat = 0, np.inf
    for d in range(n_batches // 2 + 1):
        rest = means[d:]
        rest = rest[np.isfinite(rest)]
        k = rest.size
        if k < 2:
            continue
        stat = float(np.sum((rest - rest.mean()) ** 2)) / (k * k)
        if stat < best_stat - 1e-15:
            best, best_stat = d, stat
    return best * batch


def warmup_table(daily: pd.DataFrame, batch: int = 5) -> pd.DataFrame:
    """MSER truncation of each daily KPI's mean over replications.

    ``daily`` has ``replication, day`` and the :data:`DAILY_KPIS`. Rows
    ``kpi, warmup_days, at_search_limit, warmup_days_per_replication_max,
    first_week_mean, steady_mean`` (steady: after the truncation point).
    ``warmup_days_per_replication_max`` is the largest truncation over single
    replications, for the spread. ``at_search_limit`` marks a truncation at
    the end of the search (half the run): MSER's known failure on a series
    whose noise hides any start-up trend, or that never settles; not a
    warm-up to trust.
    """
    mean = daily.groupby("day")[list(DAILY_KPIS)].mean()
    rows = []
    limit = (len(mean) // batch // 2) * batch
    for kpi in DAILY_KPIS:
        d = mser(mean[kpi].to_numpy(), batch)
        per_rep = [mser(g.sort_values("day")[kpi].to_numpy(), batch) for _, g in daily.groupby("replication")]
        series = mean[kpi]
        rows.append(
            {
                "kpi": kpi,
                "warmup_days": d,
                "at_search_limit": d >= limit > 0,
                "warmup_days_per_replication_max": max(per_rep) if per_rep else 0,
                "first_week_mean": float(series.iloc[:7].mean()),
                "steady_mean": float(series.iloc[d:].mean()),
            }
        )
    return pd.DataFrame(rows)
