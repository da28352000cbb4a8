"""The animated patient flow: the event log vidigi reads, and the animation drawn only when asked for."""

from __future__ import annotations

import calendar
import json

import numpy as np

from sim.app.animation import day_window, flow_log, places
from sim.experiments.runner import run_one

from .helpers import problems, run, small_app


def test_the_flow_log_has_each_patient_arrive_first_and_leave_last_in_both_arms(small_current, small_redesign):
    scenario = small_redesign.model_copy(update={"run": small_current.run})  # paired: the same patients
    logs = {
        arm: run_one(cfg, 0, events=True).events for arm, cfg in (("baseline", small_current), ("scenario", scenario))
    }
    start, stop = day_window(small_current)
    events = flow_log(logs, start, stop)
    assert set(events["event_type"]) == {"arrival_departure", "queue"}
    by_entity = events.groupby("entity_id")
    assert (by_entity["event"].first() == "arrival").all()
    assert (by_entity["time"].apply(lambda t: bool(np.all(np.diff(t.to_numpy()) >= 0)))).all()
    departs = events[events["event"] == "depart"]
    assert (departs.groupby("entity_id").size() == 1).all()
    assert (by_entity["event"].last()[departs["entity_id"].unique()] == "depart").all()
    assert (events.loc[events["event"] == "arrival", "time"] < stop).all()
    arms = {
        arm: set(events.loc[events["event"].str.startswith(f"{arm}|"), "entity_id"] // 2)
        for arm in ("baseline", "scenario")
    }
    assert len(arms["baseline"] & arms["scenario"]) > 0.5 * len(arms["baseline"])  # the same patients, both arms
    steps = set(events.loc[events["event_type"] == "queue", "event"])
    assert steps <= set(places({"baseline": "a", "scenario": "b"})["event"])  # every step has a place


def test_the_animation_is_drawn_only_when_switched_on():
    at = small_app("redesign")
    run(at, "Redesign")
    before = len(at.get("plotly_chart"))
    at.toggle(key="show_flow").set_value(True).run()
    assert problems(at) == []
    charts = at.get("plotly_chart")
    assert len(charts) == before + 1
    figure = json.loads(charts[-1].proto.spec)
    assert len(figure["frames"]) == 37  # 08:00-20:00 every 20 minutes
    run_settings = at.session_state["scenarios"]["Redesign"].baseline.run
    weekday = calendar.day_name[(run_settings.start_weekday + run_settings.warmup_days) % 7]
    assert f"{weekday} 08:00" in json.dumps(figure["layout"]["sliders"])  # the clock names the simulated weekday
