"""The financial case (nominal cash by year) and the economic case (Green Book), from the savings by line.

Both start from the per-replication savings of ``replication_savings`` (the one
costing table), so their lines are the same lines as the gross, net and cash figures.

**Financial case** (affordability): nominal cash by financial year, year 0 (set-up:
one-off and transition costs, before go-live) to ``financial.years``, not
discounted. The activity changes reach ``ramp_up`` of their full-year value in the
first years (commissioned slots and the new services are paid in full from
go-live); a block line releases cash only from its contract event's date (part
of the year it falls in); prices rise by ``cost_inflation_pct`` a year from the
costing table's price base year. One scenario with the contracts as they stand,
and one with each scenario contract event (e.g. the UTC re-procurement).

**Economic case** (value for money): real terms at the price base year, discounted
at ``discount_rate`` (Green Book 3.5%) over years 0..``horizon_years``. Costs (new
SDA capacity and the new services) are raised by optimism bias of the named
category; benefits (activity avoided at unit cost) lowered by
``optimism_bias_savings_pct``; non-cash benefits (GP time freed, patients' waiting
time) are monetised and shown apart from the cash-releasing ones.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..inputs.business_case import BusinessCase
from ..inputs.costing import CostingTable
from .output_analysis import t_interval

MEASURE_NAMES = {"gross": "Gross activity saving", "net": "Net saving", "cash": "Cash-releasing saving"}


def base_year(costing: CostingTable) -> int:
    """The calendar year the price base financial year starts in (``2024/25`` -> 2024)."""
    return int(str(costing.price_base_year).split("/")[0])


def financial_year(start: dt.date) -> str:
    """``2025/26`` for a year starting in 2025."""
    return f"{start.year}/{(start.year + 1) % 100:02d}"


def share_of_year_after(start: dt.date, date: dt.date) -> float:
    """Share of the year starting ``start`` that falls on or after ``date`` (0 before, 1 after)."""
    end = start.replace(year=start.year + 1)
    if date <= start:
        return 1.0
    if date >= end:
        return 0.0
    return (end - date).days / (end - start).days


def discount_factors(case: BusinessCase) -> list[float]:
    """Discount factor of each year 0..horizon: ``1 / (1 + r) ** year``."""
    rate = case.economics.discount_rate
    return [1.0 / (1.0 + rate) ** year for year in range(case.economics.horizon_years + 1)]


def _line_groups(costing: CostingTable) -> dict[str, list[str]]:
    """Money lines by how they move cash: tariff, block (at a reset), commissioned."""
    groups: dict[str, list[str]] = {"tariff": [], "block": [], "commissioned": []}
    for name, line in costing.lines.items():
        if line.basis in groups:
            groups[line.basis].append(name)
    return groups


def financial_case(savings: pd.DataFrame, case: BusinessCase) -> pd.DataFrame:
    """Nominal cash released by financial year, per scenario (means over replications).

    Columns: ``scenario, year, financial_year, ramp_up, price_index`` then one column per
    cash line ``<line>_gbp`` (tariff, block and commissioned lines), ``new_services_gbp``,
    ``set_up_gbp``, ``cash_gbp`` (the year's total) and ``cumulative_cash_gbp``.
    A positive figure is cash released; a negative one new spend.
    """
    fin, costing = case.financial, case.costing
    groups = _line_groups(costing)
    events = list(costing.contract_events)
    scenarios = [("Contracts as they stand", [e for e in events if not e.scenario])]
    scenarios += [(e.label, [x for x in events if not x.scenario or x.name == e.name]) for e in events if e.scenario]
    first = base_year(costing)
    rows = []
    for scenario, active in scenarios:
        cumulative = 0.0
        for year in range(fin.years + 1):
            start = fin.go_live.replace(year=fin.go_live.year + year - 1) if year else None
            label_start = start or fin.go_live.replace(year=fin.go_live.year - 1)
            index = (1.0 + fin.cost_inflation_pct / 100.0) ** (label_start.year - first)
            row = {
                "scenario": scenario,
                "year": year,
                "financial_year": financial_year(label_start),
                "ramp_up": fin.ramp(year) if year else 0.0,
                "price_index": index,
            }
            total = 0.0
            for name in (*groups["tariff"], *groups["block"], *groups["commissioned"]):
                value = 0.0
                if year:
                    if name in groups["block"]:
                        share = max((share_of_year_after(start, e.date) for e in active if e.line == name), default=0.0)
                        value = share * float(savings[f"gross_{name}"].mean())
                    elif name in groups["tariff"]:
                        cash_from = costing.lines[name].cash_from
                        share = share_of_year_after(start, cash_from) if cash_from else 1.0
                        value = share * float(savings[f"cash_{name}"].mean())
                    value *= row["ramp_up"]  # activity builds up over the first years
                    if name in groups["commissioned"]:  # slots are paid in full from go-live, used or not
                        value = float(savings[f"cash_{name}"].mean())
                    value *= index
                row[f"{name}_gbp"] = value
                total += value
            row["new_services_gbp"] = float(savings["cash_implementation"].mean()) * index if year else 0.0
            row["set_up_gbp"] = 0.0 if year else -(fin.one_off_costs_gbp + fin.transition_costs_gbp) * index
            total += row["new_services_gbp"] + row["set_up_gbp"]
            cumulative += total
            row["cash_gbp"], row["cumulative_cash_gbp"] = total, cumulative
            rows.append(row)
    return pd.DataFrame(rows)


def economic_flows(
    savings: pd.DataFrame, case: BusinessCase, waiting_hours_saved_per_year: pd.Series | None = None
) -> dict[str, pd.Series]:
    """Per-replication full-year economic flows (real, price base year), after optimism bias.

    Keys: ``benefits`` (activity avoided at unit cost on the money lines other than the
    commissioned SDA slots, lowered by optimism bias), ``costs`` (extra commissioned slots
    and the new services, raised by optimism bias; positive is a cost), ``gp_time``
    (GP hours freed x the value of a GP hour, a year; non-cash), ``waiting_time`` (patient
    hours of waiting saved x their value; non-cash), ``benefits_before_ob``, ``costs_before_ob``.
    """
    econ, costing = case.economics, case.costing
    commissioned = [n for n, line in costing.lines.items() if line.basis == "commissioned"]
    others = [n for n in costing.money_lines() if n not in commissioned]
    benefits = savings[[f"net_{n}" for n in others]].sum(axis=1)
    costs = -savings[[*(f"net_{n}" for n in commissioned), "net_implementation"]].sum(axis=1)
    gp_time = savings["gp_hours_per_week"] * 52.0 * econ.gp_hour_value_gbp
    waiting = (
        waiting_hours_saved_per_year
        if waiting_hours_saved_per_year is not None
        else pd.Series(0.0, index=savings.index)
    ) * econ.patient_hour_value_gbp
    return {
        "benefits_before_ob": benefits,
        "costs_before_ob": costs,
        "benefits": benefits * (1.0 - econ.optimism_bias_savings_pct / 100.0),
        "costs": costs * (1.0 + econ.optimism_bias_costs_pct / 100.0),
        "gp_time": gp_time,
        "waiting_time": waiting.reindex(savings.index).fillna(0.0),
    }


def npv(
    savings: pd.DataFrame, case: BusinessCase, waiting_hours_saved_per_year: pd.Series | None = None
) -> dict[str, pd.Series]:
    """Per-replication net present values (real, discounted, after optimism bias).

    Keys: ``cash_releasing`` (benefits - costs - set-up), ``non_cash`` (GP time and
    waiting time), ``total`` (the two). Year 0 carries the set-up costs (raised by
    optimism bias); years 1..horizon the flows at the ramp-up share (costs in full).
    """
    flows = economic_flows(savings, case, waiting_hours_saved_per_year)
    fin, econ = case.financial, case.economics
    factors = discount_factors(case)
    set_up = (fin.one_off_costs_gbp + fin.transition_costs_gbp) * (1.0 + econ.optimism_bias_costs_pct / 100.0)
    cash = pd.Series(-set_up * factors[0], index=savings.index)
    non_cash = pd.Series(0.0, index=savings.index)
    for year in range(1, econ.horizon_years + 1):
        ramp = fin.ramp(min(year, fin.years))
        cash = cash + (flows["benefits"] * ramp - flows["costs"]) * factors[year]
        non_cash = non_cash + (flows["gp_time"] + flows["waiting_time"]) * ramp * factors[year]
    return {"cash_releasing": cash, "non_cash": non_cash, "total": cash + non_cash}


def _interval_row(prefix: str, series: pd.Series) -> dict:
    mean, low, high, _ = t_interval(series)
    return {f"{prefix}_gbp": mean, f"{prefix}_ci_low_gbp": low, f"{prefix}_ci_high_gbp": high}


def economic_summary(
    savings: pd.DataFrame, case: BusinessCase, waiting_hours_saved_per_year: pd.Series | None = None
) -> pd.DataFrame:
    """The economic case's lines: full-year flows before and after optimism bias, and the NPVs.

    Columns: ``item, label, gbp, ci_low_gbp, ci_high_gbp, kind`` (kind: cash-releasing
    benefit, cost, non-cash benefit, present value) with the appraisal's settings as notes.
    """
    econ = case.economics
    flows = economic_flows(savings, case, waiting_hours_saved_per_year)
    values = npv(savings, case, waiting_hours_saved_per_year)
    items = [
        (
            "benefits_before_ob",
            "Activity avoided at unit cost a year (UTC, ED, NHS 111...), before optimism bias",
            flows["benefits_before_ob"],
            "benefit (activity value)",
        ),
        (
            "benefits",
            f"The same, lowered {econ.optimism_bias_savings_pct:g}% for optimism bias",
            flows["benefits"],
            "benefit (activity value)",
        ),
        (
            "costs_before_ob",
            "New SDA slots and new services a year, before optimism bias",
            flows["costs_before_ob"],
            "cost",
        ),
        (
            "costs",
            f"The same, raised {econ.optimism_bias_costs_pct:g}% for optimism bias ({econ.optimism_bias_category})",
            flows["costs"],
            "cost",
        ),
        (
            "gp_time",
            f"GP time freed a year at GBP {econ.gp_hour_value_gbp:,.0f} an hour (non-cash)",
            flows["gp_time"],
            "non-cash benefit",
        ),
        (
            "waiting_time",
            waiting_time_words(econ.patient_hour_value_gbp, waiting_hours_saved_per_year),
            flows["waiting_time"],
            "non-cash benefit",
        ),
        (
            "npv_cash_releasing",
            f"Net present value of activity benefits less costs, years 0-{econ.horizon_years}, "
            f"at {econ.discount_rate:.1%}",
            values["cash_releasing"],
            "present value",
        ),
        (
            "npv_non_cash",
            "Net present value of the non-cash benefits (GP time, waiting time)",
            values["non_cash"],
            "present value",
        ),
        ("npv_total", "Net present value, all benefits and costs", values["total"], "present value"),
    ]
    rows = []
    for item, label, series, kind in items:
        mean, low, high, _ = t_interval(series)
        rows.append({"item": item, "label": label, "gbp": mean, "ci_low_gbp": low, "ci_high_gbp": high, "kind": kind})
    return pd.DataFrame(rows)


HOW_TO_VALUE_WAITING = (
    "set business_case.economics.patient_hour_value_gbp in the business case file, or the "
    "value of a patient's waiting hour on the workbook's Inputs sheet"
)
"""Where a reader sets the value of a patient's waiting hour."""


def waiting_time_words(patient_hour_value_gbp: float, waiting_hours_saved_per_year: pd.Series | None = None) -> str:
    """The waiting-time line in words: the hours saved a year, and their value or that they are left unmonetised."""
    mean = None if waiting_hours_saved_per_year is None else float(waiting_hours_saved_per_year.mean())
    hours = "" if mean is None else f": {abs(mean):,.0f} patient hours a year {'saved' if mean >= 0 else 'added'}"
    if patient_hour_value_gbp:
        return (
            f"Patients' waiting time saved (IA nurse, UTC and ED queues){hours}, valued at GBP "
            f"{patient_hour_value_gbp:,.2f} an hour (non-cash)"
        )
    return (
        f"Patients' waiting time saved (IA nurse, UTC and ED queues){hours}, reported in hours and not monetised "
        f"(patient_hour_value_gbp is 0; to value it, {HOW_TO_VALUE_WAITING})"
    )


def yearly_table(
    savings: pd.DataFrame, case: BusinessCase, waiting_hours_saved_per_year: pd.Series | None = None
) -> pd.DataFrame:
    """The economic case year by year (real, base-year prices; means): flows, discount factor, present values."""
    flows = {k: float(v.mean()) for k, v in economic_flows(savings, case, waiting_hours_saved_per_year).items()}
    fin, econ = case.financial, case.economics
    set_up = (fin.one_off_costs_gbp + fin.transition_costs_gbp) * (1.0 + econ.optimism_bias_costs_pct / 100.0)
    rows = []
    for year, factor in enumerate(discount_factors(case)):
        ramp = fin.ramp(min(year, fin.years)) if year else 0.0
        benefits = flows["benefits"] * ramp
        costs = flows["costs"] if year else set_up
        non_cash = (flows["gp_time"] + flows["waiting_time"]) * ramp
        rows.append(
            {
                "year": year,
                "ramp_up": ramp,
                "discount_factor": factor,
                "benefits_gbp": benefits,
                "costs_gbp": costs,
                "non_cash_benefits_gbp": non_cash,
                "net_gbp": benefits - costs + non_cash,
                "present_value_gbp": (benefits - costs + non_cash) * factor,
            }
        )
    return pd.DataFrame(rows)


def options_appraisal(
    options: dict[str, tuple[str, pd.DataFrame, pd.Series | None]],
    case: BusinessCase,
    utc_price: float,
    utc_fewer_per_year: dict[str, pd.Series],
) -> pd.DataFrame:
    """Options ranked by net present value, with the UTC tariff at which each option's NPV is zero.

    ``options``: ``{name: (label, savings against business as usual, waiting hours saved)}``;
    business as usual is added (NPV 0 by definition). ``utc_fewer_per_year``: UTC attendances
    avoided a year per option, per replication: NPV is linear in the UTC tariff, so the
    switching value is exact.
    """
    rows = [
        {
            "option": "business_as_usual",
            "label": "Business as usual (today's pathway)",
            "npv_gbp": 0.0,
            "npv_ci_low_gbp": 0.0,
            "npv_ci_high_gbp": 0.0,
            "npv_cash_releasing_gbp": 0.0,
            "utc_tariff_switching_value_gbp": float("nan"),
        }
    ]
    econ, fin = case.economics, case.financial
    factors = discount_factors(case)
    annuity = sum(fin.ramp(min(y, fin.years)) * factors[y] for y in range(1, econ.horizon_years + 1))
    per_pound = 1.0 - econ.optimism_bias_savings_pct / 100.0
    for name, (label, savings, waiting) in options.items():
        values = npv(savings, case, waiting)
        mean, low, high, _ = t_interval(values["total"])
        slope = utc_fewer_per_year[name] * per_pound * annuity  # NPV change per GBP 1 on the tariff
        switch = (utc_price - values["total"] / slope.replace(0.0, np.nan)).mean()
        rows.append(
            {
                "option": name,
                "label": label,
                "npv_gbp": mean,
                "npv_ci_low_gbp": low,
                "npv_ci_high_gbp": high,
                "npv_cash_releasing_gbp": float(values["cash_releasing"].mean()),
                "utc_tariff_switching_value_gbp": float(switch),
            }
        )
    table = pd.DataFrame(rows).sort_values("npv_gbp", ascending=False).reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table
