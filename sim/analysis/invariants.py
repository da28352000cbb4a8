"""Checks run on every replication: a model that loses patients or overbooks a slot stops here.

Each check is cheap (vectorised over the event log) and raises ``InvariantError``
with a one-line description of what broke.
"""

from __future__ import annotations

import math

import numpy as np

from ..inputs.calendar import MIN_PER_DAY
from ..model.eventlog import BIT, OUT
from ..model.slots import NHS111_POOL, OVERFLOW_POOL

TOLERANCE_MIN = 1e-6


class InvariantError(RuntimeError):
    """The model broke one of its own accounting rules (a bug, not bad input)."""


def _ordered(log, P, pairs) -> None:
    for earlier, later in pairs:
        a = P.arrival if earlier == "arrival" else getattr(log, earlier)
        b = getattr(log, later)
        both = ~np.isnan(a) & ~np.isnan(b)
        bad = both & (b < a - TOLERANCE_MIN)
        if bad.any():
            pid = int(np.flatnonzero(bad)[0])
            raise InvariantError(f"patient {pid}: {later} ({b[pid]:.3f}) before {earlier} ({a[pid]:.3f})")


def check_model(model) -> None:
    """Conservation of patients, slot bookings and timestamp order of a finished run."""
    P, log = model.patients, model.log
    if P.arrival.size and (np.any(P.arrival < 0) or np.any(P.arrival >= model.horizon)):
        raise InvariantError("an arrival lies outside the run")
    # every arrival ends in exactly one outcome, or is still in the system
    in_system = log.outcome == OUT["in_system"]
    unfinished = np.isnan(log.end)
    if np.any(in_system != unfinished):
        pid = int(np.flatnonzero(in_system != unfinished)[0])
        raise InvariantError(f"patient {pid}: outcome and end time disagree")
    for outcome, bits in (("ed", ("ed",)), ("utc", ("utc",)), ("sda", ("sda_gpcg", "sda_pcn"))):
        mask = sum(BIT[b] for b in bits)
        bad = (log.outcome == OUT[outcome]) & ((log.activities & mask) == 0)
        if bad.any():
            raise InvariantError(f"patient {int(np.flatnonzero(bad)[0])}: outcome {outcome} without that service")
    # slots: each booked once, bookings match the patients who hold them
    for diary, activity in (
        (model.gpcg_sda, "sda_gpcg"),
        (model.pcn_sda, "sda_pcn"),
        (model.practice_111, "practice_111"),
        (model.st_andrews_hub, "hub_111"),
    ):
        booked = int(diary.booked_flags().sum())
        holders = int(np.count_nonzero(log.activities & BIT[activity]))
        if booked != holders:
            raise InvariantError(f"{diary.name}: {booked} slots booked but {holders} patients hold one")
    # a carved-out PCN diary: its 111 share holds the 111 callers, the rest the practice overflow
    pools = model.pcn_sda.pools
    if NHS111_POOL in pools:
        pcn = (log.activities & BIT["sda_pcn"]) != 0
        call = (log.activities & BIT["call_111"]) != 0
        for pool, holders in ((NHS111_POOL, pcn & call), (OVERFLOW_POOL, pcn & ~call)):
            booked = sum(int(b.sum()) for b in pools[pool].booked)
            if booked != int(holders.sum()):
                raise InvariantError(
                    f"pcn_sda {pool} share: {booked} slots booked but {int(holders.sum())} patients hold one"
                )
    # a slot is booked for the same day, or the next at most
    late = log.sda_slot - log.sda_booked_at
    if np.any(late[~np.isnan(late)] >= 2 * MIN_PER_DAY):
        raise InvariantError(f"patient {int(np.flatnonzero(late >= 2 * MIN_PER_DAY)[0])}: slot more than a day ahead")
    # staffed places: patients served agree with the log
    for station, column in ((model.utc, "utc_end"), (model.ed, "ed_end"), (model.ia_nurse, "ia_end")):
        logged = int(np.count_nonzero(~np.isnan(getattr(log, column))))
        if station.served != logged:
            raise InvariantError(f"{station.name}: served {station.served} but the log shows {logged}")
    # timestamps: none negative, each step after the one before
    for name in ("door_arrival", "ia_start", "utc_start", "ed_start", "sda_slot", "end"):
        values = getattr(log, name)
        if np.any(values[~np.isnan(values)] < 0):
            raise InvariantError(f"negative {name} time")
    _ordered(
        log,
        P,
        [
            ("arrival", "door_arrival"),
            ("door_arrival", "ia_start"),
            ("ia_start", "ia_end"),
            ("ia_end", "utc_join"),
            ("utc_join", "utc_start"),
            ("utc_start", "utc_end"),
            ("ia_end", "ed_join"),
            ("ed_join", "ed_start"),
            ("ed_start", "ed_end"),
            ("arrival", "sda_booked_at"),
            ("sda_booked_at", "sda_slot"),
            ("sda_slot", "end"),
            ("utc_end", "end"),
            ("ed_end", "end"),
            ("arrival", "end"),
            ("utc_join", "left_unseen"),
            ("ed_join", "left_unseen"),
            ("left_unseen", "end"),
        ],
    )
    # a patient who left unseen was never seen where they waited
    left = ~np.isnan(log.left_unseen)
    seen = ~np.isnan(log.utc_start) | ~np.isnan(log.ed_start)
    if np.any(left & seen):
        raise InvariantError(f"patient {int(np.flatnonzero(left & seen)[0])}: left unseen but was seen")
    if model.utc.left + model.ed.left > int(left.sum()):
        raise InvariantError(
            f"{model.utc.left + model.ed.left} patients left the queues, the log shows {int(left.sum())}"
        )


def check_kpis(kpis: dict[str, float], model) -> None:
    """Route costs add up to the total; route volumes add up to the arrivals."""
    route_costs = sum(v for k, v in kpis.items() if k.startswith("cost_annual_gbp_"))
    total = kpis["cost_total_annual_gbp"]
    if not (math.isfinite(total) and math.isfinite(route_costs)):  # inf - inf is NaN, which passes any comparison
        raise InvariantError(f"costs are not finite: total {total}, route costs sum to {route_costs}")
    if abs(route_costs - total) > 1e-6 * max(1.0, abs(total)):
        raise InvariantError(f"route costs sum to {route_costs:.2f}, total is {total:.2f}")
    volumes = sum(v for k, v in kpis.items() if k.startswith("volume_per_day_"))
    if abs(volumes - kpis["arrivals_per_day"]) > 1e-9 * max(1.0, volumes):
        raise InvariantError(f"route volumes sum to {volumes:.4f}/day, arrivals are {kpis['arrivals_per_day']:.4f}/day")
