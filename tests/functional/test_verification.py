"""Verification of the pathway model: extreme values, hand-checked runs, queueing theory,
conservation, reproducibility and common random numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.model.eventlog import BIT, OUT
from sim.analysis.invariants import InvariantError, check_model
from sim.analysis.kpis import compute_kpis
from sim.model.pathway import run_replication
from sim.analysis.output_analysis import t_interval
from sim.experiments.runner import run_one, run_replications, summary_table

from ..conftest import tweak
from .helpers import FLAT7, FLAT24, patients, run_with


# ------------------------------------------------------------------ extreme values --
def test_no_redirection_means_no_front_door_sda(current_cfg):
    cfg = tweak(
        current_cfg,
        run__days=14,
        run__warmup_days=0,
        ia_nurse__redirection_current__probability=0.0,
        utc__triage_redirect_probability=0.0,
    )
    model = run_replication(cfg, 0)
    k = compute_kpis(model)
    assert k["sda_redirections_front_door_per_day"] == 0.0
    assert model.gpcg_sda.booked_flags().sum() == 0
    assert k["sda_slot_utilisation_pct_gpcg"] == 0.0


def test_unlimited_slots_everyone_eligible_and_accepting_is_always_redirected(redesign_cfg):
    cfg = tweak(
        redesign_cfg,
        run__days=14,
        run__warmup_days=0,
        demand__walk_in__registered_th=1.0,
        patients__sda_eligible=1.0,
        patients__accepts_redirection=1.0,
        ia_nurse__pharmacy_first_probability=0.0,
        ia_nurse__redirection_x8={
            "probability": 1.0,
            "start_hour": 8,
            "end_hour": 20,
            "days": [True] * 7,
            "care_navigator_books": True,
            "next_day_accept_probability": 0.0,
        },
        care_navigator__navigators=50,
        slot_diaries__gpcg_sda={
            "slots_per_day": [1400] * 7,
            "session_start_hour": 0,
            "session_end_hour": 24,
            "appointment_min": 10,
            "booking_lead_min": 0,
            "hour_weights": None,
            "carve_out": None,
        },
    )
    model = run_replication(cfg, 0)
    P, log = model.patients, model.log
    ia_end = log.ia_end
    minute = ia_end % 1440
    in_window = ~np.isnan(ia_end) & (minute >= 480) & (minute < 1200)
    walk_in = P.channel == 0  # 111 and practice patients come with their own stream
    eligible = in_window & P.utc_suitable & walk_in
    redirected = ((log.activities & BIT["sda_gpcg"]) != 0) & walk_in
    assert eligible.sum() > 1000
    assert np.array_equal(redirected, eligible)  # all of them, and no one outside the window
    assert not np.any(log.sda_no_slot[walk_in])  # (PCN slots for 111/practices stay limited)


# ------------------------------------------------------------- deterministic runs --
def test_deterministic_run_checked_by_hand(current_cfg):
    """Three UTC walk-ins and one ED walk-in with fixed times, one server everywhere."""
    cfg = tweak(
        current_cfg,
        run__days=1,
        run__warmup_days=0,
        reception__clerks=1,
        ia_nurse__nurses=1,
        utc__clinicians=1,
        ed__cubicles=1,
    )
    table = patients(
        arrival=[0.0, 1.0, 2.0, 3.0],
        utc_suitable=[True, True, True, False],
        reception_time=[2.0] * 4,
        ia_time=[3.0] * 4,
        utc_consult_time=[15.0] * 4,
        ed_time=[100.0] * 4,
    )
    model = run_with(cfg, table)
    log = model.log
    # reception 0-2, 2-4, 4-6, 6-8; IA 2-5, 5-8, 8-11, 11-14; UTC 5-20, 20-35, 35-50; ED 14-114
    assert log.ia_start.tolist() == [2.0, 5.0, 8.0, 11.0]
    assert log.ia_end.tolist() == [5.0, 8.0, 11.0, 14.0]
    assert log.utc_start[:3].tolist() == [5.0, 20.0, 35.0]
    assert log.utc_end[:3].tolist() == [20.0, 35.0, 50.0]
    assert log.ed_start[3] == 14.0 and log.ed_end[3] == 114.0
    assert log.outcome.tolist() == [OUT["utc"]] * 3 + [OUT["ed"]]


def test_deterministic_redirections_by_hand(current_cfg):
    """Current pathway: IA redirects one candidate; the UTC triage redirects the next; then slots run out."""
    cfg = tweak(
        current_cfg,
        run__days=1,
        run__warmup_days=0,
        utc__clinicians=1,
        slot_diaries__gpcg_sda={
            "slots_per_day": [2] * 7,
            "session_start_hour": 9,
            "session_end_hour": 10,
            "appointment_min": 10,
            "booking_lead_min": 30,
            "hour_weights": None,
            "carve_out": None,
        },
    )
    t0 = 8 * 60.0
    table = patients(
        arrival=[t0, t0 + 1, t0 + 2],
        registered_th=[True] * 3,
        sda_candidate=[True] * 3,
        u_ia_redirect=[0.1, 0.9, 0.9],  # only the first passes the IA's 0.45
        u_utc_triage=[0.9, 0.1, 0.1],  # the UTC triage (0.5) takes the others
        utc_consult_time=[15.0] * 3,
        utc_triage_time=[5.0] * 3,
    )
    model = run_with(cfg, table)
    log = model.log
    # slots at 09:00 and 09:30. Patient 0 books 09:00 at the IA (08:00).
    assert log.sda_slot[0] == 540.0 and np.isnan(log.utc_start[0])
    # patient 1 is triaged at the UTC from 08:01; the clinician books 09:30 at 08:06 and the patient leaves
    assert log.utc_start[1] == t0 + 1 and log.utc_end[1] == t0 + 6
    assert log.sda_booked_at[1] == t0 + 6 and log.sda_slot[1] == 570.0
    # patient 2 waits for the clinician, is triaged (5 min), finds no slot and has a full consultation (15)
    assert log.utc_start[2] == t0 + 6 and np.isnan(log.sda_slot[2]) and log.utc_end[2] == t0 + 26
    assert log.sda_no_slot.tolist() == [False, False, True]
    cost_bits = log.activities
    assert cost_bits[0] & BIT["sda_gpcg"] and not cost_bits[0] & BIT["utc"]
    assert cost_bits[1] & BIT["sda_gpcg"] and cost_bits[1] & BIT["utc"]


# -------------------------------------------------------------- queueing theory --
def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def mmc_config(current_cfg, servers=3, per_day=240.0, mean_service=15.0, days=60):
    """The UTC as an M/M/c queue: Poisson walk-ins, no delays before it, exponential consultations."""
    return tweak(
        current_cfg,
        run__days=days,
        run__warmup_days=5,
        run__replications=8,
        demand__walk_in__mean_per_day=per_day,
        demand__walk_in__hour_of_day=FLAT24,
        demand__walk_in__day_of_week=FLAT7,
        demand__walk_in__utc_suitable=1.0,
        demand__walk_in__registered_th=0.0,
        demand__nhs111__mean_per_day=0.0,
        demand__practice_overflow__mean_per_day=0.0,
        reception__clerks=1000,
        reception__time_min={"dist": "fixed", "value": 0.0},
        ia_nurse__nurses=1000,
        ia_nurse__time_min={"dist": "fixed", "value": 0.0},
        ia_nurse__pharmacy_first_probability=0.0,
        utc__clinicians=servers,
        utc__consult_time_min={"dist": "exponential", "mean": mean_service},
        utc__patience_min=None,  # nobody leaves: a pure M/M/c queue
    )


def test_utc_matches_erlang_c(current_cfg):
    cfg = mmc_config(current_cfg)
    theory = erlang_c_wait(240.0 / 1440.0, 1 / 15.0, 3)  # rho = 0.833: about 22 min
    waits = [run_one(cfg, r).kpis["utc_wait_mean_min"] for r in range(cfg.run.replications)]
    mean, low, high, _ = t_interval(waits, 0.99)
    assert low <= theory <= high, (theory, mean, low, high)
    assert abs(mean - theory) / theory < 0.08


def test_littles_law_on_the_utc_queue(current_cfg):
    """Time-average queue length seen by an observer equals arrival rate x mean wait."""
    cfg = tweak(current_cfg, run__days=35, run__warmup_days=7)
    model = __import__("sim.model.pathway", fromlist=["PathwayModel"]).PathwayModel(cfg, 0)
    samples = []

    def observer(env):
        while True:
            if env.now >= cfg.run.warmup_days * 1440:
                # those whose patience has run out have left, though the queue finds out only later
                samples.append(sum(1 for e in model.utc.queue if e.deadline >= env.now))
            yield env.timeout(1.0)

    model.env.process(observer(model.env))
    model.run()
    log = model.log
    start, end = cfg.run.warmup_days * 1440.0, model.horizon
    joined = log.utc_join
    in_window = (joined >= start) & (joined < end)
    # waits truncated at the window's end, as the observer sees them
    # (or when the patient left unseen)
    wait_end = np.where(np.isnan(log.utc_start), np.fmin(log.left_unseen, end), np.minimum(log.utc_start, end))
    lam = in_window.sum() / (end - start)
    w = np.mean((wait_end - joined)[in_window])
    queue_mean = float(np.mean(samples))
    assert queue_mean > 1.0  # a real queue, not an idle clinic
    assert lam * w == pytest.approx(queue_mean, rel=0.05)


# ------------------------------------------------------------------- conservation --
@pytest.mark.parametrize("which", ["current_cfg", "redesign_cfg"])
def test_every_patient_ends_once_or_is_in_system(which, request):
    cfg = tweak(request.getfixturevalue(which), run__days=21, run__warmup_days=0)
    model = run_replication(cfg, 1)
    log, n = model.log, model.patients.n
    counts = np.bincount(log.outcome, minlength=len(OUT))
    assert counts.sum() == n
    assert counts[OUT["in_system"]] == np.isnan(log.end).sum()
    # patients in the system at the end really were still on their way at the horizon
    still = log.outcome == OUT["in_system"]
    assert np.all(model.patients.arrival[still] > model.horizon - 3 * 1440)
    check_model(model)


def test_invariants_catch_a_lost_patient(small_current):
    model = run_replication(small_current, 0)
    finished = np.flatnonzero(model.log.outcome == OUT["utc"])[0]
    model.log.outcome[finished] = OUT["in_system"]
    with pytest.raises(InvariantError, match="outcome and end time"):
        check_model(model)


def test_invariants_catch_a_double_booking(small_current):
    model = run_replication(small_current, 0)
    holder = np.flatnonzero(model.log.activities & BIT["sda_gpcg"])[0]
    other = np.flatnonzero(model.log.outcome == OUT["utc"])[0]
    model.log.activities[other] |= BIT["sda_gpcg"]  # a second patient claims a slot
    assert holder != other
    with pytest.raises(InvariantError, match="gpcg_sda"):
        check_model(model)


def test_no_slot_is_ever_overbooked(current_cfg):
    cfg = tweak(
        current_cfg, run__days=14, run__warmup_days=0, slot_diaries__gpcg_sda__slots_per_day=[3, 0, 1, 5, 2, 2, 0]
    )
    model = run_replication(cfg, 0)
    log = model.log
    gpcg = (log.activities & BIT["sda_gpcg"]) != 0
    slots = log.sda_slot[gpcg]
    assert len(slots) == len(np.unique(slots))  # no two patients share a slot
    per_day = np.bincount((slots // 1440).astype(int), minlength=14)
    allowed = np.array([[3, 0, 1, 5, 2, 2, 0][d % 7] for d in range(14)])
    assert np.all(per_day <= allowed)
    assert per_day.sum() > 0


# ------------------------------------------------------------ reproducibility, CRN --
def test_same_seed_same_results(small_current):
    a = summary_table(run_replications(small_current, progress=False))
    b = summary_table(run_replications(small_current, progress=False))
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_seed_different_results(small_current):
    a = summary_table(run_replications(small_current, progress=False))
    b = summary_table(run_replications(tweak(small_current, run__seed=99), progress=False))
    assert not a["utc_wait_mean_min"].equals(b["utc_wait_mean_min"])


def test_serial_equals_parallel(small_redesign):
    cfg = tweak(small_redesign, run__replications=4)
    serial = summary_table(run_replications(cfg, jobs=1, progress=False))
    parallel = summary_table(run_replications(cfg, jobs=2, progress=False))
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)


def test_current_and_redesign_see_the_same_patients(small_current, small_redesign):
    a = run_replication(small_current, 0).patients
    b = run_replication(small_redesign, 0).patients
    for column in (
        "arrival",
        "channel",
        "utc_suitable",
        "sda_candidate",
        "disposition",
        "overflow_choice",
        "utc_consult_time",
        "ed_time",
        "u_reattend",
    ):
        assert np.array_equal(getattr(a, column), getattr(b, column)), column


def test_changing_one_parameter_keeps_other_streams(small_current):
    """Common random numbers: a longer UTC consultation leaves arrivals and other draws unchanged."""
    a = run_replication(small_current, 0).patients
    b = run_replication(
        tweak(small_current, utc__consult_time_min={"dist": "lognormal", "mean": 25, "sd": 6}), 0
    ).patients
    assert np.array_equal(a.arrival, b.arrival) and np.array_equal(a.ed_time, b.ed_time)
    assert not np.array_equal(a.utc_consult_time, b.utc_consult_time)
