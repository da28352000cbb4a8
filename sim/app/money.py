"""The app's three savings (gross, net, cash-releasing), from the business case's one costing function.

Each comparison is costed by :func:`sim.analysis.business_case.replication_savings`
(the costing table ``configs/costing.yaml`` through ``line_savings``), exactly as
``run_sim.py business-case`` costs the redesign. Two things the app adds to the
scenario's new-services cost, so that what a lead adds in the app costs money:

- the redesign's new services (``business_case.yaml`` ``implementation``), if the
  scenario switches on any change X1-X8 that today's pathway does not have;
- every staff hour the scenario's rotas add to (or take from) today's rotas, at
  ``business_case.yaml`` ``staff_hour_gbp`` (UTC clinicians, IA nurses, Care Navigators).

Both fall on the net and cash savings; the gross saving is activity only (the paper's basis).
"""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd

from ..analysis.business_case import Arm, implementation_cost, replication_savings
from ..analysis.costs import DAYS_PER_YEAR
from ..analysis.output_analysis import t_interval
from ..inputs.business_case import BusinessCase, load_business_case
from ..inputs.calendar import expand_weekly
from ..inputs.config import SHIPPED_CONFIGS, Config

CASE_FILE = SHIPPED_CONFIGS / "business_case.yaml"
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7.0
ROTAS = MappingProxyType(
    {
        "utc_clinician": ("utc", "clinicians"),
        "ia_nurse": ("ia_nurse", "nurses"),
        "care_navigator": ("care_navigator", "navigators"),
    }
)
"""Each costed staff group: its config block and rota field."""
STAFF_NAMES = MappingProxyType(
    {"utc_clinician": "UTC clinicians", "ia_nurse": "IA nurses", "care_navigator": "Care Navigators"}
)
MEASURES = (
    (
        "gross_total",
        "Gross saving",
        "activity avoided at its unit cost (the paper's basis); staff and slots paid for are not in it",
    ),
    (
        "net_total",
        "Net saving",
        "gross, with SDA slots paid whether used or not, the new services and every "
        "staff hour added in the app taken off",
    ),
    (
        "cash_total",
        "Cash-releasing saving",
        "only payments that change, contracts as they stand (the UTC block "
        "and ED stay as paid today); staff and slots added are new cash",
    ),
)
"""The three savings: column of ``replication_savings``, name, what it counts."""


def shipped_case() -> BusinessCase:
    """The shipped business case inputs (costing table, new services, staff hour costs)."""
    return load_business_case(CASE_FILE)


def staff_hours_per_week(cfg: Config) -> dict[str, float]:
    """Staff hours a week on each costed rota of a config."""
    return {
        group: float(expand_weekly(getattr(getattr(cfg, block), field)).sum())
        for group, (block, field) in ROTAS.items()
    }


def staff_change(baseline: Config, scenario: Config, case: BusinessCase) -> pd.DataFrame:
    """Staff hours a week the scenario adds (negative: removes) against today's rotas, and their cost a year."""
    base, scen = staff_hours_per_week(baseline), staff_hours_per_week(scenario)
    rates = case.staff_hour_gbp.model_dump()
    rows = [
        {
            "group": group,
            "label": STAFF_NAMES[group],
            "hours_per_week": scen[group] - base[group],
            "gbp_per_hour": rates[group],
            "cost_gbp_per_year": (scen[group] - base[group]) * WEEKS_PER_YEAR * rates[group],
        }
        for group in ROTAS
    ]
    return pd.DataFrame(rows)


def charges_new_services(baseline: Config, scenario: Config) -> bool:
    """Whether the scenario switches on a change X1-X8 today's pathway does not have (its new services are paid)."""
    base, scen = baseline.changes.model_dump(), scenario.changes.model_dump()
    return any(on and not base[name] for name, on in scen.items())


def new_costs(baseline: Config, scenario: Config, case: BusinessCase) -> float:
    """New services (if charged) and staff hours added, GBP a year."""
    services = implementation_cost(case) if charges_new_services(baseline, scenario) else 0.0
    return services + float(staff_change(baseline, scenario, case)["cost_gbp_per_year"].sum())


def savings(
    base_summary: pd.DataFrame, scen_summary: pd.DataFrame, baseline: Config, scenario: Config, case: BusinessCase
) -> pd.DataFrame:
    """Per-replication savings of the whole costing table, new services and staff added taken off net and cash."""
    frame = replication_savings(
        Arm(base_summary, baseline),
        Arm(scen_summary, scenario),
        case,
        new_services=charges_new_services(baseline, scenario),
    )
    staff = float(staff_change(baseline, scenario, case)["cost_gbp_per_year"].sum())
    frame["staff_added_gbp"] = staff
    for measure in ("net", "cash"):
        frame[f"{measure}_total"] = frame[f"{measure}_total"] - staff
    return frame


def headline(frame: pd.DataFrame) -> pd.DataFrame:
    """``measure, name, meaning, mean, ci_low, ci_high`` of the three savings (paired 95% intervals)."""
    rows = []
    for column, name, meaning in MEASURES:
        mean, low, high, _ = t_interval(frame[column])
        rows.append({"measure": column, "name": name, "meaning": meaning, "mean": mean, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)
