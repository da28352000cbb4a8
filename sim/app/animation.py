"""An animated patient flow of one simulated day, today's pathway above the scenario, on the same patients.

The first replication of both arms is replayed with its event log kept (the same config
and seed give the same patients), each patient's step times become the long event log
``vidigi`` reads (arrival, a queue event at each step, departure), and ``vidigi`` draws
one animation whose clock runs both arms together. The step names come from the label
table. ``vidigi`` (the ``app`` extra) is imported only when the animation is asked for.
"""

from __future__ import annotations

import datetime as dt
import warnings
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..experiments.runner import run_one
from ..inputs.calendar import MIN_PER_DAY
from ..inputs.config import Config
from ..outputs.labels import kpi_label, service_label

FIRST_HOUR, LAST_HOUR = 8, 20
"""The animated part of the day (clock hours): the busy hours of the front door."""
FRAME_MINUTES = 20
"""Simulated minutes between two frames."""
MONDAY = dt.date(2024, 1, 1)
"""A Monday: the animation's clock shows the weekday of the simulated day."""

STEPS = (
    ("door_arrival", "wait_ia", "ia_start"),
    ("ia_start", "ia", None),
    ("utc_join", "wait_utc", None),
    ("utc_start", "utc", None),
    ("ed_join", "wait_ed", None),
    ("ed_start", "ed", None),
    ("sda_booked_at", "wait_sda", None),
    ("sda_slot", "sda", None),
)
"""Each step a patient can be seen at: the event-log column it starts at, its name, and a column it needs."""

PLACES = MappingProxyType(
    {  # (x, y above the arm's base)
        "wait_ia": (300, 200),
        "ia": (560, 200),
        "wait_utc": (840, 300),
        "utc": (1260, 300),
        "wait_ed": (840, 200),
        "ed": (1260, 200),
        "wait_sda": (840, 100),
        "sda": (1260, 100),
    }
)
ARM_BASE = MappingProxyType({"baseline": 500, "scenario": 50})
"""Today's pathway is drawn above the scenario."""


def step_words(step: str) -> str:
    """A step in words from the label table: ``Wait for UTC clinician``, ``UTC attendances``."""
    waits = {"wait_ia": "ia_wait_mean_min", "wait_utc": "utc_wait_mean_min", "wait_ed": "ed_wait_mean_min"}
    if step in waits:
        return kpi_label(waits[step]).removesuffix(", mean, minutes")
    if step == "wait_sda":
        return "Waiting for SDA appointment"
    if step == "sda":
        return "SDA appointments"
    return service_label(step)


def day_window(cfg: Config) -> tuple[float, float]:
    """The animated minutes: the busy hours of the first day after the warm-up."""
    day = cfg.run.warmup_days * MIN_PER_DAY
    return day + FIRST_HOUR * 60, day + LAST_HOUR * 60


def flow_log(logs: dict[str, pd.DataFrame], start: float, stop: float) -> pd.DataFrame:
    """The long event log vidigi reads, both arms in one: ``entity_id``, ``event_type``, ``event``, ``time``.

    ``logs`` is each arm's per-patient event log (``baseline``, ``scenario``). Only patients
    seen at some step, present between ``start`` and ``stop``, are kept; a patient arrives
    at the first step they reach. Entity ids are ``2 * patient + arm``, so the same
    patient has one icon in each arm. Event names are ``arm|step``.
    """
    rows = []
    for k, (arm, log) in enumerate(logs.items()):
        firsts = np.fmin.reduce([log[column].to_numpy(dtype=float) for column, _, _ in STEPS])
        out = np.fmin(log["end"].to_numpy(dtype=float), log["left_unseen"].to_numpy(dtype=float))
        keep = ~np.isnan(firsts) & (firsts < stop) & ~(out < start)
        part = log[keep]
        ids = part["patient_id"].to_numpy() * 2 + k
        rows.append(
            pd.DataFrame(
                {"entity_id": ids, "event_type": "arrival_departure", "event": "arrival", "time": firsts[keep]}
            )
        )
        for column, step, needs in STEPS:
            times = part[column].to_numpy(dtype=float)
            has = ~np.isnan(times) & (np.ones(len(part), bool) if needs is None else part[needs].notna().to_numpy())
            rows.append(
                pd.DataFrame(
                    {"entity_id": ids[has], "event_type": "queue", "event": f"{arm}|{step}", "time": times[has]}
                )
            )
        gone = ~np.isnan(out[keep])
        rows.append(
            pd.DataFrame(
                {"entity_id": ids[gone], "event_type": "arrival_departure", "event": "depart", "time": out[keep][gone]}
            )
        )
    events = pd.concat(rows, ignore_index=True)
    return events.sort_values(["entity_id", "time"], kind="stable").reset_index(drop=True)


def places(names: dict[str, str]) -> pd.DataFrame:
    """Where each step is drawn: one block per arm (today's above), arrival on the left, leaving on the right."""
    rows = [
        {"event": "arrival", "x": 60, "y": 450, "label": "Arrive"},
        {"event": "depart", "x": 1500, "y": 450, "label": "Leave"},
    ]
    for arm, base in ARM_BASE.items():
        for step, (x, y) in PLACES.items():
            rows.append({"event": f"{arm}|{step}", "x": x, "y": base + y, "label": step_words(step)})
    return pd.DataFrame(rows)


def patient_flow(baseline: Config, scenario: Config, names: dict[str, str]):
    """The animation (a plotly figure): the busy hours of one simulated day, today above the scenario.

    Raises ``ImportError`` if ``vidigi`` is not installed (``pip install -e '.[app]'``).
    """
    from vidigi.animation import animate_activity_log

    logs = {arm: run_one(cfg, 0, events=True).events for arm, cfg in (("baseline", baseline), ("scenario", scenario))}
    start, stop = day_window(baseline)
    events = flow_log(logs, start, stop)
    date = MONDAY + dt.timedelta(days=baseline.run.start_weekday)
    with warnings.catch_warnings():  # vidigi warns about layout choices made on purpose here
        warnings.simplefilter("ignore")
        fig = animate_activity_log(
            events,
            places(names),
            every_x_time_units=FRAME_MINUTES,
            warm_up=int(start),
            limit_duration=int(stop),
            step_snapshot_max=20,
            wrap_queues_at=10,
            plotly_height=620,
            entity_icon_size=14,
            text_size=12,
            custom_entity_icon_list=["\u25cf"],
            start_date=date.isoformat(),
            start_time="00:00:00",
            time_display_units="%A %H:%M",
            run_col_name=None,
            frame_duration=500,
            frame_transition_duration=400,
        )
    for arm, base in ARM_BASE.items():
        fig.add_annotation(
            x=60, y=base + 360, text=f"<b>{names[arm]}</b>", showarrow=False, xanchor="left", font={"size": 14}
        )
    return fig
