"""Confidence intervals across replications, single-scenario and paired."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

# Columns that count something along a route: absent in a replication means zero.
ZERO_FILL_PREFIXES = ("cost_annual_gbp_", "volume_per_day_")


def fill_route_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Route costs and volumes missing from a replication are zero, not unknown."""
    cols = [c for c in frame.columns if c.startswith(ZERO_FILL_PREFIXES)]
    if cols:
        frame[cols] = frame[cols].fillna(0.0)
    return frame


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
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def summarise(summary: pd.DataFrame) -> pd.DataFrame:
    """``kpi, mean, ci_low, ci_high, n_reps`` for every KPI column of a per-replication table."""
    rows = []
    for kpi in summary.columns:
        if kpi == "replication":
            continue
        mean, low, high, n = t_interval(summary[kpi])
        rows.append({"kpi": kpi, "mean": mean, "ci_low": low, "ci_high": high, "n_reps": n})
    return pd.DataFrame(rows, columns=["kpi", "mean", "ci_low", "ci_high", "n_reps"])


def paired_comparison(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Per-KPI difference ``scenario - baseline``, paired by replication, with a t-interval.

    For a money KPI (its name holds ``_gbp``) the same difference is also given as a
    saving, ``baseline - scenario``, in ``saving_gbp_mean``, ``saving_gbp_ci_low`` and
    ``saving_gbp_ci_high``: a saving is positive. Other KPIs leave those columns empty.
    """
    base = fill_route_columns(baseline.set_index("replication").copy())
    scen = fill_route_columns(scenario.set_index("replication").copy())
    kpis = list(dict.fromkeys([*base.columns, *scen.columns]))
    base = fill_route_columns(base.reindex(columns=kpis))
    scen = fill_route_columns(scen.reindex(columns=kpis))
    scen = scen.reindex(base.index)
    rows = []
    for kpi in kpis:
        diff = scen[kpi] - base[kpi]
        mean, low, high, n = t_interval(diff)
        rows.append(
            {
                "kpi": kpi,
                "baseline_mean": float(base[kpi].mean()),
                "scenario_mean": float(scen[kpi].mean()),
                "diff_mean": mean,
                "diff_ci_low": low,
                "diff_ci_high": high,
                "n_reps": n,
                **_as_saving(kpi, mean, low, high),
            }
        )
    return pd.DataFrame(rows)


def _as_saving(kpi: str, mean: float, low: float, high: float) -> dict[str, float]:
    """A money difference ``scenario - baseline`` turned round into a saving (positive = saves)."""
    if "_gbp" not in kpi:
        return {"saving_gbp_mean": float("nan"), "saving_gbp_ci_low": float("nan"),
                "saving_gbp_ci_high": float("nan")}
    return {"saving_gbp_mean": -mean, "saving_gbp_ci_low": -high, "saving_gbp_ci_high": -low}
