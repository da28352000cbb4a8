"""Clinical need on every route, checked by hand: a practice-overflow patient whose need is ED
(the IA nurse would stream them to ED, or NHS 111 would give an ED or ambulance disposition) is
never booked into a PCN SDA slot as if their ED attendance were avoided."""

from __future__ import annotations

import numpy as np

from sim.model.eventlog import BIT, OUT
from sim.model.patients import D_ED, D_PRIMARY_CARE, GP_OVERFLOW, O_NEXT_DAY, O_NHS111, O_WALK_IN

from ..conftest import tweak
from .helpers import patients, run_with

H = 60.0


def _has(model, pid: int, activity: str) -> bool:
    return bool(model.log.activities[pid] & BIT[activity])


def _five_overflow_patients():
    """Monday 10:00, five overflow patients (ids 0-4):

    0 would walk in, ED need by streaming; 1 would walk in, UTC-suitable;
    2 would call 111 and get an ED disposition; 3 would call 111 and get a primary-care disposition
    (not UTC-suitable, but 111 judges their need); 4 would wait for their practice, ED need by streaming.
    """
    n = 5
    return patients(
        arrival=[10 * H] * n,
        channel=[GP_OVERFLOW] * n,
        registered_th=[True] * n,
        overflow_choice=[O_WALK_IN, O_WALK_IN, O_NHS111, O_NHS111, O_NEXT_DAY],
        utc_suitable=[False, True, True, False, False],
        disposition=[5, 5, D_ED, D_PRIMARY_CARE, 5],
    )


def _redesign(redesign_cfg, **more):
    return tweak(redesign_cfg, run__days=1, run__warmup_days=0, slot_diaries__pcn_sda__slots_per_day=[10] * 7, **more)


def test_ed_need_is_never_booked_into_a_pcn_slot(redesign_cfg):
    model = run_with(_redesign(redesign_cfg), _five_overflow_patients())
    assert list(model.ed_need()) == [True, False, True, False, True]
    # the ED needs take the route they took before: ED at the front door, 111 then ED, next-day GP
    assert _has(model, 0, "ed") and not _has(model, 0, "sda_pcn")
    assert _has(model, 2, "call_111") and _has(model, 2, "ed") and not _has(model, 2, "sda_pcn")
    assert _has(model, 4, "gp_next_day") and not _has(model, 4, "sda_pcn")
    # the others are booked: slots at 11:00 and the next one (10 slots over 08:00-20:00, 72 min apart)
    assert _has(model, 1, "sda_pcn") and _has(model, 3, "sda_pcn")
    assert model.log.outcome[1] == model.log.outcome[3] == OUT["sda"]
    assert sorted(model.log.sda_slot[[1, 3]]) == [8 * H + 3 * 72.0, 8 * H + 4 * 72.0]
    assert model.pcn_sda.booked_flags().sum() == 2


def test_the_rule_is_data(redesign_cfg):
    """Allowing ED need into SDA slots (the model before issue 17) books all five."""
    model = run_with(_redesign(redesign_cfg, clinical_need__ed_need_may_book_sda=True), _five_overflow_patients())
    assert all(_has(model, pid, "sda_pcn") for pid in range(5))
    assert not any(_has(model, pid, "ed") for pid in range(5))
    # streaming switched off as a test of need: only 111's ED disposition (patient 2) stays out
    model = run_with(_redesign(redesign_cfg, clinical_need__front_door_ed_stream=False), _five_overflow_patients())
    assert [_has(model, pid, "sda_pcn") for pid in range(5)] == [True, True, False, True, True]
    # an ambulance-only list: the ED disposition is no longer an ED need
    model = run_with(
        _redesign(redesign_cfg, clinical_need__nhs111_ed_dispositions=["ambulance"]), _five_overflow_patients()
    )
    assert [_has(model, pid, "sda_pcn") for pid in range(5)] == [False, True, True, True, False]


def test_ed_need_changes_nothing_between_the_arms(current_cfg, redesign_cfg):
    """With ED need barred, every overflow patient with an ED need has the same route in both arms."""
    days = dict(run__days=8, run__warmup_days=1)
    from sim.model.pathway import run_replication

    cur = run_replication(tweak(current_cfg, **days), 0)
    red = run_replication(tweak(redesign_cfg, **days), 0)
    need = cur.ed_need() & (cur.patients.channel == GP_OVERFLOW)
    assert need.sum() > 10
    assert np.array_equal(
        cur.log.activities[need] & ~BIT["gp_reattend_utc"], red.log.activities[need] & ~BIT["gp_reattend_utc"]
    )


def test_a_bank_holiday_runs_as_a_sunday(current_cfg):
    """Good Friday 18 April 2025 (day 4 from Monday 14 April): no GPCG SDA slots (none on Sundays),
    Sunday's rota and the IA redirection window closed, as on a Sunday."""
    from sim.model.pathway import PathwayModel

    cfg = tweak(current_cfg, run__days=8, run__warmup_days=0, run__start_date="2025-04-14", run__bank_holidays=True)
    model = PathwayModel(cfg, 0)
    assert [len(t) for t in model.gpcg_sda.day_times] == [30, 30, 30, 30, 0, 30, 0, 0]  # Easter Monday too
    assert (4 * 1440 + 10 * 60) not in model.ia_window and (3 * 1440 + 10 * 60) in model.ia_window
    plain = PathwayModel(tweak(cfg, run__bank_holidays=False), 0)
    assert [len(t) for t in plain.gpcg_sda.day_times] == [30, 30, 30, 30, 30, 30, 0, 30]
