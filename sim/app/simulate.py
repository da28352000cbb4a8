"""Replications for the app, kept per browser session and reused for inputs already run.

A ``ResultStore`` wraps a plain dict that the page keeps in ``st.session_state``:
one entry per (config key, replication). Nothing here is shared between sessions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, MutableMapping

import numpy as np
import pandas as pd

from ..inputs.calendar import MIN_PER_DAY, MIN_PER_HOUR
from ..inputs.config import Config
from ..analysis.invariants import check_kpis, check_model
from ..analysis.kpis import compute_kpis
from ..analysis.output_analysis import fill_route_columns, paired_comparison, summarise
from ..model.pathway import run_replication
from ..outputs.labels import kpi_label
from .scenario import config_key

SDA_DIARIES = ("gpcg_sda", "pcn_sda")
"""The SDA services whose slot use the app charts."""

MAX_STORED = 4000
"""Replications a session keeps before dropping the oldest (a few kB each)."""


@dataclass(frozen=True)
class RepResult:
    """One replication: its KPIs and SDA slot counts by provider, weekday and hour.

    ``slots`` and ``booked`` have shape (provider, weekday, hour), counted over
    the slots that start after the warm-up.
    """

    kpis: dict[str, float]
    slots: np.ndarray
    booked: np.ndarray


def run_rep(cfg: Config, replication: int) -> RepResult:
    """Run, check and measure one replication, keeping the SDA slot use by hour and weekday."""
    model = run_replication(cfg, replication)
    check_model(model)
    kpis = compute_kpis(model)
    check_kpis(kpis, model)
    warmup = cfg.run.warmup_days * MIN_PER_DAY
    slots = np.zeros((len(SDA_DIARIES), 7, 24), dtype=np.int64)
    booked = np.zeros_like(slots)
    for i, name in enumerate(SDA_DIARIES):
        diary = getattr(model, name)
        times, flags = diary.slot_times(), diary.booked_flags()
        keep = times >= warmup
        times, flags = times[keep], flags[keep]
        weekday = ((times // MIN_PER_DAY).astype(np.int64) + cfg.run.start_weekday) % 7
        hour = np.minimum(((times % MIN_PER_DAY) // MIN_PER_HOUR).astype(np.int64), 23)
        np.add.at(slots[i], (weekday, hour), 1)
        np.add.at(booked[i], (weekday[flags], hour[flags]), 1)
    return RepResult(kpis, slots, booked)


class ResultStore:
    """Finished replications of one browser session, keyed by config and replication."""

    def __init__(self, data: MutableMapping):
        self._data = data

    def missing(self, cfg: Config) -> list[int]:
        key = config_key(cfg)
        return [r for r in range(cfg.run.replications) if (key, r) not in self._data]

    def results(self, cfg: Config) -> list[RepResult]:
        key = config_key(cfg)
        return [self._data[(key, r)] for r in range(cfg.run.replications)]

    def has(self, cfg: Config) -> bool:
        return not self.missing(cfg)

    def put(self, cfg: Config, replication: int, result: RepResult) -> None:
        self._data[(config_key(cfg), replication)] = result
        while len(self._data) > MAX_STORED:
            del self._data[next(iter(self._data))]


Progress = Callable[[int, int, str], None]


def run_all(configs: list[tuple[str, Config]], store: ResultStore, progress: Progress | None = None) -> int:
    """Run every replication of ``configs`` not already in ``store``; returns how many ran.

    ``progress(done, total, label)`` is called before each replication and at the end.
    """
    todo = []
    seen = set()
    for label, cfg in configs:
        for rep in store.missing(cfg):
            if (config_key(cfg), rep) not in seen:
                seen.add((config_key(cfg), rep))
                todo.append((label, cfg, rep))
    for done, (label, cfg, rep) in enumerate(todo):
        if progress:
            progress(done, len(todo), f"{label}: replication {rep + 1} of {cfg.run.replications}")
        store.put(cfg, rep, run_rep(cfg, rep))
    if progress:
        progress(len(todo), len(todo), "done")
    return len(todo)


def summary(results: list[RepResult]) -> pd.DataFrame:
    """One row per replication, one column per KPI (as ``run_sim.py run`` writes)."""
    frame = pd.DataFrame([{"replication": r, **res.kpis} for r, res in enumerate(results)])
    return fill_route_columns(frame)


def comparison(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Every KPI: each arm's mean and 95% interval, and the paired change and saving.

    ``change`` is scenario - baseline; for costs ``saving`` is baseline - scenario,
    so a saving is positive.
    """
    paired = paired_comparison(baseline, scenario)
    arms = {arm: summarise(table).set_index("kpi") for arm, table in (("baseline", baseline),
                                                                      ("scenario", scenario))}
    out = paired[["kpi"]].copy()
    out.insert(1, "label", [kpi_label(k) for k in paired["kpi"]])
    for arm, table in arms.items():
        for col in ("mean", "ci_low", "ci_high"):
            out[f"{arm}_{col}"] = out["kpi"].map(table[col])
    out["change_mean"] = paired["diff_mean"]
    out["change_ci_low"] = paired["diff_ci_low"]
    out["change_ci_high"] = paired["diff_ci_high"]
    is_cost = out["kpi"].str.startswith("cost_")
    out["saving_mean"] = np.where(is_cost, -paired["diff_mean"], np.nan)
    out["saving_ci_low"] = np.where(is_cost, -paired["diff_ci_high"], np.nan)
    out["saving_ci_high"] = np.where(is_cost, -paired["diff_ci_low"], np.nan)
    out["n_reps"] = paired["n_reps"]
    return out


def slot_use(results: list[RepResult], cfg: Config) -> pd.DataFrame:
    """SDA slot use by provider, weekday and hour: slots and bookings per such day, and % used."""
    slots = sum(r.slots for r in results)
    booked = sum(r.booked for r in results)
    days_after = np.arange(cfg.run.warmup_days, cfg.run.days)
    weekdays = (days_after + cfg.run.start_weekday) % 7
    n_days = np.bincount(weekdays, minlength=7) * len(results)  # such weekdays over all replications
    rows = []
    for i, provider in enumerate(SDA_DIARIES):
        for d in range(7):
            for h in range(24):
                if slots[i, d, h] == 0:
                    continue
                rows.append({
                    "provider": provider, "weekday": d, "hour": h,
                    "slots_per_day": slots[i, d, h] / n_days[d],
                    "booked_per_day": booked[i, d, h] / n_days[d],
                    "use_pct": 100.0 * booked[i, d, h] / slots[i, d, h],
                })
    return pd.DataFrame(rows, columns=["provider", "weekday", "hour", "slots_per_day",
                                       "booked_per_day", "use_pct"])
