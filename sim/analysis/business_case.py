"""Three savings, never mixed: gross activity, net of the new services, cash-releasing.

From the per-replication KPIs of a baseline and a scenario run on the same
patients, each line of activity (UTC attendances, SDA appointments...) is costed
two ways:

- **activity**: its volume times its unit cost (``unit_costs_gbp``), the basis of
  the paper's figures;
- **as paid**: the basis the business case file gives it. A block-funded SDA
  service costs its commissioned slots whether used or not; any other block
  contract costs the same in both arms.

Savings are ``baseline - scenario`` (a saving is positive), per replication, so
each has a paired interval:

- ``gross``: activity basis, every line, GP reattendances (X6) left out;
- ``net``: as paid, less the redesign's new services (Care Navigator, extra IA
  nurse time, PCN pilot funding, estates);
- ``cash``: only the lines whose spend actually changes, less the new services
  if they are new cash.

X6 is reported in GP hours a week; its money value is shown apart and is in none
of the three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.business_case import SERVICE_LINES, BusinessCase
from ..inputs.config import Config
from .costs import ACTIVITY_COST
from .output_analysis import fill_route_columns, t_interval

DAYS_PER_YEAR = 365.0
VOLUME_PREFIX = "volume_per_day_"

ACTIVITY_LINE = {
    "call_111": "nhs111_call",
    "ia": "ia_streaming",
    "pharmacy": "pharmacy_first",
    "navigator": "care_navigator_booking",
    "utc": "utc_attendance",
    "ed": "ed_attendance",
    "sda_gpcg": "sda_gpcg",
    "sda_pcn": "sda_pcn",
    "practice_111": "gp_appointment",
    "hub_111": "gp_appointment",
    "gp_next_day": "gp_appointment",
    "ambulance": "ambulance",
}
"""Which line of the business case each service on a route belongs to (self-care costs nothing)."""

LINE_DIARY = {"sda_gpcg": "gpcg_sda", "sda_pcn": "pcn_sda"}
"""Slot diaries whose commissioned slots a block-funded SDA line pays for."""

LINE_NAMES = {
    "nhs111_call": "NHS 111 calls",
    "ia_streaming": "IA nurse streaming",
    "pharmacy_first": "Pharmacy First",
    "care_navigator_booking": "Care Navigator bookings",
    "utc_attendance": "UTC attendances",
    "ed_attendance": "ED attendances",
    "sda_gpcg": "GPCG SDA appointments",
    "sda_pcn": "PCN SDA appointments",
    "gp_appointment": "GP practice appointments",
    "ambulance": "Ambulance",
    "implementation": "New services (Care Navigator, extra IA nurse time, PCN pilots, estates)",
    "total": "Total",
}

MEASURES = ("gross", "net", "cash")


def route_steps(route: str) -> list[str]:
    """The services on a route (``walk_in:ia>utc`` -> ``["ia", "utc"]``)."""
    steps = route.partition(":")[2]
    return [] if steps in ("", "none") else steps.split(">")


def line_volumes(summary: pd.DataFrame) -> pd.DataFrame:
    """Volume a day of each line per replication (rows: replications), from the route volumes."""
    frame = fill_route_columns(summary.set_index("replication"))
    lines = list(SERVICE_LINES)
    routes = [c for c in frame.columns if c.startswith(VOLUME_PREFIX)]
    uses = np.zeros((len(routes), len(lines)))  # how many times each route uses each line
    for i, column in enumerate(routes):
        for step in route_steps(column.removeprefix(VOLUME_PREFIX)):
            line = ACTIVITY_LINE.get(step)
            if line is not None:
                uses[i, lines.index(line)] += 1.0
    return pd.DataFrame(frame[routes].to_numpy(dtype=float) @ uses, index=frame.index, columns=lines)


def line_prices(cfg: Config) -> dict[str, float]:
    """Unit cost of one attendance or appointment on each line, from ``unit_costs_gbp``."""
    prices = cfg.unit_costs_gbp.model_dump()
    first = {}
    for activity, line in ACTIVITY_LINE.items():
        first.setdefault(line, prices[ACTIVITY_COST[activity]])
    return first


def commissioned_slots_per_year(cfg: Config, line: str) -> float:
    """Commissioned SDA slots a year on a line (the weekly pattern over 365 days)."""
    diary = getattr(cfg.slot_diaries, LINE_DIARY[line])
    return float(np.mean(diary.slots_per_day)) * DAYS_PER_YEAR


def implementation_cost(case: BusinessCase) -> float:
    """Annual cost of the redesign's new services, GBP."""
    imp = case.implementation
    return (imp.care_navigator_wte * imp.care_navigator_gbp_per_wte
            + imp.ia_nurse_extra_hours_per_day * DAYS_PER_YEAR * imp.ia_nurse_gbp_per_hour
            + imp.pcn_pilot_funding_gbp + imp.estates_gbp)


@dataclass(frozen=True)
class Arm:
    """One arm's per-replication KPIs and its config."""

    summary: pd.DataFrame
    cfg: Config

    def activity_cost(self) -> pd.DataFrame:
        """Annual activity cost of each line per replication."""
        prices = line_prices(self.cfg)
        volumes = line_volumes(self.summary)
        return volumes * pd.Series(prices) * DAYS_PER_YEAR

    def paid_cost(self, case: BusinessCase, contract: pd.DataFrame) -> pd.DataFrame:
        """Annual cost of each line as paid; ``contract`` holds each block line's fixed value."""
        cost = self.activity_cost()
        prices = line_prices(self.cfg)
        for line in SERVICE_LINES:
            if getattr(case.costing, line).basis != "block":
                continue
            if line in LINE_DIARY:
                cost[line] = commissioned_slots_per_year(self.cfg, line) * prices[line]
            else:
                cost[line] = contract[line]
        return cost

    def reattendances_per_year(self) -> pd.Series:
        return self.summary.set_index("replication")["gp_reattendances_per_week"] / 7.0 * DAYS_PER_YEAR

    def gp_hours_per_week(self) -> pd.Series:
        return self.summary.set_index("replication")["gp_reattendance_hours_per_week"]


def replication_savings(baseline: Arm, scenario: Arm, case: BusinessCase, new_services: bool = True) -> pd.DataFrame:
    """Per-replication savings: one column per ``<measure>_<line>`` plus totals, X6 apart.

    ``new_services``: charge the scenario with the redesign's new services (the
    ``implementation`` line); off when comparing one step of the redesign with the next.

    Columns: ``gross_<line>``, ``net_<line>``, ``cash_<line>`` for every service
    line and ``implementation``; ``gross_total``, ``net_total``, ``cash_total``;
    ``baseline_paid_<line>``, ``scenario_paid_<line>``; ``x6_gp_hours_per_week``,
    ``x6_gp_time_value_gbp``; ``model_total_gbp`` (the saving in the model's pathway cost,
    which also leaves GP reattendances out, plus their value: everything, for reference).
    """
    base_activity = baseline.activity_cost()
    scen_activity = scenario.activity_cost().reindex(base_activity.index)
    base_paid = baseline.paid_cost(case, contract=base_activity)
    scen_paid = scenario.paid_cost(case, contract=base_activity).reindex(base_activity.index)
    out = pd.DataFrame(index=base_activity.index)
    for line in SERVICE_LINES:
        out[f"gross_{line}"] = base_activity[line] - scen_activity[line]
        out[f"net_{line}"] = base_paid[line] - scen_paid[line]
        cash = getattr(case.costing, line).cash_releasing
        out[f"cash_{line}"] = out[f"net_{line}"] if cash else 0.0
        out[f"baseline_paid_{line}"] = base_paid[line]
        out[f"scenario_paid_{line}"] = scen_paid[line]
    new_cost = implementation_cost(case) if new_services else 0.0
    out["gross_implementation"] = 0.0
    out["net_implementation"] = -new_cost
    out["cash_implementation"] = -new_cost if case.implementation.cash_releasing else 0.0
    out["baseline_paid_implementation"] = 0.0
    out["scenario_paid_implementation"] = new_cost
    for measure in MEASURES:
        out[f"{measure}_total"] = out[[f"{measure}_{line}" for line in (*SERVICE_LINES, "implementation")]].sum(axis=1)
    hours = baseline.gp_hours_per_week() - scenario.gp_hours_per_week().reindex(out.index)
    reattend = baseline.reattendances_per_year() - scenario.reattendances_per_year().reindex(out.index)
    out["x6_gp_hours_per_week"] = hours
    out["x6_gp_time_value_gbp"] = reattend * line_prices(scenario.cfg)["gp_appointment"]
    base_total = baseline.summary.set_index("replication")["cost_total_annual_gbp"]
    scen_total = scenario.summary.set_index("replication")["cost_total_annual_gbp"].reindex(out.index)
    out["model_total_gbp"] = base_total - scen_total + out["x6_gp_time_value_gbp"]
    return out


def savings_table(savings: pd.DataFrame) -> pd.DataFrame:
    """Savings by line: basis costs and the three savings with paired 95% intervals.

    Columns: ``line, label, baseline_cost_gbp, scenario_cost_gbp`` (as paid) and for each
    measure ``<measure>_saving_gbp``, ``<measure>_saving_ci_low_gbp``, ``<measure>_saving_ci_high_gbp``.
    """
    rows = []
    for line in (*SERVICE_LINES, "implementation", "total"):
        row = {"line": line, "label": LINE_NAMES[line]}
        if line != "total":
            row["baseline_cost_gbp"] = float(savings[f"baseline_paid_{line}"].mean())
            row["scenario_cost_gbp"] = float(savings[f"scenario_paid_{line}"].mean())
        else:
            row["baseline_cost_gbp"] = sum(float(savings[f"baseline_paid_{x}"].mean())
                                           for x in (*SERVICE_LINES, "implementation"))
            row["scenario_cost_gbp"] = sum(float(savings[f"scenario_paid_{x}"].mean())
                                           for x in (*SERVICE_LINES, "implementation"))
        for measure in MEASURES:
            mean, low, high, _ = t_interval(savings[f"{measure}_{line}"])
            row[f"{measure}_saving_gbp"] = mean
            row[f"{measure}_saving_ci_low_gbp"] = low
            row[f"{measure}_saving_ci_high_gbp"] = high
        rows.append(row)
    return pd.DataFrame(rows)


HEADLINE = (
    ("gross_total", "Gross activity saving (the paper's basis, X6 left out)", "GBP a year"),
    ("net_total", "Net saving: as paid, less the new services' costs", "GBP a year"),
    ("cash_total", "Cash-releasing saving: only lines whose spend changes", "GBP a year"),
    ("x6_gp_hours_per_week", "X6: GP hours freed a week (the X6 step, paired)", "hours a week"),
    ("x6_gp_time_value_gbp", "X6: value of GP time freed (not cash; in none of the savings above)", "GBP a year"),
    ("model_total_gbp", "Gross saving plus all the GP reattendance time freed, valued (for reference; not cash)",
     "GBP a year"),
)


def headline_table(savings: pd.DataFrame, x6_step: pd.DataFrame | None = None) -> pd.DataFrame:
    """``measure, label, unit, mean, ci_low, ci_high, n_reps`` of the headline figures.

    ``x6_step``: the per-replication savings of switching X6 on alone (one attribution
    step); its GP hours are what X6 frees. Without it, the whole comparison's change in
    GP reattendance hours is shown, which also counts the redesign's extra SDA patients.
    """
    rows = []
    for column, label, unit in HEADLINE:
        source = savings
        if column.startswith("x6_"):
            if x6_step is not None:
                source = x6_step
            else:
                label = label.replace("X6: GP hours freed a week (the X6 step, paired)",
                                      "GP reattendance hours freed a week (whole redesign)")
        mean, low, high, n = t_interval(source[column])
        rows.append({"measure": column, "label": label, "unit": unit, "mean": mean,
                     "ci_low": low, "ci_high": high, "n_reps": n})
    return pd.DataFrame(rows)
