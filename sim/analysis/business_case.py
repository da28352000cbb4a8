"""Three savings, never mixed, from the one costing table: gross activity, net, cash-releasing.

From the per-replication KPIs of a baseline and a scenario run on the same
patients, each line of the costing table (``configs/costing.yaml``) is costed by
``sim.analysis.costs.line_savings``; a saving is ``baseline - scenario`` (positive
is a saving), per replication, so each has a paired interval:

- ``gross``: activity avoided at its unit cost on every money line (the paper's
  basis); GP time (GP appointments and reattendances, capitation) is out;
- ``net``: gross, with commissioned SDA slots paid whether used or not (measured
  against the slots funded today) and the redesign's new services taken off;
- ``cash``: only what the payments change by: tariff lines, commissioned slots
  and the new services; a block line only once its contract is reset.

GP time is reported in GP hours a week and valued apart, in none of the three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.business_case import BusinessCase
from ..inputs.config import Config
from ..inputs.costing import CostingTable
from .costs import DAYS_PER_YEAR, MEASURES, ArmLines, line_savings
from .costs import line_prices as _line_prices
from .costs import line_volumes as _line_volumes
from .output_analysis import t_interval

IMPLEMENTATION_NAME = "New services (Care Navigator, extra IA nurse time, PCN pilots, estates)"


def line_names(costing: CostingTable) -> dict[str, str]:
    """Each line's words, with the new services and the total."""
    return {
        **{name: line.label for name, line in costing.lines.items()},
        "implementation": IMPLEMENTATION_NAME,
        "total": "Total",
    }


def line_volumes(summary: pd.DataFrame, costing: CostingTable | None = None) -> pd.DataFrame:
    """Volume a day of each line per replication (rows: replications), from the activity KPIs."""
    return _line_volumes(summary, costing)


def line_prices(cfg: Config, costing: CostingTable | None = None) -> dict[str, float]:
    """Unit cost of one attendance or appointment on each line, from ``unit_costs_gbp``."""
    return _line_prices(cfg.unit_costs_gbp, costing)


def slots_per_year(slots_per_day) -> float:
    """Slots a year of a weekly pattern (Mon-Sun) over 365 days."""
    return float(np.mean(slots_per_day)) * DAYS_PER_YEAR


def commissioned_slots_per_year(cfg: Config, costing: CostingTable) -> dict[str, float]:
    """Commissioned SDA slots a year of each commissioned line in a pathway."""
    return {
        name: slots_per_year(getattr(cfg.slot_diaries, line.diary).slots_per_day)
        for name, line in costing.lines.items()
        if line.basis == "commissioned"
    }


def funded_slots_per_year(costing: CostingTable) -> dict[str, float]:
    """Slots a year paid for today (the funded baseline) of each commissioned line."""
    return {
        name: slots_per_year(line.funded_slots_per_day)
        for name, line in costing.lines.items()
        if line.basis == "commissioned"
    }


def implementation_cost(case: BusinessCase) -> float:
    """Annual cost of the redesign's new services, GBP."""
    imp = case.implementation
    return (
        imp.care_navigator_wte * imp.care_navigator_gbp_per_wte
        + imp.ia_nurse_extra_hours_per_day * DAYS_PER_YEAR * imp.ia_nurse_gbp_per_hour
        + imp.pcn_pilot_funding_gbp
        + imp.estates_gbp
    )


@dataclass(frozen=True)
class Arm:
    """One arm's per-replication KPIs and its config."""

    summary: pd.DataFrame
    cfg: Config

    def lines(self, costing: CostingTable) -> ArmLines:
        """Line volumes, prices, commissioned slots and GP hours of an appointment: what ``line_savings`` reads."""
        return ArmLines(
            line_volumes(self.summary, costing),
            line_prices(self.cfg, costing),
            commissioned_slots_per_year(self.cfg, costing),
            self.cfg.sda_consultation.gp_appointment_min / 60.0,
        )

    def gp_hours_per_week(self) -> pd.Series:
        return self.summary.set_index("replication")["gp_reattendance_hours_per_week"]


def replication_savings(
    baseline: Arm,
    scenario: Arm,
    case: BusinessCase,
    new_services: bool = True,
    reset_lines: tuple[str, ...] = (),
    funded_baseline: bool = True,
) -> pd.DataFrame:
    """Per-replication savings of the whole costing table: ``line_savings`` on two arms' KPIs.

    ``new_services``: charge the scenario with the redesign's new services (the
    ``implementation`` line); off when comparing one step of the redesign with the next.
    ``reset_lines``: block lines reset to the new activity (a contract event has happened).
    ``funded_baseline``: measure commissioned lines against the slots paid for today
    (the costing table's ``funded_slots_per_day``); off when comparing one step with the next.

    Columns: those of :func:`sim.analysis.costs.line_savings`, plus ``model_total_gbp``
    (the saving in the pathway cost ``compare`` reports, which is the gross saving).
    """
    costing = case.costing
    frame = line_savings(
        baseline.lines(costing),
        scenario.lines(costing),
        costing,
        funded_slots_per_year=funded_slots_per_year(costing) if funded_baseline else None,
        new_services_gbp=implementation_cost(case) if new_services else 0.0,
        new_services_cash=case.implementation.cash_releasing,
        reset_lines=reset_lines,
    )
    base_total = baseline.summary.set_index("replication")["cost_total_annual_gbp"]
    scen_total = scenario.summary.set_index("replication")["cost_total_annual_gbp"].reindex(frame.index)
    frame["model_total_gbp"] = base_total - scen_total
    return frame


def savings_table(savings: pd.DataFrame, costing: CostingTable) -> pd.DataFrame:
    """Savings by line: what each line's payer pays in each arm, its basis, and the three savings with 95% intervals.

    Columns: ``line, label, basis, payer, baseline_paid_gbp, scenario_paid_gbp``, for each
    measure ``<measure>_saving_gbp``, ``<measure>_saving_ci_low_gbp``, ``<measure>_saving_ci_high_gbp``,
    and ``gp_hours_per_week`` (GP time lines only; their money is in no saving).
    """
    names = line_names(costing)
    lines = [*costing.lines, "implementation"]
    rows = []
    for line in (*lines, "total"):
        spec = costing.lines.get(line)
        row = {
            "line": line,
            "label": names[line],
            "basis": spec.basis if spec else ("new services" if line == "implementation" else ""),
            "payer": spec.payer if spec else "",
        }
        parts = lines if line == "total" else [line]
        row["baseline_paid_gbp"] = sum(float(savings[f"baseline_paid_{x}"].mean()) for x in parts)
        row["scenario_paid_gbp"] = sum(float(savings[f"scenario_paid_{x}"].mean()) for x in parts)
        for measure in MEASURES:
            mean, low, high, _ = t_interval(savings[f"{measure}_{line}"])
            row[f"{measure}_saving_gbp"] = mean
            row[f"{measure}_saving_ci_low_gbp"] = low
            row[f"{measure}_saving_ci_high_gbp"] = high
        column = "gp_hours_per_week" if line == "total" else f"gp_hours_per_week_{line}"
        row["gp_hours_per_week"] = float(savings[column].mean()) if column in savings else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


HEADLINE = (
    (
        "gross_total",
        "Gross activity saving: activity avoided at unit cost, the paper's basis (GP time out)",
        "GBP a year",
    ),
    (
        "net_total",
        "Net saving: gross, with the new SDA slots paid whether used or not and the new services' "
        "costs taken off (not cash)",
        "GBP a year",
    ),
    (
        "cash_total",
        "Cash-releasing saving, contracts as they stand: only payments that change "
        "(the UTC block and ED stay as paid today)",
        "GBP a year",
    ),
    (
        "cash_total_after_reset",
        "Cash-releasing saving once the contract events have happened (the UTC block reset to the new activity)",
        "GBP a year",
    ),
    (
        "gp_hours_per_week",
        "GP time freed: GP appointments and reattendances avoided (not cash; in no saving)",
        "hours a week",
    ),
    ("gp_time_value_gbp", "Value of that GP time at the GP appointment cost (not cash; in no saving)", "GBP a year"),
    (
        "x6_gp_hours_per_week",
        "X6 alone: GP reattendance hours freed by comprehensive SDA consultations",
        "hours a week",
    ),
)


INPUT_UNCERTAINTY = (
    (
        "gross_total_input_uncertainty",
        "saving",
        "Gross activity saving over the inputs' uncertainty (PSA): median of the draws; 95% of the draws between",
        "GBP a year",
    ),
    (
        "probability_gross_saving_positive",
        "probability_saving_positive",
        "Probability that the gross saving is positive, over the inputs' uncertainty (PSA)",
        "share",
    ),
    (
        "net_total_input_uncertainty",
        "net_saving",
        "Net saving over the inputs' uncertainty (PSA): median of the draws; 95% of the draws between",
        "GBP a year",
    ),
    (
        "probability_net_saving_positive",
        "probability_net_saving_positive",
        "Probability that the net saving is positive, over the inputs' uncertainty (PSA)",
        "share",
    ),
)
"""Headline rows from a PSA's ``psa_summary.csv``: (measure, its figures there, label, unit)."""


def input_uncertainty_rows(psa_summary: pd.DataFrame, covers: str) -> pd.DataFrame:
    """The input-uncertainty rows of the headline table, from a PSA's summary (``psa_summary.csv``).

    Each saving's row holds the median of the draws with the 2.5th and 97.5th
    percentiles as its interval; each probability's row the share of draws with
    a positive saving and its bootstrap 95% interval. ``covers`` says what the
    intervals cover (draws, inputs, replications, days, where the PSA's files are).
    A figure the PSA did not make (the net saving without a business case) is left out.
    """
    figures = psa_summary.set_index("measure")
    draws = int(figures.loc["draws", "value"]) if "draws" in figures.index else 0
    rows = []
    for measure, source, label, unit in INPUT_UNCERTAINTY:
        if unit == "share":
            if source not in figures.index or pd.isna(figures.loc[source, "value"]):
                continue
            mean, low, high = (float(figures.loc[source, c]) for c in ("value", "ci_low", "ci_high"))
            what = f"share of {draws} draws; interval: bootstrap over the draws"
        else:
            keys = (f"{source}_p50_gbp", f"{source}_p2.5_gbp", f"{source}_p97.5_gbp")
            if any(k not in figures.index or pd.isna(figures.loc[k, "value"]) for k in keys):
                continue
            mean, low, high = (float(figures.loc[k, "value"]) for k in keys)
            what = f"input uncertainty: 2.5th to 97.5th percentile of {draws} draws"
        rows.append(
            {
                "measure": measure,
                "label": label,
                "unit": unit,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "n_reps": draws,
                "interval_covers": f"{what} ({covers})",
            }
        )
    return pd.DataFrame(
        rows, columns=["measure", "label", "unit", "mean", "ci_low", "ci_high", "n_reps", "interval_covers"]
    )


def costing_mismatch(headline: pd.DataFrame, comparison: pd.DataFrame, tolerance_gbp: float = 1.0) -> str:
    """A warning if this business case's gross saving is not the pathway cost saving ``compare`` reports.

    The pathway cost KPI (``cost_total_annual_gbp``: ``compare``, sweeps, the PSA, the web app) is
    priced by the shipped costing table; a business case whose costing file prices its lines
    otherwise gives another gross figure. Empty if they agree to ``tolerance_gbp``.
    """
    gross = float(headline.set_index("measure").loc["gross_total", "mean"])
    rows = comparison.set_index("kpi")
    if "cost_total_annual_gbp" not in rows.index:
        return ""
    pathway = float(rows.loc["cost_total_annual_gbp", "saving_gbp_mean"])
    if abs(gross - pathway) <= tolerance_gbp:
        return ""
    return (
        f"warning: this business case's costing table prices its lines otherwise than the shipped "
        f"configs/costing.yaml, which prices the pathway cost that compare, sweeps, the PSA and the web app "
        f"report: its gross saving is GBP {gross:,.0f} a year, theirs GBP {pathway:,.0f}."
    )


def headline_table(
    savings: pd.DataFrame, x6_step: pd.DataFrame | None = None, after_reset: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``measure, label, unit, mean, ci_low, ci_high, n_reps, interval_covers`` of the headline figures.

    ``x6_step``: the per-replication savings of switching X6 on alone (one attribution
    step); its GP reattendance hours are what X6 frees (left out if not given).
    ``after_reset``: the whole comparison's savings with the contract events' block lines
    reset (its ``cash_total`` is the cash once they have happened; left out if not given).
    """
    rows = []
    for column, label, unit in HEADLINE:
        if column == "x6_gp_hours_per_week":
            if x6_step is None:
                continue
            series = x6_step["gp_hours_per_week_gp_reattendances"]
        elif column == "cash_total_after_reset":
            if after_reset is None:
                continue
            series = after_reset["cash_total"]
        else:
            series = savings[column]
        mean, low, high, n = t_interval(series)
        rows.append(
            {
                "measure": column,
                "label": label,
                "unit": unit,
                "mean": mean,
                "ci_low": low,
                "ci_high": high,
                "n_reps": n,
                "interval_covers": "simulation noise only (paired replications), not input uncertainty",
            }
        )
    return pd.DataFrame(rows)
