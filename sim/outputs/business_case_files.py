"""The business case's files: the workbook, the HTML report, the charts and the CSV tables.

``business_case_files`` turns a finished ``BusinessCaseResult`` into every file the
``business-case`` command writes and the web app offers for download, so both give
the same workbook:

>>> files = business_case_files(result, current, redesign, case, rec, rec_path)  # doctest: +SKIP
>>> files.files["business_case.xlsx"]  # doctest: +SKIP
b'PK...'

Nothing here runs the model or writes to disk.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..experiments.business_case import BusinessCaseResult
from ..inputs.business_case import WHOLE, BusinessCase
from ..inputs.config import SHIPPED_CONFIGS, Config, load_config, read_yaml_mapping
from ..inputs.provenance import load_registry, parameter_table
from ..inputs.reconciliation import ReconciliationInputs
from .labels import change_label, route_label

NOISE_ONLY = " (95% intervals: simulation noise only, not input uncertainty)"
WORKBOOK = "business_case.xlsx"
REPORT = "business_case.html"


@dataclass(frozen=True)
class BusinessCaseFiles:
    """Every output of the business case.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Each CSV file's table by file name (``summary.csv`` ...), in the workbook's sheet order,
        then ``comparison.csv``.
    files : dict of str to bytes
        Files already made: the workbook, the HTML report and each chart as PNG.
    """

    tables: dict[str, pd.DataFrame]
    files: dict[str, bytes]

    @property
    def workbook(self) -> bytes:
        """The Excel workbook (``business_case.xlsx``)."""
        return self.files[WORKBOOK]


def assumptions_table(
    current: Config,
    redesign: Config,
    case: BusinessCase,
    rec_path: str | Path,
    set_by: tuple[str, str] = ("current", "redesign"),
) -> pd.DataFrame:
    """Every parameter (both pathways, the business case, the reconciliation) with value, unit, provenance, note.

    A pathway's parameters are compared with the shipped ``base.yaml`` to find their provenance;
    a value away from it is credited to ``set_by`` (who set the current and the redesign values).
    """
    registry = load_registry()
    base = load_config(SHIPPED_CONFIGS / "base.yaml").model_dump()
    cur = parameter_table(current.model_dump(), base, registry, set_by[0])
    red = parameter_table(redesign.model_dump(), base, registry, set_by[1])
    same = cur["value"].to_numpy() == red.set_index("path").loc[cur["path"], "value"].to_numpy()
    differ = set(cur.loc[~same, "path"])
    pathways = pd.concat(
        [
            cur[same].assign(applies_to="both pathways"),
            cur[~same].assign(applies_to="current pathway"),
            red[red["path"].isin(differ)].assign(applies_to="redesign pathway"),
        ]
    )
    case_data = case.model_dump()
    case_table = parameter_table(case_data, case_data, registry, "business case", prefix="business_case.", whole=WHOLE)
    case_table.insert(0, "applies_to", "business case")
    rec_data = read_yaml_mapping(Path(rec_path))
    rec_table = parameter_table(rec_data, rec_data, registry, "reconciliation", prefix="reconciliation.")
    rec_table.insert(0, "applies_to", "reconciliation with the paper")
    columns = ["applies_to", "path", "value", "unit", "provenance", "note"]
    return pd.concat([pathways[columns], case_table[columns], rec_table[columns]], ignore_index=True)


def live_inputs(waiting_hours_saved: float, case: BusinessCase, redesign: Config) -> list[tuple[str, str, float, str]]:
    """Every number the workbook's live sheets compute from: ``(key, label, value, unit)``.

    ``waiting_hours_saved``: patient hours of waiting saved a year (simulated, mean).
    """
    from ..analysis.business_case import commissioned_slots_per_year, funded_slots_per_year, implementation_cost
    from ..analysis.economics import base_year

    costing, econ, fin = case.costing, case.economics, case.financial
    prices = redesign.unit_costs_gbp.model_dump()
    rows = []
    for name, line in costing.lines.items():
        if line.price:
            rows.append(
                (f"price_{name}", f"{line.label}: price (unit_costs_gbp.{line.price})", prices[line.price], "GBP each")
            )
    funded, slots = funded_slots_per_year(costing), commissioned_slots_per_year(redesign, costing)
    for name in funded:
        label = costing.lines[name].label
        rows.append((f"funded_slots_{name}", f"{label}: slots a year funded today", funded[name], "slots a year"))
        rows.append(
            (
                f"redesign_slots_{name}",
                f"{label}: slots a year commissioned in the redesign",
                slots[name],
                "slots a year",
            )
        )
    rows += [
        ("days_per_year", "Days a year", 365.0, "days"),
        (
            "gp_hours_each",
            "GP hours of a GP appointment or reattendance",
            redesign.sda_consultation.gp_appointment_min / 60.0,
            "hours",
        ),
        (
            "new_services_gbp",
            "New services a year (Care Navigator, extra IA nurse time, PCN pilots, estates)",
            implementation_cost(case),
            "GBP a year",
        ),
        ("discount_rate", "Discount rate (Green Book)", econ.discount_rate, "share"),
        (
            "ob_costs_pct",
            f"Optimism bias on costs, % ({econ.optimism_bias_category})",
            econ.optimism_bias_costs_pct,
            "%",
        ),
        ("ob_benefits_pct", "Optimism bias on benefits, %", econ.optimism_bias_savings_pct, "%"),
        ("gp_hour_value_gbp", "Value of a GP hour", econ.gp_hour_value_gbp, "GBP an hour"),
        ("patient_hour_value_gbp", "Value of a patient's waiting hour", econ.patient_hour_value_gbp, "GBP an hour"),
        (
            "waiting_hours_saved",
            "Patient hours of waiting saved a year (simulated)",
            waiting_hours_saved,
            "hours a year",
        ),
        (
            "one_off_costs_gbp",
            "One-off costs, year 0 (recruitment, training, IT and booking set-up)",
            fin.one_off_costs_gbp,
            "GBP",
        ),
        ("transition_costs_gbp", "Transition costs, year 0 (double running)", fin.transition_costs_gbp, "GBP"),
        (
            "cost_inflation_pct",
            "Cost inflation a year, % (prices and pay, from the price base year)",
            fin.cost_inflation_pct,
            "%",
        ),
        (
            "price_base_year",
            f"Price base year (the calendar year {case.costing.price_base_year} starts in)",
            float(base_year(case.costing)),
            "year",
        ),
        ("go_live_year", f"Year 1 starts in (go-live {fin.go_live:%d %B %Y})", float(fin.go_live.year), "year"),
    ]
    for event in case.costing.contract_events:
        year, share = year_and_share(fin, event.date)
        rows.append((f"reset_year_{event.name}", f"{event.label}: the reset's financial year starts in", year, "year"))
        rows.append((f"reset_share_{event.name}", f"{event.label}: share of that year after the reset", share, "share"))
    for name, line in costing.lines.items():
        if line.basis == "tariff" and line.cash_from is not None:
            year, share = year_and_share(fin, line.cash_from)
            rows.append(
                (
                    f"cash_from_year_{name}",
                    f"{line.label}: cash released from the financial year starting in",
                    year,
                    "year",
                )
            )
            rows.append((f"cash_from_share_{name}", f"{line.label}: share of that year after the date", share, "share"))
    rows += [
        (
            f"ramp_{year}",
            f"Ramp-up, year {year}: share of the full-year change",
            fin.ramp(min(year, fin.years)),
            "share",
        )
        for year in range(1, max(econ.horizon_years, fin.years) + 1)
    ]
    return rows


def year_and_share(fin, date) -> tuple[float, float]:
    """The calendar year the financial year holding ``date`` starts in, and the share of it on or after ``date``.

    Financial years start on the go-live day; a date on or before go-live gives year 1 in full;
    a date after the last year gives the year after it.
    """
    from ..analysis.economics import share_of_year_after

    for year in range(1, fin.years + 2):
        start = fin.go_live.replace(year=fin.go_live.year + year - 1)
        share = share_of_year_after(start, date)
        if share > 0.0:
            return float(start.year), share
    return float(fin.go_live.year + fin.years + 1), 1.0


def live_financial(case: BusinessCase) -> tuple[int, list[tuple[str, dict[str, list[str]]]]]:
    """The financial case's shape for the live sheet: its years and, per scenario, the block resets in it.

    The scenarios are those of ``financial_case``: the contracts as they stand (the events that
    are not scenarios), then one per scenario event.
    """
    events = list(case.costing.contract_events)
    scenarios = [("Contracts as they stand", [e for e in events if not e.scenario])]
    scenarios += [(e.label, [x for x in events if not x.scenario or x.name == e.name]) for e in events if e.scenario]
    shaped = []
    for label, active in scenarios:
        resets: dict[str, list[str]] = {}
        for event in active:
            resets.setdefault(event.line, []).append(event.name)
        shaped.append((label, resets))
    return case.financial.years, shaped


def costing_table(case: BusinessCase) -> pd.DataFrame:
    """The costing table as a sheet: one row per line, in words."""
    from .labels import service_label

    rows = []
    for name, line in case.costing.lines.items():
        events = [f"{e.label} ({e.date:%d %B %Y})" for e in case.costing.contract_events if e.line == name]
        rows.append(
            {
                "line": line.label,
                "counts": ", ".join(service_label(a) for a in line.activities),
                "priced_by": f"unit_costs_gbp.{line.price}" if line.price else "nothing",
                "payer": line.payer,
                "basis": BASIS_WORDS[line.basis],
                "releases_cash": CASH_WORDS[line.basis] + ("; " + "; ".join(events) if events else ""),
                "source_price_year": line.source_price_year,
                "uprated_by": line.uprated_by,
            }
        )
    return pd.DataFrame(rows)


BASIS_WORDS = {
    "tariff": "tariff: paid per attendance",
    "block": "block contract at today's activity",
    "commissioned": "commissioned slots, paid used or not",
    "fixed": "inside a fixed payment",
    "capitation": "capitation: GP time, in hours",
    "unpriced": "costs nothing",
}
CASH_WORDS = {
    "tariff": "yes, as activity changes",
    "block": "only when the contract is reset to the new activity",
    "commissioned": "yes, as commissioned slots change (against the slots funded today)",
    "fixed": "no",
    "capitation": "no (GP time, valued apart)",
    "unpriced": "no",
}


def _gbp(value: float) -> str:
    """GBP with separators, a minus before the sign: ``-GBP 1,234``."""
    return f"-GBP {-value:,.0f}" if value < 0 else f"GBP {value:,.0f}"


def summary_words(result: BusinessCaseResult, case: BusinessCase) -> list[str]:
    """What the savings and the cash figure mean, in the words a committee reads first: one paragraph a point."""
    head = result.headline.set_index("measure")
    mean = head["mean"]
    fin = result.financial
    scenarios = list(dict.fromkeys(fin["scenario"]))
    five = {sc: float(fin.loc[fin["scenario"] == sc, "cash_gbp"].sum()) for sc in scenarios}
    paid = result.savings_by_line.set_index("line")
    funded = ", ".join(
        f"{line.label} {np.mean(line.funded_slots_per_day) * 7:,.0f} slots a week "
        f"({_gbp(float(paid.loc[name, 'baseline_paid_gbp']))} a year)"
        for name, line in case.costing.lines.items()
        if line.funded_slots_per_day is not None and name in paid.index
    )
    blocks = [name for name, line in case.costing.lines.items() if line.basis == "block" and name in paid.index]
    if blocks:
        funded += "; " + ", ".join(
            f"the {case.costing.lines[name].label} block at today's activity "
            f"({_gbp(float(paid.loc[name, 'baseline_paid_gbp']))} a year)"
            for name in blocks
        )
    cash = (
        f"Cash: with the contracts as they stand, the UTC block and ED are paid as today, so the ICB's payments "
        f"change by {_gbp(mean['cash_total'])} a year"
    )
    if "cash_total_after_reset" in mean:
        cash += (
            f", and by {_gbp(mean['cash_total_after_reset'])} a year once the UTC block is reset to the new activity"
        )
    words = [
        f"A saving is positive. Gross: the redesign avoids activity worth {_gbp(mean['gross_total'])} a year at unit "
        "cost (the paper's basis, GP time out).",
        f"Net: once its new SDA slots (paid whether used or not) and new services are paid for, the saving is "
        f"{_gbp(mean['net_total'])} a year. It is not cash.",
        cash + ".",
        f"Over years 0-{case.financial.years} (nominal cash): "
        + "; ".join(f"{sc}: {_gbp(v)}" for sc, v in five.items())
        + ".",
        f"Funded baseline (paid today): {funded}.",
        f"GP time freed: {mean['gp_hours_per_week']:,.0f} GP hours a week, valued apart, in no saving.",
        waiting_sentence(result.waiting_hours_saved, case),
    ]
    noise = (
        "The intervals beside each saving cover simulation noise only (paired replications): how precisely "
        "the model's figure is known at the shipped inputs, not how uncertain those inputs are."
    )
    if "gross_total_input_uncertainty" in head.index:
        g = head.loc["gross_total_input_uncertainty"]
        covers = str(g["interval_covers"])
        covers = covers[covers.find("(") + 1 : covers.rfind(")")] if "(" in covers else covers
        text = (
            f"Input uncertainty (probabilistic sensitivity analysis: {covers}): "
            f"95% of the draws give a gross saving between {_gbp(g['ci_low'])} and {_gbp(g['ci_high'])} a year "
            f"(median {_gbp(g['mean'])})"
        )
        if "probability_gross_saving_positive" in head.index:
            text += f"; it is positive in {head.loc['probability_gross_saving_positive', 'mean']:.0%} of them"
        if "net_total_input_uncertainty" in head.index:
            n = head.loc["net_total_input_uncertainty"]
            text += (
                f". The net saving lies between {_gbp(n['ci_low'])} and {_gbp(n['ci_high'])} a year "
                f"(median {_gbp(n['mean'])})"
            )
        if "probability_net_saving_positive" in head.index:
            text += (
                f"; the probability that it is positive is {head.loc['probability_net_saving_positive', 'mean']:.0%}"
            )
        words += [noise, text + "."]
    else:
        words += [
            noise + " Input uncertainty was not added to this business case: run `python run_sim.py psa` and "
            "give its output folder with `--psa`."
        ]
    return words


def waiting_sentence(waiting_hours_saved: float, case: BusinessCase) -> str:
    """Patients' waiting time in words: reported in hours; valued only if a value of a waiting hour is set."""
    from ..analysis.economics import HOW_TO_VALUE_WAITING

    value = case.economics.patient_hour_value_gbp
    words = (
        f"Patients' waiting time (IA nurse, UTC and ED queues) is reported in hours: "
        f"{abs(waiting_hours_saved):,.0f} patient hours a year {'saved' if waiting_hours_saved >= 0 else 'added'}"
    )
    if value:
        return words + (
            f", valued at GBP {value:,.2f} an hour ({_gbp(waiting_hours_saved * value)} a year, "
            "non-cash, in the economic case only)."
        )
    return (
        words + f"; it is left unmonetised (the value of a waiting hour is set to 0); to value it, "
        f"{HOW_TO_VALUE_WAITING}."
    )


def labelled(result: BusinessCaseResult) -> BusinessCaseResult:
    """A copy of the result whose tables name changes and routes in words (the result itself is left as it is)."""
    by_change = result.savings_by_change.copy()
    if "label" not in by_change.columns:
        by_change.insert(1, "label", [change_label(s) for s in by_change["step"]])
    routes = {}
    for name in ("activity_by_route", "cost_by_route"):
        table = getattr(result, name).copy()
        if "route_in_words" not in table.columns:
            table.insert(1, "route_in_words", [route_label(r) for r in table["route"]])
        routes[name] = table
    slot_use = result.slot_use.copy()
    if len(slot_use) and pd.api.types.is_numeric_dtype(slot_use["weekday"]):
        slot_use["weekday"] = [WEEKDAY_NAMES[int(d)] for d in slot_use["weekday"]]
    return dataclasses.replace(result, savings_by_change=by_change, slot_use=slot_use, **routes)


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def sheets(
    result: BusinessCaseResult, assumptions: pd.DataFrame, case: BusinessCase, caveat: str = ""
) -> list[tuple[str, str, pd.DataFrame, str]]:
    """Every table as ``(sheet title, csv name, table, note)``; the workbook and the CSV files hold the same.

    ``caveat`` (e.g. that the run was a quick one) leads the Summary sheet's note.
    """
    econ = case.economics
    return [
        ("Summary", "summary.csv", result.headline, ([caveat] if caveat else []) + summary_words(result, case)),
        (
            "Savings by line",
            "savings_by_line.csv",
            result.savings_by_line,
            "Each line of the costing table: basis, payer, what is paid a year in each arm, the three savings and GP "
            "hours" + NOISE_ONLY + ".",
        ),
        (
            "Savings by change",
            "savings_by_change.csv",
            result.savings_by_change,
            "Changes switched on one after another (order: " + ", ".join(case.attribution_order) + "); "
            "each step paired with the one before" + NOISE_ONLY + ". Net with capacity attributed: the new SDA slots "
            "charged to the changes that book them.",
        ),
        (
            "Reconciliation",
            "reconciliation.csv",
            result.reconciliation,
            "The paper's figures recomputed from configs/reconciliation.yaml, the volume a day each implies, "
            "and the model's figure (gross basis)" + NOISE_ONLY + ".",
        ),
        (
            "Reconciliation gaps",
            "reconciliation_gaps.csv",
            result.gap_reasons,
            "The gap (paper - model) split into named reasons; measured = from the model's KPIs, "
            "estimate = arithmetic on the paper's volumes or the config's shares.",
        ),
        (
            "Activity bridge",
            "activity_bridge.csv",
            result.activity_bridge,
            "The paper's implied volumes a day beside the model's, line by line, before any pounds "
            "(a change is redesign - current; the paper's arithmetic assumes every slot is filled every day).",
        ),
        (
            "Overflow patients",
            "overflow_patients.csv",
            result.overflow,
            "Patients who found no slot at their own practice: what the redesign buys for them and what it saves. "
            "GP appointments avoided are GP time (capitation): hours, no cash.",
        ),
        (
            "Financial case",
            "financial_case.csv",
            result.financial,
            f"Nominal cash by financial year, not discounted; year 0 is set-up before go-live "
            f"({case.financial.go_live:%d %B %Y}). Prices rise {case.financial.cost_inflation_pct:g}% a year from "
            f"{case.costing.price_base_year}. Positive = cash released; negative = new spend. The Live financial case "
            "sheet computes the same by formula from the Inputs sheet.",
        ),
        (
            "Economic summary",
            "economic_summary.csv",
            result.economic_summary,
            f"Green Book: real terms at {case.costing.price_base_year} prices, discounted at {econ.discount_rate:.1%} "
            f"over years 0-{econ.horizon_years}; optimism bias: {econ.optimism_bias_category}, costs "
            f"+{econ.optimism_bias_costs_pct:g}%, benefits -{econ.optimism_bias_savings_pct:g}%. "
            "Non-cash benefits apart. " + waiting_sentence(result.waiting_hours_saved, case),
        ),
        (
            "Economic years",
            "economic_years.csv",
            result.economic_years,
            "The economic case year by year (real terms, after optimism bias).",
        ),
        (
            "Options appraisal",
            "options_appraisal.csv",
            result.options,
            "Options ranked by net present value against business as usual; the UTC tariff at which each "
            "option's NPV is zero.",
        ),
        (
            "Switching values",
            "switching_values.csv",
            result.switching,
            "The value of each key input at which the net saving reaches zero" + NOISE_ONLY + ".",
        ),
        ("Activity by route", "activity_by_route.csv", result.activity_by_route, "Patients a day on each route."),
        ("Cost by route", "cost_by_route.csv", result.cost_by_route, "Annual cost of each route, activity basis."),
        ("Waits", "waits.csv", result.waits, "Mean minutes" + NOISE_ONLY + "."),
        (
            "Slot use",
            "slot_use.csv",
            result.slot_use,
            "SDA slots and bookings by weekday and hour, summed over the replications re-run with the event log.",
        ),
        (
            "Uncertainty",
            "uncertainty.csv",
            result.uncertainty,
            "Precision of each headline figure across paired replications.",
        ),
        (
            "Costing table",
            "costing_table.csv",
            costing_table(case),
            f"Every line of activity: what it counts, what prices it, who pays and how. Prices at "
            f"{case.costing.price_base_year} ({case.costing.uprating_index}).",
        ),
        (
            "Assumptions",
            "assumptions.csv",
            assumptions,
            "Every parameter with its value, unit, provenance and source note.",
        ),
    ]


def charts(result: BusinessCaseResult, paper_total: float) -> dict[str, tuple[str, object]]:
    """Every chart as ``{file name: (caption, Figure)}``."""
    from .business_charts import (
        cost_by_route_figure,
        savings_waterfall_figure,
        slot_use_heatmap_figure,
        switching_tornado_figure,
        waits_figure,
    )

    cost = result.cost_by_route
    rec = result.reconciliation.set_index("figure")
    like = float(rec.loc["total_model_basis", "calculated_gbp"]) if "total_model_basis" in rec.index else None
    out = {
        "savings_waterfall.png": (
            "Gross activity saving change by change",
            savings_waterfall_figure(
                result.savings_by_change,
                like,
                paper_label=f"the paper's volumes on this basis: GBP {(like or 0) / 1e6:.2f}M",
            ),
        ),
        "savings_waterfall_net.png": (
            "Net saving change by change, new SDA slots charged to the changes that use them",
            savings_waterfall_figure(
                result.savings_by_change,
                None,
                "net",
                title="Net saving change by change: new SDA slots (paid used or not) "
                "charged to the changes that book them; no paper figure is like it",
            ),
        ),
        "cost_by_route.png": ("Change in annual cost by route", cost_by_route_figure(cost)),
        "waits_by_route.png": ("Waits by step", waits_figure(result.waits)),
        "switching_values.png": ("Switching values", switching_tornado_figure(result.switching)),
    }
    for (arm, service), table in result.slot_use.groupby(["arm", "service"], sort=False):
        if table["slots"].sum() > 0:
            name = f"slot_use_{arm}_{service.split()[0].lower()}.png"
            out[name] = (
                f"{service} slots used by hour and weekday, {arm} pathway",
                slot_use_heatmap_figure(table, f"{service} slots used, %, {arm} pathway"),
            )
    return out


def png(fig) -> bytes:
    """A matplotlib figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def report(
    result: BusinessCaseResult,
    assumptions: pd.DataFrame,
    pngs: dict[str, bytes],
    captions: dict[str, str],
    current: Config,
    redesign: Config,
    case: BusinessCase,
) -> str:
    """The self-contained HTML report: the tables a finance lead reads, then the charts."""
    import html

    from .html_report import report_html, table_html

    n = result.replications
    sections = [
        ("What the figures mean", "".join(f"<p>{html.escape(p)}</p>" for p in summary_words(result, case))),
        (
            "Headline figures",
            table_html(result.headline, ["label", "unit", "mean", "ci_low", "ci_high", "interval_covers"]),
        ),
        ("Activity bridge: the paper's volumes and the model's", table_html(result.activity_bridge)),
        ("Practice overflow patients", table_html(result.overflow)),
        ("Financial case (nominal cash by year)", table_html(result.financial)),
        ("Savings by line of activity", table_html(result.savings_by_line)),
        ("Savings change by change", table_html(result.savings_by_change.drop(columns=["step"]))),
        ("Reconciliation with the paper", table_html(result.reconciliation.drop(columns=["figure"]))),
        ("Why the model's figure differs from the paper's", table_html(result.gap_reasons)),
        ("Economic case (Green Book)", table_html(result.economic_summary)),
        ("Options appraisal", table_html(result.options)),
        ("Switching values", table_html(result.switching)),
        ("Assumptions", table_html(assumptions)),
    ]
    intro = (
        f"{current.name} against {redesign.name} on the same simulated patients: {n} paired replications of "
        f"{current.run.days} days ({current.run.warmup_days} warm-up). A saving is positive. Intervals are 95% "
        "paired intervals across replications (simulation noise only) unless a row says it covers the inputs' "
        "uncertainty."
    )
    return report_html(
        "Same-day urgent care redesign: business case",
        intro,
        sections,
        {captions[name]: png for name, png in pngs.items()},
    )


def business_case_files(
    result: BusinessCaseResult,
    current: Config,
    redesign: Config,
    case: BusinessCase,
    rec: ReconciliationInputs,
    rec_path: str | Path,
    with_report: bool = True,
    caveat: str = "",
    set_by: tuple[str, str] = ("current", "redesign"),
) -> BusinessCaseFiles:
    """Every file of the business case, made from its result.

    Parameters
    ----------
    result : BusinessCaseResult
        From ``run_business_case``; its tables are labelled in words here (on a copy).
    current, redesign : Config
        The two pathways as run.
    case, rec : BusinessCase, ReconciliationInputs
        The business case inputs and the paper's arithmetic the result was made with.
    rec_path : str or Path
        The reconciliation YAML file, whose every figure goes into the Assumptions sheet.
    with_report : bool
        Also draw the charts and the HTML report (the slower part); if False, the
        workbook and the CSV tables only.
    caveat : str
        A warning that leads the Summary sheet's note (e.g. a quick run's).
    set_by : (str, str)
        Who set the current and the redesign pathways' values (the Assumptions sheet's provenance).
    """
    from .workbook import workbook_bytes

    result = labelled(result)
    assumptions = assumptions_table(current, redesign, case, rec_path, set_by)
    all_sheets = sheets(result, assumptions, case, caveat)
    tables = {csv_name: table for _, csv_name, table, _ in all_sheets}
    tables["comparison.csv"] = result.comparison
    live = (
        result.line_volumes,
        live_inputs(result.waiting_hours_saved, case, redesign),
        case.economics.horizon_years,
        live_financial(case),
    )
    files = {WORKBOOK: workbook_bytes([(title, table, note) for title, _, table, note in all_sheets], live)}
    if with_report:
        figures = charts(result, rec.paper_gbp.total)
        pngs = {name: png(fig) for name, (_, fig) in figures.items()}
        files.update(pngs)
        captions = {name: caption for name, (caption, _) in figures.items()}
        files[REPORT] = report(result, assumptions, pngs, captions, current, redesign, case).encode()
    return BusinessCaseFiles(tables, files)
