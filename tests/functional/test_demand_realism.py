"""Hand-checked runs of reattendance after a UTC visit, induced demand and the IA/UTC split."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.costs import patient_costs
from sim.analysis.kpis import compute_kpis
from sim.model.eventlog import BIT

from ..conftest import tweak
from .helpers import patients, run_with


def test_reattendance_after_utc_and_after_sda_by_hand(current_cfg):
    """Each reattendance has its own probability and uniform; both are charged a GP appointment."""
    cfg = tweak(
        current_cfg, run__days=1, run__warmup_days=0, utc__clinicians=1, utc__reattend_probability=0.25,
        slot_diaries__gpcg_sda={"slots_per_day": [10] * 7, "session_start_hour": 9, "session_end_hour": 19,
                                "appointment_min": 10, "booking_lead_min": 30},
    )
    t0 = 8 * 60.0
    table = patients(
        arrival=[t0, t0 + 1, t0 + 2, t0 + 3],
        registered_th=[False, False, True, True], sda_candidate=[False, False, True, True],
        u_ia_redirect=[0.9, 0.9, 0.1, 0.9],    # patient 2 is redirected at the IA (0.45)
        u_utc_triage=[0.9, 0.9, 0.9, 0.1],     # patient 3 via the UTC triage (0.5)
        u_reattend_utc=[0.1, 0.3, 0.1, 0.1],   # after a UTC visit: 0.25
        u_reattend=[0.1, 0.1, 0.1, 0.9],       # after SDA: 0.25 today
        utc_consult_time=[15.0] * 4, utc_triage_time=[5.0] * 4,
    )
    model = run_with(cfg, table)
    acts = model.log.activities
    after_utc = (acts & BIT["gp_reattend_utc"]) != 0
    after_sda = (acts & BIT["gp_reattend"]) != 0
    # 0 is seen in the UTC and reattends; 1 is seen but does not (0.3 > 0.25);
    # 2 goes to SDA from the IA and reattends after it; 3 leaves the UTC for SDA and reattends after neither
    assert after_utc.tolist() == [True, False, False, False]
    assert after_sda.tolist() == [False, False, True, False]
    cost = patient_costs(acts, cfg.unit_costs_gbp)
    c = cfg.unit_costs_gbp
    assert cost.tolist() == pytest.approx([
        c.utc_attendance + c.gp_appointment,
        c.utc_attendance,
        c.sda_appointment + c.gp_appointment,
        c.utc_attendance + c.sda_appointment,
    ])
    k = compute_kpis(model)
    assert k["gp_reattendances_after_utc_per_week"] == 7.0  # one in one day
    assert k["gp_reattendances_after_sda_per_week"] == 7.0
    assert k["gp_reattendances_per_week"] == 14.0
    assert k["gp_reattendance_hours_per_week"] == pytest.approx(14.0 * 10 / 60)
    assert k["gp_reattendance_hours_after_utc_per_week"] == pytest.approx(7.0 * 10 / 60)


def test_reattendance_after_utc_has_its_own_stream(small_current):
    """Raising the UTC reattendance probability only adds reattenders and leaves every other draw alone."""
    from sim.model.pathway import run_replication

    low = run_replication(tweak(small_current, utc__reattend_probability=0.1), 0)
    high = run_replication(tweak(small_current, utc__reattend_probability=0.4), 0)
    assert np.array_equal(low.patients.u_reattend_utc, high.patients.u_reattend_utc)
    bit = BIT["gp_reattend_utc"]
    lo, hi = (low.log.activities & bit) != 0, (high.log.activities & bit) != 0
    assert lo.sum() < hi.sum() and not np.any(lo & ~hi)
    rest = ~bit
    assert np.array_equal(low.log.activities & rest, high.log.activities & rest)
