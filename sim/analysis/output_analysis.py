"""Confidence intervals across replications, single-scenario and paired."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas and scipy are imported where used, so a run starts fast
    import pandas as pd

# Columns that count something along a route: absent in a replication means zero.
ZERO_FILL_PREFIXES = ("cost_annual_gbp_", "volume_per_day_")


def fill_route_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Route costs and volumes missing from a replication are zero, not unknown."""
    cols = [c for c in frame.columns if c.startswith(ZERO_FILL_PREFIXES)]
    if not cols:
        return frame
    gaps = frame[cols].isna().any()
    gaps = list(gaps[gaps].index)
    return frame.fillna({c: 0.0 for c in gaps}) if gaps else frame


def t_quantile(confidence: float, df) -> float | np.ndarray:
    """Two-sided Student-t multiplier: the ``0.5 + confidence / 2`` quantile with ``df`` degrees of freedom."""
    from scipy.special import stdtrit  # the Student-t quantile, without importing all of scipy.stats

    return stdtrit(df, 0.5 + confidence / 2.0)


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and two-sided Student-t interval of ``values`` (NaNs dropped).

    Returns ``(mean, low, high, n)``; the interval is NaN with fewer than 2 values.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(x.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = float(t_quantile(confidence, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def _intervals(values: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, ...]:
    """:func:`t_interval` of every column of ``values`` (rows are replications), in one go.

    Columns without a NaN are computed together; the others one by one, as
    :func:`t_interval` does, so every figure is exactly what it would give.
    """
    x = np.asarray(values, dtype=float)
    k = x.shape[1]
    mean, low, high = (np.full(k, np.nan) for _ in range(3))
    n = np.zeros(k, dtype=int)
    whole = ~np.isnan(x).any(axis=0)
    rows = x.shape[0]
    if rows and whole.any():
        cols = np.ascontiguousarray(x[:, whole].T)  # one row per KPI: the same sums as one KPI alone
        m = cols.mean(axis=1)
        mean[whole], n[whole] = m, rows
        if rows >= 2:
            half = t_quantile(confidence, rows - 1) * cols.std(axis=1, ddof=1) / np.sqrt(rows)
            low[whole], high[whole] = m - half, m + half
    for j in np.flatnonzero(~whole):
        mean[j], low[j], high[j], n[j] = t_interval(x[:, j], confidence)
    return mean, low, high, n


def summarise(summary: pd.DataFrame) -> pd.DataFrame:
    """``kpi, mean, ci_low, ci_high, n_reps`` for every KPI column of a per-replication table."""
    kpis = [c for c in summary.columns if c != "replication"]
    mean, low, high, n = _intervals(summary[kpis].to_numpy(dtype=float))
    import pandas as pd

    return pd.DataFrame(
        {"kpi": kpis, "mean": mean, "ci_low": low, "ci_high": high, "n_reps": n},
        columns=["kpi", "mean", "ci_low", "ci_high", "n_reps"],
    )


def paired_comparison(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Per-KPI difference ``scenario - baseline``, paired by replication, with a t-interval.

    For a cost KPI (its name starts ``cost_``) the same difference is also given as a
    saving, ``baseline - scenario``, in ``saving_gbp_mean``, ``saving_gbp_ci_low`` and
    ``saving_gbp_ci_high``: a saving is positive. Other KPIs leave those columns empty
    (the value of GP reattendance time among them: GP time, not a saving of cash).
    """
    base = fill_route_columns(baseline.set_index("replication"))
    scen = fill_route_columns(scenario.set_index("replication"))
    kpis = list(dict.fromkeys([*base.columns, *scen.columns]))
    base = fill_route_columns(base.reindex(columns=kpis))
    scen = fill_route_columns(scen.reindex(columns=kpis))
    scen = scen.reindex(base.index)
    b = base.to_numpy(dtype=float)
    s_ = scen.to_numpy(dtype=float)
    mean, low, high, n = _intervals(s_ - b)
    saving = np.where(np.array([k.startswith("cost_") for k in kpis]), 1.0, np.nan)  # costs only
    import pandas as pd

    return pd.DataFrame(
        {
            "kpi": kpis,
            "baseline_mean": _intervals(b)[0],
            "scenario_mean": _intervals(s_)[0],
            "diff_mean": mean,
            "diff_ci_low": low,
            "diff_ci_high": high,
            "n_reps": n,
            "saving_gbp_mean": -mean * saving,
            "saving_gbp_ci_low": -high * saving,
            "saving_gbp_ci_high": -low * saving,
        }
    )


def look_ahead(n: int, k_limit: int = 5) -> int:
    """Replications that must keep the precision after ``n`` before ``n`` is accepted.

    Hoad, Robinson and Davies' look-ahead: ``k_limit`` up to 100 replications,
    then in proportion (``k_limit * n / 100``).
    """
    return k_limit if n <= 100 else (k_limit * n) // 100


def relative_half_widths(values: np.ndarray, confidence: float = 0.95) -> np.ndarray:
    """The 95% interval's half-width over ``|mean|`` after each number of replications.

    ``values`` has one row per KPI and one column per replication (in order).
    Column ``j`` of the result is for the first ``j + 1`` replications (NaN for
    ``j = 0``); a KPI that has not varied at all has zero, one whose mean is
    zero but which varies has infinity.
    """
    x = np.atleast_2d(np.asarray(values, dtype=float))
    m = x.shape[1]
    n = np.arange(1, m + 1, dtype=float)
    mean = np.cumsum(x, axis=1) / n
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (np.cumsum(x * x, axis=1) - n * mean * mean) / (n - 1)
        sd = np.sqrt(np.clip(var, 0.0, None))
        half = t_quantile(confidence, n - 1) * sd / np.sqrt(n)
        rel = half / np.abs(mean)
    rel[(half <= 1e-12 * np.maximum(np.abs(mean), 1.0))] = 0.0  # no spread at all
    rel[np.isnan(rel) & (half > 0)] = np.inf
    rel[:, 0] = np.nan
    return rel


def replications_needed(
    values: np.ndarray, target: float, min_replications: int = 3, k_limit: int = 5, confidence: float = 0.95
) -> int | None:
    """Replications needed for a relative half-width within ``target`` on every KPI (or ``None`` yet).

    The replications algorithm of Hoad, Robinson and Davies (2010): the
    answer is the first ``n`` (at least ``min_replications``) whose relative
    half-width, and that of each of the next ``look_ahead(n)`` replications'
    running intervals, is within ``target`` for every KPI. ``values`` has one
    row per KPI and one column per replication run so far; ``None`` means more
    replications are needed before it can tell.
    """
    rel = relative_half_widths(values, confidence)
    ok = np.all(rel <= target, axis=0)  # NaN (one replication) counts as not ok
    m = ok.size
    for n in range(max(min_replications, 2), m + 1):
        end = n + look_ahead(n, k_limit)
        if end > m:
            return None
        if ok[n - 1 : end].all():
            return n
    return None


def compare_scenarios(baseline: pd.DataFrame, scenarios: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Any number of named scenarios, each against one baseline, paired by replication.

    A long table: ``scenario`` (the name), then the columns of
    :func:`paired_comparison` for that scenario against ``baseline``. No
    scenario gives an empty table with those columns.
    """
    import pandas as pd

    frames = [paired_comparison(baseline, table) for table in scenarios.values()]
    if not frames:
        columns = list(paired_comparison(baseline, baseline).columns)
        return pd.DataFrame(columns=["scenario", *columns])
    for name, frame in zip(scenarios, frames):
        frame.insert(0, "scenario", name)
    return pd.concat(frames, ignore_index=True)
