"""Booking policies checked by hand on a few hand-made patients: the order in which NHS 111
tries slot diaries, next-day booking after the last reachable slot, the UTC triage window,
and a PCN diary carved out between NHS 111 and practice overflow."""

from __future__ import annotations

import numpy as np

from sim.model.eventlog import BIT, OUT
from sim.model.patients import D_PRIMARY_CARE, GP_OVERFLOW, NHS111, O_WALK_IN

from ..conftest import tweak
from .helpers import patients, run_with

H = 60.0
DAY = 1440.0


def _has(model, pid: int, activity: str) -> bool:
    return bool(model.log.activities[pid] & BIT[activity])


# ------------------------------------------------------------- booking order --
def test_111_tries_diaries_in_the_configured_order(redesign_cfg):
    redesign_cfg = tweak(redesign_cfg, demand__nhs111__booking_rule="in_order")
    """Two slots a day (08:00, 14:00) in practice and PCN diaries; one caller at 07:00."""
    two_slots = dict(slot_diaries__practice_111__slots_per_day=[2] * 7, slot_diaries__pcn_sda__slots_per_day=[2] * 7)
    caller = patients(arrival=[7 * H], channel=[NHS111], disposition=[D_PRIMARY_CARE], registered_th=[True])

    practice_first = run_with(tweak(redesign_cfg, run__days=1, run__warmup_days=0, **two_slots), caller)
    assert _has(practice_first, 0, "practice_111") and not _has(practice_first, 0, "sda_pcn")
    assert practice_first.log.sda_slot[0] == 8 * H

    pcn_first = run_with(
        tweak(
            redesign_cfg,
            run__days=1,
            run__warmup_days=0,
            **two_slots,
            demand__nhs111__booking_order=["pcn_sda", "practice_111"],
        ),
        caller,
    )
    assert _has(pcn_first, 0, "sda_pcn") and not _has(pcn_first, 0, "practice_111")
    assert pcn_first.log.sda_slot[0] == 8 * H and pcn_first.log.outcome[0] == OUT["sda"]

    # a diary left out of the order is never tried: no slot, the caller is given a next-day GP
    practice_only = run_with(
        tweak(
            redesign_cfg,
            run__days=1,
            run__warmup_days=0,
            slot_diaries__pcn_sda__slots_per_day=[2] * 7,
            slot_diaries__practice_111__slots_per_day=[0] * 7,
            demand__nhs111__booking_order=["practice_111"],
        ),
        caller,
    )
    assert _has(practice_only, 0, "gp_next_day") and practice_only.pcn_sda.booked_flags().sum() == 0


# ---------------------------------------------------------- next-day booking --
def _late_candidates(redesign_cfg, accept: float):
    """GPCG slots at 08:00 and 14:00 (30-min lead); candidates at 10:00, 11:00, 13:45 and 13:50."""
    cfg = tweak(
        redesign_cfg,
        run__days=2,
        run__warmup_days=0,
        slot_diaries__gpcg_sda__slots_per_day=[2] * 7,
        slot_diaries__gpcg_sda__session_start_hour=8,
        ia_nurse__redirection_x8__next_day_accept_probability=accept,
    )
    table = patients(
        arrival=[10 * H, 11 * H, 13.75 * H, 13.8333 * H],
        registered_th=[True] * 4,
        sda_candidate=[True] * 4,
        u_ia_redirect=[0.1] * 4,
        u_next_day=[0.2, 0.3, 0.35, 0.9],
    )
    return run_with(cfg, table)


def test_next_day_booking_when_no_slot_is_left_today(redesign_cfg):
    model = _late_candidates(redesign_cfg, accept=0.5)
    log = model.log
    assert log.sda_slot[0] == 14 * H  # same day: 10:00 + 30 min reaches 14:00
    # 11:00: today's 14:00 is taken (08:00 is past): offered tomorrow 08:00, accepts (0.3 < 0.5)
    assert log.sda_slot[1] == DAY + 8 * H and log.sda_booked_at[1] == 11 * H
    # 13:45 + 30 min is past 14:00, the last slot: tomorrow's next free one, 14:00
    assert log.sda_slot[2] == DAY + 14 * H and log.outcome[2] == OUT["sda"] and not _has(model, 2, "utc")
    # the fourth declines (0.9 >= 0.5) and goes to the UTC as before
    assert _has(model, 3, "utc") and np.isnan(log.sda_slot[3]) and log.outcome[3] == OUT["utc"]
    # none of them ended without SDA while the diary was still open (the fourth came after 13:30)
    assert log.sda_no_slot.tolist() == [False, False, False, False]
    # three were refused today while the 08:00 slot stood unused; tomorrow is full
    assert model.gpcg_sda.refused_while_unused() == 3


def test_no_next_day_booking_when_acceptance_is_zero(redesign_cfg):
    model = _late_candidates(redesign_cfg, accept=0.0)
    log = model.log
    assert log.sda_slot[0] == 14 * H
    assert all(_has(model, pid, "utc") for pid in (1, 2, 3))
    assert log.sda_no_slot.tolist() == [False, True, False, False]  # 11:00 found the open diary full
    assert model.gpcg_sda.booked_flags().sum() == 1


# --------------------------------------------------------- UTC triage window --
def _triage_run(current_cfg, window):
    """Current pathway; two candidates the IA does not redirect but the UTC triage would, at 03:00 and 10:00."""
    cfg = tweak(
        current_cfg,
        run__days=1,
        run__warmup_days=0,
        utc__clinicians=2,
        slot_diaries__gpcg_sda__slots_per_day=[2] * 7,
        slot_diaries__gpcg_sda__session_start_hour=8,
        utc__triage_window=window,
    )
    table = patients(
        arrival=[3 * H, 10 * H],
        registered_th=[True] * 2,
        sda_candidate=[True] * 2,
        u_ia_redirect=[0.99] * 2,
        u_utc_triage=[0.1] * 2,
        utc_triage_time=[5.0] * 2,
        utc_consult_time=[15.0] * 2,
    )
    return run_with(cfg, table)


def test_utc_triage_redirects_only_inside_its_window(current_cfg):
    day_window = {"start_hour": 8, "end_hour": 20, "days": [True] * 6 + [False]}
    model = _triage_run(current_cfg, day_window)  # day 0 is a Monday
    log = model.log
    # 03:00: outside the window, a full consultation (15 min), no SDA even though 08:00 is free
    assert log.outcome[0] == OUT["utc"] and np.isnan(log.sda_slot[0]) and log.utc_end[0] == 3 * H + 15
    # 10:00: triaged (5 min) and booked at 10:05 into 14:00
    assert log.outcome[1] == OUT["sda"] and log.sda_slot[1] == 14 * H and log.sda_booked_at[1] == 10 * H + 5

    always = _triage_run(current_cfg, {"start_hour": 0, "end_hour": 24, "days": [True] * 7})
    assert always.log.sda_slot[0] == 8 * H and always.log.sda_slot[1] == 14 * H

    not_mondays = _triage_run(current_cfg, {"start_hour": 0, "end_hour": 24, "days": [False] + [True] * 6})
    assert not (not_mondays.log.activities & BIT["sda_gpcg"]).any()


# ------------------------------------------------------------------ carve-out --
def _pcn_run(redesign_cfg, carve_out):
    """PCN slots at 10:00 and 16:00 (60-min lead); two overflow walk-in patients at 07:00, a 111 caller at 08:30."""
    cfg = tweak(
        redesign_cfg,
        run__days=1,
        run__warmup_days=0,
        slot_diaries__pcn_sda__slots_per_day=[2] * 7,
        slot_diaries__pcn_sda__session_start_hour=10,
        slot_diaries__pcn_sda__session_end_hour=22,
        slot_diaries__practice_111__slots_per_day=[0] * 7,
        slot_diaries__pcn_sda__carve_out=carve_out,
    )
    table = patients(
        arrival=[7 * H, 7 * H, 8.5 * H],
        channel=[GP_OVERFLOW, GP_OVERFLOW, NHS111],
        overflow_choice=[O_WALK_IN, O_WALK_IN, -1],
        disposition=[5, 5, D_PRIMARY_CARE],
        registered_th=[True] * 3,
    )
    return run_with(cfg, table)


def test_carved_out_pcn_diary_keeps_a_share_for_111(redesign_cfg):
    # half for 111: slot 10:00 is 111's, 16:00 the practices'
    model = _pcn_run(redesign_cfg, {"nhs111": 0.5})
    log = model.log
    assert log.sda_slot[0] == 16 * H and _has(model, 0, "sda_pcn")
    assert _has(model, 1, "ia") and not _has(model, 1, "sda_pcn")  # refused: walks in
    assert log.sda_no_slot[1]
    assert log.sda_slot[2] == 10 * H and _has(model, 2, "sda_pcn") and _has(model, 2, "call_111")


def test_pooled_pcn_diary_serves_whoever_asks_first(redesign_cfg):
    model = _pcn_run(redesign_cfg, None)
    log = model.log
    assert log.sda_slot[0] == 10 * H and log.sda_slot[1] == 16 * H
    assert not _has(model, 2, "sda_pcn")  # the 111 caller finds both slots gone
    assert log.sda_no_slot[2]


# ------------------------------------------------------- the soonest slot (issue 17) --
def test_111_books_the_soonest_slot_of_any_diary(redesign_cfg):
    """Practice slots at 08:00 and 14:00, PCN slots at 08:00, 12:00 and 16:00 (lead 60 min).

    A caller at 07:00 finds both diaries' 08:00 slots: the order breaks the tie (practice). A caller at
    10:00 can reach 14:00 at the practice or 12:00 at the PCN: ``earliest_slot`` books 12:00, ``in_order``
    14:00 (while the 12:00 PCN slot passes unused).
    """
    slots = dict(
        run__days=1,
        run__warmup_days=0,
        slot_diaries__practice_111__slots_per_day=[2] * 7,
        slot_diaries__pcn_sda__slots_per_day=[3] * 7,
    )
    callers = patients(
        arrival=[7 * H, 10 * H], channel=[NHS111] * 2, disposition=[D_PRIMARY_CARE] * 2, registered_th=[True] * 2
    )
    soonest = run_with(tweak(redesign_cfg, **slots, demand__nhs111__booking_rule="earliest_slot"), callers)
    assert _has(soonest, 0, "practice_111") and soonest.log.sda_slot[0] == 8 * H
    assert _has(soonest, 1, "sda_pcn") and soonest.log.sda_slot[1] == 12 * H
    in_order = run_with(tweak(redesign_cfg, **slots, demand__nhs111__booking_rule="in_order"), callers)
    assert _has(in_order, 1, "practice_111") and in_order.log.sda_slot[1] == 14 * H
    assert in_order.pcn_sda.booked_flags().sum() == 0
