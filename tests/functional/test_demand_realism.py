"""Hand-checked runs of reattendance after a UTC visit, induced demand and the IA/UTC split."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.costs import patient_costs, reattendance_value
from sim.analysis.kpis import compute_kpis
from sim.model.eventlog import BIT

from ..conftest import tweak
from .helpers import patients, run_with


def test_reattendance_after_utc_and_after_sda_by_hand(current_cfg):
    """Each reattendance has its own probability and uniform; both are charged a GP appointment."""
    cfg = tweak(
        current_cfg,
        run__days=1,
        run__warmup_days=0,
        utc__clinicians=1,
        utc__reattend_probability=0.25,
        slot_diaries__gpcg_sda={
            "slots_per_day": [10] * 7,
            "session_start_hour": 9,
            "session_end_hour": 19,
            "appointment_min": 10,
            "booking_lead_min": 30,
            "hour_weights": None,
            "carve_out": None,
        },
    )
    t0 = 8 * 60.0
    table = patients(
        arrival=[t0, t0 + 1, t0 + 2, t0 + 3],
        registered_th=[False, False, True, True],
        sda_candidate=[False, False, True, True],
        u_ia_redirect=[0.9, 0.9, 0.1, 0.9],  # patient 2 is redirected at the IA (0.45)
        u_utc_triage=[0.9, 0.9, 0.9, 0.1],  # patient 3 via the UTC triage (0.5)
        u_reattend_utc=[0.1, 0.3, 0.1, 0.1],  # after a UTC visit: 0.25
        u_reattend=[0.1, 0.1, 0.1, 0.9],  # after SDA: 0.25 today
        utc_consult_time=[15.0] * 4,
        utc_triage_time=[5.0] * 4,
    )
    model = run_with(cfg, table)
    acts = model.log.activities
    after_utc = (acts & BIT["gp_reattend_utc"]) != 0
    after_sda = (acts & BIT["gp_reattend"]) != 0
    # 0 is seen in the UTC and reattends; 1 is seen but does not (0.3 > 0.25);
    # 2 goes to SDA from the IA and reattends after it; 3 leaves the UTC for SDA and reattends after neither
    assert after_utc.tolist() == [True, False, False, False]
    assert after_sda.tolist() == [False, False, True, False]
    # a reattendance is GP time: in no route cost, valued apart at the GP appointment cost
    cost = patient_costs(acts, cfg.unit_costs_gbp)
    c = cfg.unit_costs_gbp
    assert cost.tolist() == pytest.approx(
        [
            c.utc_attendance,
            c.utc_attendance,
            c.sda_appointment,
            c.utc_attendance + c.sda_appointment,
        ]
    )
    assert reattendance_value(acts, cfg.unit_costs_gbp) == pytest.approx(2 * c.gp_appointment)
    k = compute_kpis(model)
    assert k["gp_reattendances_after_utc_per_week"] == 7.0  # one in one day
    assert k["gp_reattendances_after_sda_per_week"] == 7.0
    assert k["gp_reattendances_per_week"] == 14.0
    assert k["gp_reattendance_hours_per_week"] == pytest.approx(14.0 * 10 / 60)
    assert k["gp_reattendance_hours_after_utc_per_week"] == pytest.approx(7.0 * 10 / 60)
    # one day: two reattendances a day, for a year, at the GP appointment cost; none in the total cost
    assert k["gp_reattendance_value_annual_gbp"] == pytest.approx(2 * 365 * c.gp_appointment)
    assert k["cost_total_annual_gbp"] == pytest.approx(sum(cost) * 365)


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


# ------------------------------------------------------------------ induced demand --
def test_induced_demand_by_hand(redesign_cfg):
    """Induced patients walk in for an SDA redirection or call 111 for a PCN slot; the rest use the UTC."""
    from sim.model.patients import D_OTHER, D_PRIMARY_CARE, INDUCED

    diary = {
        "slots_per_day": [10] * 7,
        "session_start_hour": 9,
        "session_end_hour": 19,
        "appointment_min": 10,
        "booking_lead_min": 30,
        "hour_weights": None,
        "carve_out": None,
    }
    cfg = tweak(
        redesign_cfg,
        run__days=1,
        run__warmup_days=0,
        utc__clinicians=1,
        utc__reattend_probability=0.0,
        slot_diaries__gpcg_sda=diary,
        slot_diaries__pcn_sda={**diary, "booking_lead_min": 60},
        slot_diaries__practice_111={**diary, "slots_per_day": [0] * 7},
    )
    t0 = 9 * 60.0
    table = patients(
        arrival=[t0, t0 + 1, t0 + 2],
        channel=[INDUCED] * 3,
        registered_th=[True] * 3,
        sda_candidate=[True, False, True],  # patient 1 is not SDA-eligible
        disposition=[D_OTHER, D_OTHER, D_PRIMARY_CARE],  # patient 2 calls 111
        utc_consult_time=[15.0] * 3,
    )
    model = run_with(cfg, table)
    log = model.log
    # slots every hour from 09:00. Patient 0 is redirected at the IA at 09:00: earliest slot >= 09:30 is 10:00
    assert log.sda_slot[0] == 600.0 and log.activities[0] & BIT["sda_gpcg"] and log.activities[0] & BIT["navigator"]
    # patient 1 is seen in the UTC
    assert log.utc_start[1] == t0 + 1 and log.utc_end[1] == t0 + 16
    # patient 2: no practice slot, the hub has ceased (X7), 111 books PCN (X4): earliest >= 10:02 is 11:00
    assert log.sda_slot[2] == 660.0 and log.activities[2] & BIT["sda_pcn"] and log.activities[2] & BIT["call_111"]
    k = compute_kpis(model)
    assert k["arrivals_per_day_induced"] == 3.0
    assert k["induced_to_sda_per_day"] == 2.0 and k["induced_to_utc_per_day"] == 1.0
    c = cfg.unit_costs_gbp
    assert k["cost_annual_gbp_induced:ia>navigator>sda_gpcg"] == pytest.approx(365 * c.sda_appointment)
    assert k["cost_annual_gbp_induced:call_111>sda_pcn"] == pytest.approx(365 * (c.nhs111_call + c.sda_appointment))


def test_induced_demand_leaves_every_other_patient_unchanged(small_redesign):
    """New patients take their own ids and streams: the others are drawn exactly as without them."""
    from sim.model.patients import INDUCED, draw_patients
    from sim.model.random_streams import RandomStreams

    horizon = small_redesign.run.days * 1440.0
    base = draw_patients(small_redesign, RandomStreams(1, 0), horizon)
    more = draw_patients(tweak(small_redesign, demand__induced__mean_per_day=20.0), RandomStreams(1, 0), horizon)
    assert base.n > 0 and not np.any(base.channel == INDUCED)
    assert more.n > base.n
    for column in ("arrival", "channel", "sda_candidate", "disposition", "u_reattend", "utc_consult_time"):
        assert np.array_equal(getattr(more, column)[: base.n], getattr(base, column)), column
    induced = more.channel == INDUCED
    assert induced.sum() == more.n - base.n
    assert np.all(more.registered_th[induced]) and np.all(more.utc_suitable[induced])
    minute = more.arrival[induced] % 1440
    assert np.all((minute >= 480) & (minute < 1200))  # during the SDA session only


def test_shipped_scenarios_have_no_induced_demand_but_the_induced_one(current_cfg, redesign_cfg):
    from sim.inputs.config import load_config

    from ..conftest import CONFIGS

    assert current_cfg.demand.induced.mean_per_day == 0 and redesign_cfg.demand.induced.mean_per_day == 0
    induced = load_config(CONFIGS / "redesign_induced_demand.yaml")
    assert induced.demand.induced.mean_per_day > 0
    assert (
        induced.model_copy(
            update={"demand": redesign_cfg.demand, "name": "redesign", "description": redesign_cfg.description}
        )
        == redesign_cfg
    )


# ------------------------------------------------------------ the IA/UTC split --
@pytest.mark.parametrize("share, via_ia, via_utc", [(0.0, [], [0, 1]), (1.0, [0, 1], [])])
def test_ia_utc_split_by_hand(current_cfg, share, via_ia, via_utc):
    """share 0: the IA nurse redirects no one and the UTC triage takes them; share 1: the reverse."""
    cfg = tweak(
        current_cfg,
        run__days=1,
        run__warmup_days=0,
        utc__clinicians=2,
        calibration__current_redirections_share_at_ia=share,
        calibration__current_redirection_propensity=0.5,
        slot_diaries__gpcg_sda={
            "slots_per_day": [10] * 7,
            "session_start_hour": 9,
            "session_end_hour": 19,
            "appointment_min": 10,
            "booking_lead_min": 30,
            "hour_weights": None,
            "carve_out": None,
        },
    )
    t0 = 9 * 60.0
    table = patients(
        arrival=[t0, t0 + 1, t0 + 2],
        registered_th=[True] * 3,
        sda_candidate=[True] * 3,
        u_ia_redirect=[0.2, 0.4, 0.6],
        u_utc_triage=[0.2, 0.4, 0.6],  # below, below, above 0.5
        utc_consult_time=[15.0] * 3,
        utc_triage_time=[5.0] * 3,
    )
    model = run_with(cfg, table)
    acts = model.log.activities
    sda = [i for i in range(3) if acts[i] & BIT["sda_gpcg"]]
    assert sda == [0, 1]  # patient 2 is above the propensity either way
    assert [i for i in sda if not acts[i] & BIT["utc"]] == via_ia
    assert [i for i in sda if acts[i] & BIT["utc"]] == via_utc


# ------------------------------------------------------------- X4 by day of week --
def test_111_no_slot_flow_split_by_weekday_and_weekend_by_hand(current_cfg):
    """One caller on Friday and two on Saturday find no slot: 1 per weekday over 5, 2 per weekend day over 2."""
    from sim.analysis.kpis import compute_kpis as kpis_of
    from sim.model.patients import D_PRIMARY_CARE, NHS111

    one_slot = {
        "slots_per_day": [1] * 7,
        "session_start_hour": 19,
        "session_end_hour": 20,
        "appointment_min": 10,
        "booking_lead_min": 60,
        "hour_weights": None,
        "carve_out": None,
    }  # a single slot at 19:00
    cfg = tweak(
        current_cfg,
        run__days=7,
        run__warmup_days=0,
        run__start_weekday=0,
        slot_diaries__practice_111=one_slot,
        slot_diaries__st_andrews_hub={**one_slot, "slots_per_day": [0] * 7},
        demand__nhs111__no_slot_to_front_door=1.0,
    )
    noon = 12 * 60.0
    fri, sat, sun = 4 * 1440 + noon, 5 * 1440 + noon, 6 * 1440 + noon
    # the first caller of a day takes the 19:00 slot; Sunday's 23:00 caller is out of hours
    table = patients(
        arrival=[fri, fri + 1, sat, sat + 1, sat + 2, sun + 11 * 60],
        channel=[NHS111] * 6,
        registered_th=[True] * 6,
        disposition=[D_PRIMARY_CARE] * 6,
        u_111_fallback=[0.5] * 6,
    )
    model = run_with(cfg, table)
    assert (model.log.activities & BIT["ia"] != 0).tolist() == [False, True, False, True, True, False]
    k = kpis_of(model)
    assert k["nhs111_no_slot_to_front_door_per_day"] == pytest.approx(3 / 7)
    assert k["nhs111_no_slot_to_front_door_per_weekday"] == pytest.approx(1 / 5)
    assert k["nhs111_no_slot_to_front_door_per_weekend_day"] == pytest.approx(2 / 2)
