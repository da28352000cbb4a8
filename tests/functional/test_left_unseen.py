"""Leaving without being seen, checked by hand: a patient whose patience is shorter than their wait
leaves at the moment it runs out, sees their own GP next day or looks after themselves, and is counted."""

from __future__ import annotations

import math

import pytest

from sim.analysis.invariants import check_model
from sim.analysis.kpis import compute_kpis
from sim.model.eventlog import BIT, OUT

from ..conftest import tweak
from .helpers import patients, run_with

H = 60.0
INF = math.inf


def _one_clinician(current_cfg, **more):
    return tweak(current_cfg, run__days=1, run__warmup_days=0, utc__clinicians=1, ed__cubicles=1, **more)


def test_a_patient_whose_patience_runs_out_leaves_then(current_cfg):
    """One UTC clinician. At 10:00 patient 0 is seen for 60 minutes; patients 1-3 queue behind.
    Patient 1 (patience 30) leaves at 10:30 and sees their GP next day; patient 2 (patience 90) is seen at
    11:00; patient 3 (patience 45) leaves at 10:45 and looks after themselves. Nobody's service changes
    because someone ahead of them left."""
    table = patients(
        arrival=[10 * H] * 4,
        utc_consult_time=[60.0, 20.0, 20.0, 20.0],
        utc_patience=[INF, 30.0, 90.0, 45.0],
        u_left_unseen=[0.99, 0.1, 0.99, 0.9],
    )
    model = run_with(_one_clinician(current_cfg), table)
    log = model.log
    assert list(log.utc_start[[0, 2]]) == [10 * H, 11 * H] and log.utc_end[2] == 11 * H + 20
    assert log.left_unseen[1] == 10 * H + 30 and log.end[1] == 10 * H + 30
    assert log.left_unseen[3] == 10 * H + 45 and math.isnan(log.utc_start[3])
    assert log.outcome[1] == OUT["gp_practice"] and log.activities[1] & BIT["gp_next_day"]
    assert log.outcome[3] == OUT["self_care"] and log.activities[3] & BIT["self_care"]
    assert log.activities[1] & BIT["utc"]  # the attendance is recorded (and priced)
    assert model.utc.left == 2
    check_model(model)
    k = compute_kpis(model)
    assert k["utc_left_unseen_pct"] == pytest.approx(50.0)
    assert k["left_unseen_per_day"] == pytest.approx(2.0)
    assert k["utc_wait_mean_min"] == pytest.approx(30.0)  # patients seen: 0 and 60 minutes


def test_a_patient_still_queuing_at_the_end_has_left_once_their_patience_ran_out(current_cfg):
    """The ED cubicle is taken all day; the waiting patient's patience (60) ends at 11:00, before the run ends."""
    table = patients(
        arrival=[10 * H, 10 * H, 10 * H],
        utc_suitable=[False, False, False],
        ed_time=[2000.0, 10.0, 10.0],
        ed_patience=[INF, 60.0, INF],
    )
    model = run_with(_one_clinician(current_cfg), table)
    log = model.log
    assert log.left_unseen[1] == 11 * H and log.outcome[1] == OUT["self_care"]
    assert log.outcome[2] == OUT["in_system"] and math.isnan(log.left_unseen[2])  # never gives up
    check_model(model)
    k = compute_kpis(model)
    assert k["ed_left_unseen_pct"] == pytest.approx(100 / 3)


def test_nobody_leaves_without_patience(current_cfg):
    table = patients(arrival=[10 * H] * 3, utc_consult_time=[600.0] * 3)
    model = run_with(_one_clinician(current_cfg), table)
    assert model.utc.left == 0 and all(math.isnan(t) for t in model.log.left_unseen)
