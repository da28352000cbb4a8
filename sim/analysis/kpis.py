"""Key performance indicators of one replication, computed from its event log.

Only patients who arrive after the warm-up count; per-day figures divide by the
days after warm-up, annual costs scale them to 365 days.
"""

from __future__ import annotations

import numpy as np

from ..inputs.calendar import MIN_PER_DAY, weekday_of_day
from .costs import activity_volume_kpis, patient_costs, reattendance_value
from ..model.eventlog import BIT, OUT, ROUTE_MASK, route_name
from ..model.patients import CHANNELS, D_PRIMARY_CARE, GP_OVERFLOW, INDUCED

FOUR_HOURS = 240.0
DAYS_PER_YEAR = 365.0


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if x.size else float("nan")


def _p90(x: np.ndarray) -> float:
    return float(np.percentile(x, 90)) if x.size else float("nan")


def _pct(flags: np.ndarray) -> float:
    return 100.0 * float(np.mean(flags)) if flags.size else float("nan")


def _within(start: np.ndarray, end: np.ndarray, horizon: float, limit: float) -> np.ndarray:
    """Whether each stay ended within ``limit``; unfinished stays count once they pass it."""
    finished = ~np.isnan(end)
    breached_open = ~finished & (horizon - start > limit)
    keep = finished | breached_open
    return (finished & (end - start <= limit))[keep]


UNSTABLE_DAYS_QUEUED = 0.5
"""A run is unstable if more than this many days' arrivals are still in the pathway at its end."""
UNSTABLE_MIN_PATIENTS = 50
"""...and more than this many patients (a quiet scenario's end-of-run queue is not a backlog)."""


def unstable(in_system_at_end: float, arrivals_per_day: float) -> float:
    """1.0 if the queues grew without bound (capacity below demand somewhere), else 0.0.

    A stable pathway ends a run with a few hours' patients in it (about 0.1 day
    of arrivals on the shipped configs); one whose queues keep growing ends with
    days of them. Its waits and costs describe an arbitrary moment of an endless
    build-up, not a steady state, so comparisons involving it mean nothing.
    """
    backlog = max(UNSTABLE_MIN_PATIENTS, UNSTABLE_DAYS_QUEUED * arrivals_per_day)
    return 1.0 if in_system_at_end > backlog else 0.0


def _wait_kpis(prefix: str, waits: np.ndarray) -> dict[str, float]:
    return {f"{prefix}_mean_min": _mean(waits), f"{prefix}_p90_min": _p90(waits)}


def compute_kpis(model) -> dict[str, float]:
    """All KPIs of a finished ``PathwayModel`` as a flat ``{name: value}`` mapping."""
    cfg, P, log = model.cfg, model.patients, model.log
    warmup = cfg.run.warmup_days * MIN_PER_DAY
    horizon = model.horizon
    days = cfg.run.days - cfg.run.warmup_days
    m = P.arrival >= warmup
    acts = log.activities[m]
    chan = P.channel[m]
    has = lambda name: (acts & BIT[name]) != 0  # noqa: E731
    per_day = lambda flags: float(np.count_nonzero(flags)) / days  # noqa: E731

    k: dict[str, float] = {"arrivals_per_day": float(m.sum()) / days}
    for code, label in enumerate(CHANNELS):
        k[f"arrivals_per_day_{label}"] = per_day(chan == code)
    k["front_door_arrivals_per_day"] = per_day(has("ia"))
    k["utc_attendances_per_day"] = per_day(has("utc"))
    k["ed_attendances_per_day"] = per_day(has("ed"))
    gpcg, pcn, call = has("sda_gpcg"), has("sda_pcn"), has("call_111")
    k["sda_redirections_front_door_per_day"] = per_day(gpcg)
    k["sda_redirections_ia_per_day"] = per_day(gpcg & ~has("utc"))
    k["sda_redirections_utc_per_day"] = per_day(gpcg & has("utc"))
    k["sda_bookings_111_per_day"] = per_day(pcn & call)
    k["sda_bookings_overflow_per_day"] = per_day(pcn & ~call)
    k["sda_no_slot_per_day"] = per_day(log.sda_no_slot[m])
    no_slot_111 = call & has("ia") & (P.disposition[m] == D_PRIMARY_CARE)
    k["nhs111_no_slot_to_front_door_per_day"] = per_day(no_slot_111)
    # the same, on weekdays (Mon-Fri) and at weekends, by the day of the call
    kpi_days = np.arange(cfg.run.warmup_days, cfg.run.days)
    weekend_day = weekday_of_day(kpi_days, cfg.run.start_weekday) >= 5
    at_weekend = weekday_of_day(P.arrival[m] // MIN_PER_DAY, cfg.run.start_weekday) >= 5
    n_weekend = int(weekend_day.sum())
    n_weekday = kpi_days.size - n_weekend
    k["nhs111_no_slot_to_front_door_per_weekday"] = (
        float(np.count_nonzero(no_slot_111 & ~at_weekend)) / n_weekday if n_weekday else float("nan"))
    k["nhs111_no_slot_to_front_door_per_weekend_day"] = (
        float(np.count_nonzero(no_slot_111 & at_weekend)) / n_weekend if n_weekend else float("nan"))
    k["overflow_to_front_door_per_day"] = per_day((chan == GP_OVERFLOW) & has("ia") & ~call)
    k["pharmacy_first_per_day"] = per_day(has("pharmacy"))
    induced = chan == INDUCED
    k["induced_to_sda_per_day"] = per_day(induced & (gpcg | pcn))
    k["induced_to_utc_per_day"] = per_day(induced & has("utc") & ~gpcg)

    # slot diaries: slots whose start falls after warm-up
    total_slots = total_booked = total_refused = 0
    for label, diary in (("gpcg", model.gpcg_sda), ("pcn", model.pcn_sda)):
        times, booked = diary.slot_times(), diary.booked_flags()
        keep = times >= warmup
        n_slots, n_booked = int(keep.sum()), int(booked[keep].sum())
        total_slots += n_slots
        total_booked += n_booked
        k[f"sda_slot_utilisation_pct_{label}"] = 100.0 * n_booked / n_slots if n_slots else float("nan")
        k[f"sda_unused_slots_per_day_{label}"] = (n_slots - n_booked) / days
        hour = ((times[keep] % MIN_PER_DAY) // 60).astype(np.int64)
        unused_by_hour = np.bincount(hour[~booked[keep]], minlength=24)
        for h in range(24):
            k[f"sda_unused_slots_per_day_{label}_h{h:02d}"] = float(unused_by_hour[h]) / days
        refused = diary.refused_while_unused(cfg.run.warmup_days)
        total_refused += refused
        k[f"sda_refused_while_unused_per_day_{label}"] = refused / days
    k["sda_slot_utilisation_pct"] = 100.0 * total_booked / total_slots if total_slots else float("nan")
    k["sda_unused_slots_per_day"] = (total_slots - total_booked) / days
    k["sda_refused_while_unused_per_day"] = total_refused / days

    door = log.door_arrival[m]
    ia_start = log.ia_start[m]
    seen_ia = ~np.isnan(ia_start)
    ia_wait = (ia_start - door)[seen_ia]
    k.update(_wait_kpis("ia_wait", ia_wait))
    # patients still waiting for the nurse at the end count once they have waited 15 min;
    # NaN only when nobody came to the front door
    at_door = ~np.isnan(door)
    k["ia_within_15min_pct"] = _pct(_within(door[at_door], ia_start[at_door], horizon, 15.0))

    utc_started = ~np.isnan(log.utc_start[m])
    k.update(_wait_kpis("utc_wait", (log.utc_start[m] - log.utc_join[m])[utc_started]))
    utc = has("utc")
    utc_stay = (log.utc_end[m] - door)[utc & ~np.isnan(log.utc_end[m])]
    k.update(_wait_kpis("utc_time_in_dept", utc_stay))
    k["utc_within_4h_pct"] = _pct(_within(door[utc], log.utc_end[m][utc], horizon, FOUR_HOURS))

    ed_started = ~np.isnan(log.ed_start[m])
    k.update(_wait_kpis("ed_wait", (log.ed_start[m] - log.ed_join[m])[ed_started]))
    ed = has("ed")
    k["ed_within_4h_pct"] = _pct(_within(door[ed], log.ed_end[m][ed], horizon, FOUR_HOURS))

    k.update(_wait_kpis("redirected_time_to_slot", (log.sda_slot[m] - door)[gpcg]))
    k.update(_wait_kpis("pcn_time_to_slot", (log.sda_slot[m] - P.arrival[m])[pcn]))

    hours_each = cfg.sda_consultation.gp_appointment_min / 60.0
    after_sda, after_utc = 7.0 * per_day(has("gp_reattend")), 7.0 * per_day(has("gp_reattend_utc"))
    k["gp_reattendances_per_week"] = after_sda + after_utc
    k["gp_reattendances_after_sda_per_week"] = after_sda
    k["gp_reattendances_after_utc_per_week"] = after_utc
    k["gp_reattendance_hours_per_week"] = (after_sda + after_utc) * hours_each
    k["gp_reattendance_hours_after_sda_per_week"] = after_sda * hours_each
    k["gp_reattendance_hours_after_utc_per_week"] = after_utc * hours_each
    k["in_system_at_end"] = float(np.count_nonzero(log.outcome == OUT["in_system"]))
    k["unstable"] = unstable(k["in_system_at_end"], k["arrivals_per_day"])

    # costs by route, annualised
    cost = patient_costs(acts, cfg.unit_costs_gbp)
    scale = DAYS_PER_YEAR / days
    k["cost_total_annual_gbp"] = float(cost.sum()) * scale
    k["gp_reattendance_value_annual_gbp"] = reattendance_value(acts, cfg.unit_costs_gbp) * scale
    # line volumes for the costing table: each activity bit a day, per channel (sim/analysis/costs.py)
    k.update(activity_volume_kpis(acts, chan, days))
    route_key = chan.astype(np.int64) * (1 << 20) + (acts & ROUTE_MASK)
    keys, inverse = np.unique(route_key, return_inverse=True)
    route_cost = np.bincount(inverse, weights=cost, minlength=keys.size)
    route_count = np.bincount(inverse, minlength=keys.size)
    for key, c, n in zip(keys.tolist(), route_cost.tolist(), route_count.tolist()):
        name = route_name(key >> 20, key & ((1 << 20) - 1))
        k[f"cost_annual_gbp_{name}"] = c * scale
        k[f"volume_per_day_{name}"] = n / days
    return k
