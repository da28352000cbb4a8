"""The model's figures against the paper's and public ones: where it agrees, and where it does not.

Each :class:`Target` is plain data: a published figure, where it comes from,
the range the model's figure should fall in, and how to read the model's figure
from the per-replication KPI tables of the runs (``current``, ``redesign``
and ``redesign_without_x6``, paired on the same patients). The current-pathway
targets are those the defaults were calibrated to; the redesign targets are the
paper's estimates, which the model is not tuned to and may miss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.config import Config
from ..analysis.output_analysis import t_interval

Tables = dict[str, pd.DataFrame]


@dataclass(frozen=True)
class Target:
    """One published figure and the range the model's figure should fall in."""

    name: str
    published: str
    source: str
    low: float
    high: float
    value: Callable[[Tables], pd.Series]
    """The model's figure for each replication, from the runs' KPI tables."""


def _kpi(run: str, kpi: str) -> Callable[[Tables], pd.Series]:
    return lambda t: t[run].set_index("replication")[kpi]


def _change(before: str, after: str, kpi: str) -> Callable[[Tables], pd.Series]:
    return lambda t: _kpi(after, kpi)(t) - _kpi(before, kpi)(t)


def _ratio(run: str, part: str, whole: str) -> Callable[[Tables], pd.Series]:
    return lambda t: _kpi(run, part)(t) / _kpi(run, whole)(t)


def _relative_change(before: str, after: str, kpi: str) -> Callable[[Tables], pd.Series]:
    return lambda t: 100.0 * (_kpi(after, kpi)(t) / _kpi(before, kpi)(t) - 1.0)


TARGETS: tuple[Target, ...] = (
    Target("current: UTC seen within 4 hours, %", "~77%", "[public] UTC 4-hour performance (calibrated)",
           72.0, 82.0, _kpi("current", "utc_within_4h_pct")),
    Target("current: ED seen within 4 hours, %", "58% (Aug 2023)", "[public] ED 4-hour performance (calibrated)",
           53.0, 63.0, _kpi("current", "ed_within_4h_pct")),
    Target("current: UTC attendances a day", "150-300+", "[public] UTC activity",
           150.0, 320.0, _kpi("current", "utc_attendances_per_day")),
    Target("current: front-door SDA redirections a day (7-day average)", "~30 a day Mon-Sat (25.7 over 7 days)",
           "[paper] current SDA use for A&E/UTC redirections (calibrated)",
           23.0, 29.0, _kpi("current", "sda_redirections_front_door_per_day")),
    Target("current: share of redirections made via the UTC", "about half",
           "[paper, inferred] X5 removes ~15 of ~30 a day (calibrated; uncertain, see the ia_utc_split sweep)",
           0.35, 0.65, _ratio("current", "sda_redirections_utc_per_day", "sda_redirections_front_door_per_day")),
    Target("current: 111 callers sent to A&E/UTC for want of a slot, a weekday (Mon-Fri)", "~17 a weekday",
           "[paper, inferred] X4's c. GBP 200k a year for halving them, at the UTC tariff, "
           "over 261 weekdays (calibrated)",
           13.0, 21.0, _kpi("current", "nhs111_no_slot_to_front_door_per_weekday")),
    Target("current: 111 callers sent to A&E/UTC for want of a slot, a weekend day", "~17 a day",
           "[assumed] no published figure: as on weekdays (calibrated)",
           10.0, 24.0, _kpi("current", "nhs111_no_slot_to_front_door_per_weekend_day")),
    Target("redesign: recurrent annual saving (GP reattendance time apart, as in the paper), GBP", "c. GBP 1.5M",
           "[paper] total of X1-X8 (X6 counted in GP hours, not pounds)",
           1.2e6, 1.8e6, lambda t: -_change("current", "redesign", "cost_total_annual_gbp")(t)),
    Target("redesign: front-door SDA redirections a day", "60 a day", "[paper] ambition, Mon-Sun 08:00-20:00",
           54.0, 66.0, _kpi("redesign", "sda_redirections_front_door_per_day")),
    Target("redesign: change in 111 callers sent to A&E/UTC for want of a slot on weekdays, %", "c. -50%",
           "[paper] X4: 111 books PCN SDA slots (weekday core hours)",
           -60.0, -40.0, _relative_change("current", "redesign", "nhs111_no_slot_to_front_door_per_weekday")),
    Target("redesign: GP hours a week freed by X6", "c. 15 hours a week",
           "[paper] X6, against the redesign without it",
           12.0, 18.0, lambda t: -_change("redesign_without_x6", "redesign", "gp_reattendance_hours_per_week")(t)),
)


def validation_runs(current: Config, redesign: Config) -> dict[str, Config]:
    """The scenarios the targets read from, all on the current config's run settings."""
    redesign = redesign.model_copy(update={"run": current.run})
    without_x6 = redesign.model_copy(
        update={"changes": redesign.changes.model_copy(update={"x6_comprehensive_sda_consultation": False})}
    )
    return {"current": current, "redesign": redesign, "redesign_without_x6": without_x6}


def validate(tables: Tables, targets: tuple[Target, ...] = TARGETS) -> pd.DataFrame:
    """One row per target: the model's mean and 95% interval against the published figure and range.

    ``within`` says whether the model's mean falls in ``[low, high]``.
    """
    rows = []
    for target in targets:
        values = target.value(tables).to_numpy(dtype=float)
        mean, ci_low, ci_high, n = t_interval(values[np.isfinite(values)])
        rows.append({
            "target": target.name,
            "published": target.published,
            "source": target.source,
            "range_low": target.low,
            "range_high": target.high,
            "model_mean": mean,
            "model_ci_low": ci_low,
            "model_ci_high": ci_high,
            "n_reps": n,
            "within": bool(target.low <= mean <= target.high),
        })
    return pd.DataFrame(rows)
