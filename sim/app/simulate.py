"""Replications for the app, kept per browser session and reused for inputs already run.

The app gets its replications from the one results store the command line uses
(:mod:`sim.experiments.store`): :func:`session_store` wraps a plain dict the page
keeps in ``st.session_state``, keyed by :func:`~sim.experiments.store.replication_key`
and replication, and :func:`run_all` fills it through the same runner as
``run_sim.py``, so the app's numbers and the command line's come from one code
path. Nothing here is shared between sessions.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..analysis.output_analysis import paired_comparison, summarise
from ..experiments.executors import SerialExecutor
from ..experiments.runner import SDA_DIARIES, ReplicationResult, run_one, summary_table
from ..experiments.store import SessionStore, replication_key, results, results_of
from ..inputs.calendar import MIN_PER_DAY
from ..inputs.config import Config
from ..outputs.labels import kpi_label


def session_store(data: MutableMapping) -> SessionStore:
    """The session's finished replications (each with its SDA slot use, which the app charts)."""
    return SessionStore(data, slot_use=True)


def replications(cfg: Config, store: SessionStore) -> list[ReplicationResult]:
    """Every replication of ``cfg`` (run here if the session does not hold it yet)."""
    return results(cfg, store=store, executor=SerialExecutor(), slot_use=True, progress=False)


Progress = Callable[[int, int, str], None]


def run_all(configs: list[tuple[str, Config]], store: SessionStore, progress: Progress | None = None) -> int:
    """Run every replication of ``configs`` not already in ``store``; returns how many ran.

    ``progress(done, total, label)`` is called as replications finish and at the end.
    """
    todo: dict[str, Config] = {}
    for _label, cfg in configs:
        if store.missing(cfg):
            todo.setdefault(replication_key(cfg), cfg)
    ran = sum(len(store.missing(cfg)) for cfg in todo.values())
    if todo:
        labels: dict[str, str] = {}
        for label, cfg in configs:
            labels.setdefault(replication_key(cfg), label)

        def report(done: int, total: int) -> None:
            if progress:
                progress(done, total, ", ".join(labels[key] for key in todo))

        results_of(todo, store=store, executor=SerialExecutor(), slot_use=True, progress=False, on_progress=report)
    if progress:
        progress(ran, ran, "done")
    return ran


def summary(reps: list[ReplicationResult]) -> pd.DataFrame:
    """One row per replication, one column per KPI (as ``run_sim.py run`` writes)."""
    return summary_table(reps)


def comparison(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """Every KPI: each arm's mean and 95% interval, and the paired change and saving.

    ``change`` is scenario - baseline; for costs ``saving`` is baseline - scenario,
    so a saving is positive.
    """
    paired = paired_comparison(baseline, scenario)
    arms = {arm: summarise(table).set_index("kpi") for arm, table in (("baseline", baseline), ("scenario", scenario))}
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


def slot_use(reps: list[ReplicationResult], cfg: Config) -> pd.DataFrame:
    """SDA slot use by provider, weekday and hour: slots and bookings per such day, and % used."""
    slots = sum(r.slot_use.slots for r in reps)
    booked = sum(r.slot_use.booked for r in reps)
    days_after = np.arange(cfg.run.warmup_days, cfg.run.days)
    weekdays = (days_after + cfg.run.start_weekday) % 7
    n_days = np.bincount(weekdays, minlength=7) * len(reps)  # such weekdays over all replications
    rows = []
    for i, provider in enumerate(SDA_DIARIES):
        for d in range(7):
            for h in range(24):
                if slots[i, d, h] == 0:
                    continue
                rows.append(
                    {
                        "provider": provider,
                        "weekday": d,
                        "hour": h,
                        "slots_per_day": slots[i, d, h] / n_days[d],
                        "booked_per_day": booked[i, d, h] / n_days[d],
                        "use_pct": 100.0 * booked[i, d, h] / slots[i, d, h],
                    }
                )
    return pd.DataFrame(rows, columns=["provider", "weekday", "hour", "slots_per_day", "booked_per_day", "use_pct"])


WAIT_STAGES = MappingProxyType(
    {
        "ia": "ia_wait_mean_min",
        "utc": "utc_wait_mean_min",
        "ed": "ed_wait_mean_min",
        "sda_gpcg": "redirected_time_to_slot_mean_min",
        "sda_pcn": "pcn_time_to_slot_mean_min",
    }
)
"""Each wait a patient can have, by the KPI whose mean it is (the same start and end as that KPI)."""


def stage_label(stage: str) -> str:
    """A wait in words, from the label table: ``Wait for UTC clinician``."""
    return kpi_label(WAIT_STAGES[stage]).removesuffix(", mean, minutes")


def wait_times(cfg: Config, replication: int = 0) -> pd.DataFrame:
    """Every wait of every patient arriving after the warm-up, from one replication's event log.

    The replication is run again with its event log kept (the same config and seed give the
    same patients as the run the page shows). Each wait is measured as its KPI measures it
    (:data:`WAIT_STAGES`): IA nurse from the door, UTC clinician and ED cubicle from joining
    the queue, SDA from the door (front-door redirections) or first contact (PCN SDA).

    Returns
    -------
    pandas.DataFrame
        One row per wait: ``route`` (the route's code), ``stage`` (a key of :data:`WAIT_STAGES`),
        ``minutes``.
    """
    log = run_one(cfg, replication, events=True).events
    log = log[log["arrival"] >= cfg.run.warmup_days * MIN_PER_DAY]
    steps = log["route"].astype(str).str.split(r"[:>]", regex=True)
    used = {step: steps.map(lambda s, step=step: step in s).to_numpy(dtype=bool) for step in ("sda_gpcg", "sda_pcn")}
    spans = {
        "ia": (log["door_arrival"], log["ia_start"], np.ones(len(log), dtype=bool)),
        "utc": (log["utc_join"], log["utc_start"], np.ones(len(log), dtype=bool)),
        "ed": (log["ed_join"], log["ed_start"], np.ones(len(log), dtype=bool)),
        "sda_gpcg": (log["door_arrival"], log["sda_slot"], used["sda_gpcg"]),
        "sda_pcn": (log["arrival"], log["sda_slot"], used["sda_pcn"]),
    }
    parts = []
    for stage, (begin, end, keep) in spans.items():
        minutes = (end - begin).to_numpy(dtype=float)
        keep = keep & ~np.isnan(minutes)
        parts.append(
            pd.DataFrame({"route": log["route"].astype(str).to_numpy()[keep], "stage": stage, "minutes": minutes[keep]})
        )
    return pd.concat(parts, ignore_index=True)
