"""Key performance indicators of one replication, computed from its event log.

The KPIs are a registry (:data:`KPIS`): each entry names a KPI (or a family of
KPIs sharing a prefix), its unit, the key of its words in
``sim/outputs/labels.py``, and a small function of a :class:`KpiContext` that
computes it. :func:`compute_kpis` runs the registry in order; :func:`kpi_unit`
reads a KPI's unit from it (units are data, not guessed from a name).

Only patients who arrive after the warm-up count. Per-day figures are the mean
day of a year: each day after the warm-up is weighted by its weekday's share of
a year (bank holidays as configured), so a run that is not whole weeks counts no
weekday more than a year does; annual figures are 365 mean days. Over whole
weeks without bank holidays this is the plain mean over the days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..inputs.calendar import DAYS_PER_YEAR, MIN_PER_DAY, mean_day_weights
from .costs import activity_volume_kpis, patient_costs, reattendance_value
from ..model.eventlog import BIT, OUT, REATTEND_MASK, ROUTE_MASK, route_name
from ..model.patients import CHANNELS, D_PRIMARY_CARE, GP_OVERFLOW, INDUCED

FOUR_HOURS = 240.0


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


UNSTABLE_LEFT_UNSEEN_PCT = 50.0
"""...or more than this share of a department's patients leave it without being seen."""


def unstable(in_system_at_end: float, arrivals_per_day: float, left_unseen_pct: float = 0.0) -> float:
    """1.0 if the queues grew without bound (capacity below demand somewhere), else 0.0.

    A stable pathway ends a run with a few hours' patients in it (about 0.1 day
    of arrivals on the shipped configs); one whose queues keep growing ends with
    days of them. Its waits and costs describe an arbitrary moment of an endless
    build-up, not a steady state, so comparisons involving it mean nothing.
    Where patients give up waiting, a queue cannot grow without bound: there a
    department that most of its patients leave unseen (``left_unseen_pct``, the
    larger of the UTC's and the ED's) is as far from working.
    """
    backlog = max(UNSTABLE_MIN_PATIENTS, UNSTABLE_DAYS_QUEUED * arrivals_per_day)
    overwhelmed = left_unseen_pct > UNSTABLE_LEFT_UNSEEN_PCT
    return 1.0 if in_system_at_end > backlog or overwhelmed else 0.0


def _wait_kpis(prefix: str, waits: np.ndarray) -> dict[str, float]:
    return {f"{prefix}_mean_min": _mean(waits), f"{prefix}_p90_min": _p90(waits)}


DIARIES = ("gpcg", "pcn")
"""The SDA diaries whose slot use is measured (``gpcg_sda``, ``pcn_sda``)."""


class KpiContext:
    """What the KPI functions of one finished replication share: patients after warm-up, weights, flags.

    Per-day figures are the mean day of a year: ``per_day(flags)`` weights each
    patient by the day they arrive (see :func:`sim.inputs.calendar.mean_day_weights`).
    """

    def __init__(self, model):
        self.model = model
        self.cfg, self.P, self.log = model.cfg, model.patients, model.log
        run = self.cfg.run
        self.horizon = model.horizon
        self.m = self.P.arrival >= run.warmup_days * MIN_PER_DAY
        self.acts = self.log.activities[self.m]
        self.chan = self.P.channel[self.m]
        # each KPI day's weight in the mean day of a year, and each patient's (by the day they arrive)
        self.kpi_types = np.asarray(model.day_types)[run.warmup_days :]
        self.day_weight = mean_day_weights(self.kpi_types, run.year_shares())
        self.arrival_day = (self.P.arrival[self.m] // MIN_PER_DAY).astype(np.int64) - run.warmup_days
        self.weight = self.day_weight[self.arrival_day]

    def has(self, activity: str) -> np.ndarray:
        """Whether each patient used ``activity``."""
        return (self.acts & BIT[activity]) != 0

    def per_day(self, flags: np.ndarray) -> float:
        """Patients flagged, a mean day of a year."""
        return float(self.weight[flags].sum())

    def col(self, name: str) -> np.ndarray:
        """An event-log column for the patients after warm-up."""
        return getattr(self.log, name)[self.m]

    @cached_property
    def no_slot_111(self) -> np.ndarray:
        """111 primary-care callers sent to A&E/UTC for want of a slot."""
        return self.has("call_111") & self.has("ia") & (self.P.disposition[self.m] == D_PRIMARY_CARE)

    @cached_property
    def door(self) -> np.ndarray:
        return self.col("door_arrival")

    @cached_property
    def left(self) -> np.ndarray:
        return self.col("left_unseen")

    def diary(self, label: str):
        """Slot times after warm-up, their booked flags and day weights, of ``gpcg`` or ``pcn``."""
        book = self.model.gpcg_sda if label == "gpcg" else self.model.pcn_sda
        times, booked = book.slot_times(), book.booked_flags()
        keep = times >= self.cfg.run.warmup_days * MIN_PER_DAY
        weight = self.day_weight[(times[keep] // MIN_PER_DAY).astype(np.int64) - self.cfg.run.warmup_days]
        return book, times[keep], booked[keep], weight

    @cached_property
    def cost(self) -> np.ndarray:
        """Each patient's route cost as a share of the mean day."""
        return patient_costs(self.acts, self.cfg.unit_costs_gbp) * self.weight


@dataclass(frozen=True)
class Kpi:
    """One KPI, or a family of KPIs sharing a name prefix, in the registry.

    Attributes
    ----------
    name : str
        The KPI's name; for a family, the prefix its names share.
    unit : str
        Its unit in words (``a day``, ``%``, ``minutes``, ``GBP a year``...).
    label : str
        Key of its words in ``sim/outputs/labels.py`` (a family's members are labelled by pattern).
    compute : callable
        ``compute(context, kpis_so_far)``: a number, or for a family a ``{name: value}`` mapping.
    family : bool
        The entry yields several KPIs named ``name...``.
    """

    name: str
    unit: str
    label: str
    compute: Callable[[KpiContext, dict], float | dict[str, float]]
    family: bool = False


KPIS: list[Kpi] = []
"""The registry, in the order the KPIs are reported."""


def kpi(name: str, unit: str, label: str | None = None, family: bool = False):
    """Register the decorated function as the KPI (or family) ``name``."""

    def register(fn):
        KPIS.append(Kpi(name, unit, label or name, fn, family))
        return fn

    return register


def _per_day_kpi(name: str, flags: Callable[[KpiContext], np.ndarray]) -> None:
    KPIS.append(Kpi(name, "a day", name, lambda c, k: c.per_day(flags(c))))


# ------------------------------------------------------------------ flows --
kpi("arrivals_per_day", "a day")(lambda c, k: float(c.weight.sum()))
kpi("arrivals_per_day_", "a day", family=True)(
    lambda c, k: {f"arrivals_per_day_{label}": c.per_day(c.chan == code) for code, label in enumerate(CHANNELS)}
)
_per_day_kpi("front_door_arrivals_per_day", lambda c: c.has("ia"))
_per_day_kpi("utc_attendances_per_day", lambda c: c.has("utc"))
_per_day_kpi("ed_attendances_per_day", lambda c: c.has("ed"))
_per_day_kpi("sda_redirections_front_door_per_day", lambda c: c.has("sda_gpcg"))
_per_day_kpi("sda_redirections_ia_per_day", lambda c: c.has("sda_gpcg") & ~c.has("utc"))
_per_day_kpi("sda_redirections_utc_per_day", lambda c: c.has("sda_gpcg") & c.has("utc"))
_per_day_kpi("sda_bookings_111_per_day", lambda c: c.has("sda_pcn") & c.has("call_111"))
_per_day_kpi("sda_bookings_overflow_per_day", lambda c: c.has("sda_pcn") & ~c.has("call_111"))
_per_day_kpi("sda_no_slot_per_day", lambda c: c.col("sda_no_slot"))
_per_day_kpi("nhs111_no_slot_to_front_door_per_day", lambda c: c.no_slot_111)


def _on_days(c: KpiContext, weekend: bool) -> float:
    """111 callers sent to A&E/UTC for want of a slot, a weekday or a weekend day (bank holidays as they run)."""
    days = int(np.count_nonzero((c.kpi_types >= 5) == weekend))
    at_weekend = c.kpi_types[c.arrival_day] >= 5
    return float(np.count_nonzero(c.no_slot_111 & (at_weekend == weekend))) / days if days else float("nan")


kpi("nhs111_no_slot_to_front_door_per_weekday", "a weekday")(lambda c, k: _on_days(c, weekend=False))
kpi("nhs111_no_slot_to_front_door_per_weekend_day", "a weekend day")(lambda c, k: _on_days(c, weekend=True))
_per_day_kpi("overflow_to_front_door_per_day", lambda c: (c.chan == GP_OVERFLOW) & c.has("ia") & ~c.has("call_111"))
_per_day_kpi("pharmacy_first_per_day", lambda c: c.has("pharmacy"))
_per_day_kpi("induced_to_sda_per_day", lambda c: (c.chan == INDUCED) & (c.has("sda_gpcg") | c.has("sda_pcn")))
_per_day_kpi("induced_to_utc_per_day", lambda c: (c.chan == INDUCED) & c.has("utc") & ~c.has("sda_gpcg"))


# ------------------------------------------------------------ slot diaries --
@kpi("sda_slot_utilisation_pct_", "%", family=True)
def _diaries(c: KpiContext, k: dict) -> dict[str, float]:
    """Per diary: slots used, unused a day (and by hour), refused while a slot stood unused; slots after warm-up."""
    out: dict[str, float] = {}
    for label in DIARIES:
        book, times, booked, weight = c.diary(label)
        n_slots, n_booked = times.size, int(booked.sum())
        unused = ~booked
        out[f"sda_slot_utilisation_pct_{label}"] = 100.0 * n_booked / n_slots if n_slots else float("nan")
        out[f"sda_unused_slots_per_day_{label}"] = float(weight[unused].sum())
        hour = ((times % MIN_PER_DAY) // 60).astype(np.int64)
        by_hour = np.bincount(hour[unused], weights=weight[unused], minlength=24)
        for h in range(24):
            out[f"sda_unused_slots_per_day_{label}_h{h:02d}"] = float(by_hour[h])
        out[f"sda_refused_while_unused_per_day_{label}"] = book.refused_while_unused(
            c.cfg.run.warmup_days, c.day_weight
        )
    return out


@kpi("sda_slot_utilisation_pct", "%")
def _utilisation(c: KpiContext, k: dict) -> float:
    slots = booked = 0
    for label in DIARIES:
        _, times, flags, _ = c.diary(label)
        slots, booked = slots + times.size, booked + int(flags.sum())
    return 100.0 * booked / slots if slots else float("nan")


kpi("sda_unused_slots_per_day", "a day")(lambda c, k: sum(k[f"sda_unused_slots_per_day_{label}"] for label in DIARIES))
kpi("sda_refused_while_unused_per_day", "a day")(
    lambda c, k: sum(k[f"sda_refused_while_unused_per_day_{label}"] for label in DIARIES)
)


# ------------------------------------------------------------------ waits --
@kpi("ia_wait_", "minutes", family=True)
def _ia(c: KpiContext, k: dict) -> dict[str, float]:
    ia_start = c.col("ia_start")
    seen = ~np.isnan(ia_start)
    out = _wait_kpis("ia_wait", (ia_start - c.door)[seen])
    # patients still waiting for the nurse at the end count once they have waited 15 min;
    # NaN only when nobody came to the front door
    at_door = ~np.isnan(c.door)
    out["ia_within_15min_pct"] = _pct(_within(c.door[at_door], ia_start[at_door], c.horizon, 15.0))
    return out


@kpi("utc_wait_", "minutes", family=True)
def _utc(c: KpiContext, k: dict) -> dict[str, float]:
    start, end = c.col("utc_start"), c.col("utc_end")
    out = _wait_kpis("utc_wait", (start - c.col("utc_join"))[~np.isnan(start)])
    utc = c.has("utc")
    out.update(_wait_kpis("utc_time_in_dept", (end - c.door)[utc & ~np.isnan(end)]))
    # a patient who left unseen left the department then: in the 4-hour count, as the NHS counts them
    out_at = np.where(~np.isnan(c.left), c.left, end)
    out["utc_within_4h_pct"] = _pct(_within(c.door[utc], out_at[utc], c.horizon, FOUR_HOURS))
    return out


@kpi("ed_wait_", "minutes", family=True)
def _ed(c: KpiContext, k: dict) -> dict[str, float]:
    start = c.col("ed_start")
    out = _wait_kpis("ed_wait", (start - c.col("ed_join"))[~np.isnan(start)])
    ed = c.has("ed")
    out_at = np.where(~np.isnan(c.left), c.left, c.col("ed_end"))
    out["ed_within_4h_pct"] = _pct(_within(c.door[ed], out_at[ed], c.horizon, FOUR_HOURS))
    return out


kpi("utc_left_unseen_pct", "%")(lambda c, k: _pct(~np.isnan(c.left)[c.has("utc")]))
kpi("ed_left_unseen_pct", "%")(lambda c, k: _pct(~np.isnan(c.left)[c.has("ed")]))
kpi("left_unseen_per_day", "a day")(lambda c, k: c.per_day(~np.isnan(c.left)))
kpi("redirected_time_to_slot_", "minutes", family=True)(
    lambda c, k: _wait_kpis("redirected_time_to_slot", (c.col("sda_slot") - c.door)[c.has("sda_gpcg")])
)
kpi("pcn_time_to_slot_", "minutes", family=True)(
    lambda c, k: _wait_kpis("pcn_time_to_slot", (c.col("sda_slot") - c.P.arrival[c.m])[c.has("sda_pcn")])
)


# ------------------------------------------------------- GP reattendances --
@kpi("gp_reattendances_per_week", "a week")
def _reattendances(c: KpiContext, k: dict) -> dict[str, float]:
    hours_each = c.cfg.sda_consultation.gp_appointment_min / 60.0
    after_sda, after_utc = 7.0 * c.per_day(c.has("gp_reattend")), 7.0 * c.per_day(c.has("gp_reattend_utc"))
    return {
        "gp_reattendances_per_week": after_sda + after_utc,
        "gp_reattendances_after_sda_per_week": after_sda,
        "gp_reattendances_after_utc_per_week": after_utc,
        "gp_reattendance_hours_per_week": (after_sda + after_utc) * hours_each,
        "gp_reattendance_hours_after_sda_per_week": after_sda * hours_each,
        "gp_reattendance_hours_after_utc_per_week": after_utc * hours_each,
    }


# -------------------------------------------------------------- stability --
kpi("in_system_at_end", "count")(lambda c, k: float(np.count_nonzero(c.log.outcome == OUT["in_system"])))


@kpi("unstable", "count")
def _unstable(c: KpiContext, k: dict) -> float:
    left_pct = np.nan_to_num([k["utc_left_unseen_pct"], k["ed_left_unseen_pct"]])
    return unstable(k["in_system_at_end"], k["arrivals_per_day"], float(max(left_pct)))


# ------------------------------------------------------------------ costs --
kpi("cost_total_annual_gbp", "GBP a year")(lambda c, k: float(c.cost.sum()) * DAYS_PER_YEAR)


@kpi("gp_reattendance_value_annual_gbp", "GBP a year")
def _reattendance_value(c: KpiContext, k: dict) -> float:
    # every reattendance has the same value: the total over the patients, as a share of the mean day
    reattend = (c.acts & REATTEND_MASK) != 0
    each = reattendance_value(c.acts[reattend], c.cfg.unit_costs_gbp) / reattend.sum() if reattend.any() else 0.0
    return float(each * float(c.weight[reattend].sum()) * DAYS_PER_YEAR)


@kpi("cost_annual_gbp_", "GBP a year", family=True)
def _routes(c: KpiContext, k: dict) -> dict[str, float]:
    """Annual cost and patients a day of each route (channel and services used)."""
    route_key = c.chan.astype(np.int64) * (1 << 20) + (c.acts & ROUTE_MASK)
    keys, inverse = np.unique(route_key, return_inverse=True)
    route_cost = np.bincount(inverse, weights=c.cost, minlength=keys.size)
    route_count = np.bincount(inverse, weights=c.weight, minlength=keys.size)
    out: dict[str, float] = {}
    for key, cost, n in zip(keys.tolist(), route_cost.tolist(), route_count.tolist()):
        name = route_name(key >> 20, key & ((1 << 20) - 1))
        out[f"cost_annual_gbp_{name}"] = cost * DAYS_PER_YEAR
        out[f"volume_per_day_{name}"] = n
    return out


@kpi("activity_per_day_", "a day", family=True)
def _activity_volumes(c: KpiContext, k: dict) -> dict[str, float]:
    """Patients a day using each activity, per arrival channel: the line volumes of the costing table."""
    return activity_volume_kpis(c.acts, c.chan, c.weight)


UNITS: dict[str, str] = {
    "sda_unused_slots_per_day_": "a day",
    "sda_refused_while_unused_per_day_": "a day",
    "ia_within_15min_pct": "%",
    "utc_within_4h_pct": "%",
    "ed_within_4h_pct": "%",
    "gp_reattendances_": "a week",
    "gp_reattendance_hours_": "hours a week",
    "volume_per_day_": "a day",
    "utc_time_in_dept_": "minutes",
}
"""Units of the KPIs a family yields beside its own prefix's (longest matching prefix wins)."""
UNITS.update({entry.name: entry.unit for entry in KPIS})


def kpi_unit(name: str) -> str | None:
    """The unit of KPI ``name`` from the registry (its own entry, else its family's), or ``None``."""
    if name in UNITS:
        return UNITS[name]
    prefixes = [p for p in UNITS if p.endswith("_") and name.startswith(p)]
    return UNITS[max(prefixes, key=len)] if prefixes else None


def compute_kpis(model) -> dict[str, float]:
    """All KPIs of a finished ``PathwayModel`` as a flat ``{name: value}`` mapping, in registry order."""
    context = KpiContext(model)
    k: dict[str, float] = {}
    for entry in KPIS:
        value = entry.compute(context, k)
        if entry.family or isinstance(value, dict):
            k.update(value)
        else:
            k[entry.name] = value
    return k
