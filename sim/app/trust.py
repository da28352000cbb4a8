"""What the app may say about a result: figures rounded as a lead quotes them, intervals
inside their possible limits, and a verdict on whether a scenario is a steady state
worth a saving at all.

Pure functions on tables; nothing here draws or keeps state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from ..outputs.labels import kpi_unit

FOUR_HOUR_FLOOR_PCT = MappingProxyType({"UTC": 50.0, "ED": 30.0})
"""A 4-hour share below this is not a pathway anyone would run: the saving is withheld (ED runs near 60% today)."""
FOUR_HOUR_DROP_POINTS = 20.0
"""...nor one whose 4-hour share falls by more than this many percentage points against today's."""
WAIT_CEILING_MIN = 240.0
"""A mean UTC wait above four hours: the queue is out of hand."""


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def quote_gbp(value: float) -> str:
    """Money as a lead quotes it: ``GBP 1.24M``, ``GBP 310k``, ``-GBP 45k``, ``GBP 0``."""
    if _missing(value):
        return "-"
    sign = "-" if value < 0 else ""
    size = abs(value)
    if size >= 999_500:
        text = f"{size / 1e6:,.2f}M"
    elif size >= 9_995:
        text = f"{size / 1e3:,.0f}k"
    elif size >= 999.5:
        text = f"{size / 1e3:,.1f}k"
    else:
        text = f"{size:,.0f}"
    if text in ("0", "0.0k"):
        sign = ""
    return f"{sign}GBP {text}"


def quote(value: float, kpi: str = "", change: bool = False) -> str:
    """A KPI's value as a lead quotes it: money as :func:`quote_gbp`, minutes whole, others to one decimal.

    ``change``: a difference, so a share's unit is percentage points, not per cent.
    """
    if _missing(value):
        return "-"
    unit = kpi_unit(kpi) if kpi else ""
    if unit.startswith("GBP"):
        return quote_gbp(value)
    if unit == "minutes":
        text = f"{value + 0.0:,.0f}"
    else:
        text = f"{value + 0.0:,.1f}"
    text = text.removeprefix("-") if text.lstrip("-").replace("0", "").replace(".", "") == "" else text
    return text + ((" points" if change else "%") if unit == "%" else "")


def limits(kpi: str, change: bool = False) -> tuple[float, float]:
    """The values a KPI (or a change in it) can possibly take: a share 0-100%, a count or time 0 or more."""
    unit = kpi_unit(kpi)
    if unit == "%":
        return (-100.0, 100.0) if change else (0.0, 100.0)
    if change or unit.startswith("GBP"):
        return (-math.inf, math.inf)
    return (0.0, math.inf)


def clip(low: float, high: float, kpi: str, change: bool = False) -> tuple[float, float]:
    """An interval cut to the KPI's possible limits (no 100.1%, no -0.1 slots)."""
    lo, hi = limits(kpi, change)
    if _missing(low) or _missing(high):
        return low, high
    return min(max(low, lo), hi), max(min(high, hi), lo)


def interval(low: float, high: float, kpi: str, change: bool = False) -> str:
    """``"1.2 to 3.4"`` (clipped to the KPI's limits), or ``""`` without an interval (one replication)."""
    if _missing(low) or _missing(high):
        return ""
    low, high = clip(low, high, kpi, change)
    return f"{quote(low, kpi, change)} to {quote(high, kpi, change)}"


def signed(value: float, kpi: str) -> str:
    """A change with its sign first: ``+3.2``, ``-12``, ``-GBP 45k``; ``0.0`` without a sign."""
    text = quote(value, kpi, change=True)
    if text == "-" or text.startswith("-") or text.replace("points", "").strip("0.%GBP ,") == "":
        return text
    return "+" + text


@dataclass(frozen=True)
class Verdict:
    """Whether a comparison's saving may be shown; if not, the reasons in words."""

    reasons: tuple[str, ...]

    @property
    def trusted(self) -> bool:
        return not self.reasons


def _mean(summary: pd.DataFrame, kpi: str) -> float:
    return float(summary[kpi].mean()) if kpi in summary.columns else math.nan


def verdict(baseline: pd.DataFrame, scenario: pd.DataFrame, names: dict[str, str] | None = None) -> Verdict:
    """Withhold the saving if either arm is unstable or implausible.

    An arm is unstable if any replication ended with queues growing without bound (the
    ``unstable`` KPI, as the command line warns); implausible if its UTC or ED 4-hour
    share is below ``FOUR_HOUR_FLOOR_PCT``, the scenario's falls more than
    ``FOUR_HOUR_DROP_POINTS`` below today's, or its mean UTC wait passes ``WAIT_CEILING_MIN``.
    """
    names = names or {"baseline": "Today's pathway", "scenario": "The scenario"}
    reasons = []
    for arm, table in (("baseline", baseline), ("scenario", scenario)):
        name = names[arm]
        if "unstable" in table.columns and table["unstable"].fillna(0).any():
            n_bad = int(table["unstable"].fillna(0).astype(bool).sum())
            left = _mean(table, "in_system_at_end")
            reasons.append(
                f"{name} is unstable in {n_bad} of {len(table)} replications: queues grow without "
                f"bound ({left:,.0f} patients still waiting at the end of a run, on average); "
                "capacity is below demand somewhere"
            )
        for kpi, where in (("utc_within_4h_pct", "UTC"), ("ed_within_4h_pct", "ED")):
            share = _mean(table, kpi)
            if share < FOUR_HOUR_FLOOR_PCT[where]:
                reasons.append(f"{name}: only {share:.0f}% of {where} patients are seen within 4 hours")
        wait = _mean(table, "utc_wait_mean_min")
        if wait > WAIT_CEILING_MIN:
            reasons.append(f"{name}: the mean UTC wait is {wait:,.0f} minutes")
    for kpi, where in (("utc_within_4h_pct", "UTC"), ("ed_within_4h_pct", "ED")):
        drop = _mean(baseline, kpi) - _mean(scenario, kpi)
        if drop > FOUR_HOUR_DROP_POINTS and _mean(scenario, kpi) >= FOUR_HOUR_FLOOR_PCT[where]:
            reasons.append(f"{names['scenario']}: the {where} 4-hour share falls by {drop:.0f} percentage points")
    return Verdict(tuple(dict.fromkeys(reasons)))
