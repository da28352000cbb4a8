"""Costs from the one costing table: line volumes, route costs and every saving.

``configs/costing.yaml`` (``sim.inputs.costing``) says for each line of activity
which event-log activities it counts, which ``unit_costs_gbp`` field prices it,
and its basis. Everything here reads that table:

- :func:`activity_volume_kpis` counts each activity bit per channel a day (the
  KPIs ``activity_per_day_<channel>:<activity>``), so line volumes come from the
  event log's bits, not from route names read back;
- :func:`patient_costs` prices each patient's route on the money lines only. GP
  time (GP practice, hub and next-day appointments, and reattendances) is paid by
  capitation: it is out of the route cost and of every money saving, reported in
  GP hours and valued apart (:func:`gp_time_value`). So the pathway cost ``compare``
  prints (``cost_total_annual_gbp``) moves by exactly the business case's gross saving;
- :func:`line_savings` is the one function that turns two arms' line volumes into
  every saving: gross (activity), net (new capacity as paid) and cash (only what
  payments change by), line by line, with the GP hours apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..inputs.calendar import DAYS_PER_YEAR
from ..inputs.config import UnitCosts
from ..inputs.costing import CostingTable, shipped_costing
from ..model.eventlog import ACTIVITIES, BIT
from ..model.patients import CHANNELS

if TYPE_CHECKING:  # pandas is imported where tables are made, so a run starts fast
    import pandas as pd

ACTIVITY_KPI_PREFIX = "activity_per_day_"
"""KPIs ``activity_per_day_<channel>:<activity>``: patients a day whose route used the activity."""
MEASURES = ("gross", "net", "cash")


def activity_kpi(channel: str, activity: str) -> str:
    """The KPI name of one activity's volume a day on one channel."""
    return f"{ACTIVITY_KPI_PREFIX}{channel}:{activity}"


def activity_volume_kpis(activities: np.ndarray, channels: np.ndarray, weight: np.ndarray | float) -> dict[str, float]:
    """Patients a day using each activity, per arrival channel (every pair, zeros included).

    Parameters
    ----------
    activities : ndarray of int
        Each patient's activity bit mask (the event log's ``activities``).
    channels : ndarray of int
        Each patient's arrival channel (an index into ``CHANNELS``).
    weight : ndarray of float, or float
        Each patient's share of the mean day of a year (``sim/analysis/kpis.py``); one
        number for all, ``1 / days``, when every day of the run counts alike.
    """
    weight = np.broadcast_to(np.asarray(weight, dtype=float), activities.shape)
    out = {}
    for code, channel in enumerate(CHANNELS):
        mine = channels == code
        acts, w = activities[mine], weight[mine]
        for activity in ACTIVITIES:
            out[activity_kpi(channel, activity)] = float(w[(acts & BIT[activity]) != 0].sum())
    return out


def activity_prices(
    unit_costs: UnitCosts, costing: CostingTable | None = None, bases: Iterable[str] | None = None
) -> dict[str, float]:
    """Price of each activity on the lines whose basis is in ``bases`` (default: the money lines)."""
    costing = costing or shipped_costing()
    prices = unit_costs.model_dump()
    keep = set(bases) if bases is not None else None
    out = {}
    for line in costing.lines.values():
        money = line.basis in ("tariff", "block", "commissioned", "fixed")
        if (keep is None and money) or (keep is not None and line.basis in keep):
            for activity in line.activities:
                out[activity] = float(prices[line.price]) if line.price else 0.0
    return out


def patient_costs(activities: np.ndarray, unit_costs: UnitCosts, costing: CostingTable | None = None) -> np.ndarray:
    """Cost in GBP of each patient's route, on the money lines (GP time out)."""
    cost = np.zeros(activities.shape, dtype=float)
    for activity, price in activity_prices(unit_costs, costing).items():
        if price:
            cost += ((activities & BIT[activity]) != 0) * price
    return cost


def gp_time_value(
    activities: np.ndarray,
    unit_costs: UnitCosts,
    costing: CostingTable | None = None,
    lines: Iterable[str] | None = None,
) -> float:
    """Value in GBP of the GP time among ``activities`` (capitation lines; not cash, in no saving).

    ``lines``: only these GP time lines (default: every capitation line).
    """
    costing = costing or shipped_costing()
    prices = unit_costs.model_dump()
    total = 0.0
    for name in costing.gp_time_lines():
        if lines is not None and name not in lines:
            continue
        line = costing.lines[name]
        mask = 0
        for activity in line.activities:
            mask |= BIT[activity]
        total += float(np.count_nonzero(activities & mask)) * prices[line.price]
    return total


def reattendance_value(activities: np.ndarray, unit_costs: UnitCosts) -> float:
    """Value in GBP of the GP reattendances among ``activities`` (GP time, not cash)."""
    return gp_time_value(activities, unit_costs, lines=("gp_reattendances",))


def line_volumes(
    summary: pd.DataFrame, costing: CostingTable | None = None, channels: Iterable[str] = CHANNELS
) -> pd.DataFrame:
    """Volume a day of each line per replication (rows: replications), from the activity KPIs.

    ``channels``: count patients arriving by these channels only (e.g. ``["gp_overflow"]``).
    """
    import pandas as pd

    costing = costing or shipped_costing()
    frame = summary.set_index("replication") if "replication" in summary.columns else summary
    out = pd.DataFrame(index=frame.index)
    for name, line in costing.lines.items():
        columns = [activity_kpi(c, a) for c in channels for a in line.activities]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise KeyError(
                f"line volumes need the KPI {missing[0]} (results made before the costing table; rerun them)"
            )
        out[name] = frame[columns].to_numpy(dtype=float).sum(axis=1)
    return out


@dataclass(frozen=True)
class ArmLines:
    """One arm's line volumes per replication and what prices them.

    Attributes
    ----------
    volumes : DataFrame
        Volume a day of each line (columns) per replication (index).
    prices : dict of str to float
        GBP per attendance or appointment on each line (0 for an unpriced line).
    slots_per_year : dict of str to float
        Commissioned slots a year of each commissioned line.
    gp_hours_each : float
        GP hours of one GP appointment or reattendance.
    """

    volumes: pd.DataFrame
    prices: dict[str, float]
    slots_per_year: dict[str, float] = field(default_factory=dict)
    gp_hours_each: float = 10.0 / 60.0


def line_prices(unit_costs: UnitCosts, costing: CostingTable | None = None) -> dict[str, float]:
    """GBP per attendance or appointment on each line, from ``unit_costs_gbp``."""
    costing = costing or shipped_costing()
    prices = unit_costs.model_dump()
    return {name: float(prices[line.price]) if line.price else 0.0 for name, line in costing.lines.items()}


def line_savings(
    baseline: ArmLines,
    scenario: ArmLines,
    costing: CostingTable,
    *,
    funded_slots_per_year: Mapping[str, float] | None = None,
    new_services_gbp: float = 0.0,
    new_services_cash: bool = True,
    reset_lines: Iterable[str] = (),
) -> pd.DataFrame:
    """Every saving, line by line and per replication, from two arms' line volumes: the one costing function.

    A saving is ``baseline - scenario`` (positive is a saving), a year. For each line:

    - ``gross_<line>``: activity avoided at its unit cost (the paper's basis), on every
      money line; 0 on GP time (capitation) and unpriced lines;
    - ``net_<line>``: as gross, except that a commissioned line (SDA slots) costs its
      commissioned slots a year times the price, used or not (the baseline's slots are
      the funded baseline ``funded_slots_per_year`` if given);
    - ``cash_<line>``: what the payments change by: a tariff line its activity change;
      a block line nothing, unless it is in ``reset_lines`` (reset to the new activity);
      a commissioned line its change in slots paid; fixed, capitation, unpriced nothing;
    - ``baseline_paid_<line>``, ``scenario_paid_<line>``: what is paid a year in each arm
      (a block or fixed line: today's value in both, unless reset); their difference is
      the cash saving.

    Also ``<measure>_implementation`` (the new services, ``-new_services_gbp`` in net, and
    in cash if ``new_services_cash``), ``<measure>_total``, GP time:
    ``gp_hours_per_week_<line>`` and ``gp_time_value_gbp_<line>`` for each capitation line,
    ``gp_hours_per_week`` and ``gp_time_value_gbp`` in all (hours and value freed; in no
    money saving).
    """
    import pandas as pd

    reset = set(reset_lines)
    funded = dict(funded_slots_per_year or {})
    index = baseline.volumes.index
    base_v = baseline.volumes
    scen_v = scenario.volumes.reindex(index)
    out = {}
    for name, line in costing.lines.items():
        price = scenario.prices[name]
        base_price = baseline.prices[name]
        b_value = base_v[name] * DAYS_PER_YEAR * base_price
        s_value = scen_v[name] * DAYS_PER_YEAR * price
        zero = pd.Series(0.0, index=index)
        if line.basis in ("capitation", "unpriced"):
            gross = net = cash = zero
            b_paid = s_paid = zero
        elif line.basis == "commissioned":
            gross = b_value - s_value
            b_slots = funded.get(name, baseline.slots_per_year.get(name, 0.0))
            b_paid = pd.Series(b_slots * base_price, index=index)
            s_paid = pd.Series(scenario.slots_per_year.get(name, 0.0) * price, index=index)
            net = cash = b_paid - s_paid
        else:
            gross = net = b_value - s_value
            if line.basis == "tariff" or (line.basis == "block" and name in reset):
                b_paid, s_paid = b_value, s_value
            else:  # block not reset, fixed: today's value is paid in both arms
                b_paid, s_paid = b_value, b_value
            cash = b_paid - s_paid
        out[f"gross_{name}"], out[f"net_{name}"], out[f"cash_{name}"] = gross, net, cash
        out[f"baseline_paid_{name}"], out[f"scenario_paid_{name}"] = b_paid, s_paid
    out["gross_implementation"] = pd.Series(0.0, index=index)
    out["net_implementation"] = pd.Series(-new_services_gbp, index=index)
    out["cash_implementation"] = pd.Series(-new_services_gbp if new_services_cash else 0.0, index=index)
    out["baseline_paid_implementation"] = pd.Series(0.0, index=index)
    out["scenario_paid_implementation"] = pd.Series(new_services_gbp, index=index)
    frame = pd.DataFrame(out, index=index)
    lines = [*costing.lines, "implementation"]
    for measure in MEASURES:
        frame[f"{measure}_total"] = frame[[f"{measure}_{x}" for x in lines]].sum(axis=1)
    hours = pd.Series(0.0, index=index)
    value = pd.Series(0.0, index=index)
    for name in costing.gp_time_lines():
        fewer = base_v[name] - scen_v[name]
        frame[f"gp_hours_per_week_{name}"] = fewer * 7.0 * scenario.gp_hours_each
        frame[f"gp_time_value_gbp_{name}"] = fewer * DAYS_PER_YEAR * scenario.prices[name]
        hours = hours + frame[f"gp_hours_per_week_{name}"]
        value = value + frame[f"gp_time_value_gbp_{name}"]
    frame["gp_hours_per_week"] = hours
    frame["gp_time_value_gbp"] = value
    return frame
