"""The ``business-case`` command: the workbook, the HTML report and the charts a finance lead uses.

``python run_sim.py business-case [CURRENT] [REDESIGN] [--case FILE] [--reconciliation FILE]
[--reps N | --precision F] [--days D] [--jobs J | --scheduler ADDRESS|local] [--out DIR]``
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pandas as pd

from .experiments.business_case import BusinessCaseResult, run_business_case
from .experiments.switching import get_input, set_input
from .inputs.business_case import WHOLE, BusinessCase, load_business_case
from .inputs.config import Config, load_config
from .inputs.provenance import load_registry, parameter_table
from .inputs.reconciliation import load_reconciliation
from .outputs.labels import change_label, route_label, service_label  # noqa: F401
from .outputs.output import ResultWriter

CONFIGS = Path("configs")
DEFAULT_CASE = CONFIGS / "business_case.yaml"
DEFAULT_RECONCILIATION = CONFIGS / "reconciliation.yaml"


def add_parser(sub, add_run_options) -> None:
    """Register ``business-case`` on the command line's subparsers."""
    p = sub.add_parser("business-case", help="the business case: three savings, reconciliation with the paper, "
                                             "economic summary, workbook, report and charts")
    p.add_argument("current", nargs="?", default=str(CONFIGS / "current.yaml"), help="current pathway config")
    p.add_argument("redesign", nargs="?", default=str(CONFIGS / "redesign.yaml"), help="redesigned pathway config")
    p.add_argument("--case", default=str(DEFAULT_CASE), help="business case inputs (costing bases, new services, "
                                                           "economics, switching values)")
    p.add_argument("--reconciliation", default=str(DEFAULT_RECONCILIATION),
                   help="the paper's arithmetic: unit costs, volumes and figures")
    add_run_options(p, events=False)


def check_switching_inputs(case: BusinessCase, current: Config, redesign: Config) -> None:
    """The attribution order names changes, every switching input names a number, and every value
    tried makes valid configs (else a one-line ConfigError)."""
    from .experiments.attribution import resolve_order
    from .inputs.config import ConfigError

    try:
        resolve_order(list(case.attribution_order))
    except ConfigError as exc:
        raise ConfigError(f"business case: attribution_order = {list(case.attribution_order)}: "
                          f"{str(exc).split(': ', 1)[-1]}") from None
    for path, spec in case.switching.inputs.items():
        get_input(redesign, path)
        for value in spec.values:
            source = f"business case: switching.inputs.{path} = {value}"
            set_input(redesign, path, value, source)
            if spec.apply_to == "both":
                set_input(current, path, value, source)


def assumptions_table(current: Config, redesign: Config, case: BusinessCase, rec_path: str) -> pd.DataFrame:
    """Every parameter (both pathways, the business case, the reconciliation) with value, unit, provenance, note."""
    from .inputs.config import read_yaml_mapping

    registry = load_registry()
    base = load_config(CONFIGS / "base.yaml").model_dump()
    cur = parameter_table(current.model_dump(), base, registry, "current")
    red = parameter_table(redesign.model_dump(), base, registry, "redesign")
    same = cur["value"].to_numpy() == red.set_index("path").loc[cur["path"], "value"].to_numpy()
    differ = set(cur.loc[~same, "path"])
    pathways = pd.concat([
        cur[same].assign(applies_to="both pathways"),
        cur[~same].assign(applies_to="current pathway"),
        red[red["path"].isin(differ)].assign(applies_to="redesign pathway"),
    ])
    case_data = case.model_dump()
    case_table = parameter_table(case_data, case_data, registry, "business case", prefix="business_case.",
                                 whole=WHOLE)
    case_table.insert(0, "applies_to", "business case")
    rec_data = read_yaml_mapping(Path(rec_path))
    rec_table = parameter_table(rec_data, rec_data, registry, "reconciliation", prefix="reconciliation.")
    rec_table.insert(0, "applies_to", "reconciliation with the paper")
    columns = ["applies_to", "path", "value", "unit", "provenance", "note"]
    return pd.concat([pathways[columns], case_table[columns], rec_table[columns]], ignore_index=True)


def labelled(result: BusinessCaseResult) -> BusinessCaseResult:
    """The result's tables with plain-word labels for changes and routes."""
    result.savings_by_change.insert(1, "label", [change_label(s) for s in result.savings_by_change["step"]])
    for table in (result.activity_by_route, result.cost_by_route):
        table.insert(1, "route_in_words", [route_label(r) for r in table["route"]])
    return result


def sheets(result: BusinessCaseResult, assumptions: pd.DataFrame, case: BusinessCase) -> list[tuple[str, str, pd.DataFrame, str]]:
    """Every table as ``(sheet title, csv name, table, note)``; the workbook and the CSV files hold the same."""
    econ = case.economics
    return [
        ("Summary", "summary.csv", result.headline,
         "A saving is positive. Gross: activity basis (the paper's). Net: as paid, less the new services. "
         "Cash-releasing: only lines whose spend changes. X6 is in GP hours, apart."),
        ("Savings by line", "savings_by_line.csv", result.savings_by_line,
         "Each line of activity costed as paid (block or activity); the three savings with paired 95% intervals."),
        ("Savings by change", "savings_by_change.csv", result.savings_by_change,
         "Changes switched on one after another (order: " + ", ".join(case.attribution_order) + "); "
         "each step paired with the one before."),
        ("Reconciliation", "reconciliation.csv", result.reconciliation,
         "The paper's figures recomputed from configs/reconciliation.yaml, the volume a day each implies, "
         "and the model's figure (gross basis) with its 95% interval."),
        ("Reconciliation gaps", "reconciliation_gaps.csv", result.gap_reasons,
         "The gap (paper - model) split into named reasons; measured = from the model's KPIs, "
         "estimate = arithmetic on the paper's volumes or the config's shares."),
        ("Economic summary", "economic_summary.csv", result.economic_summary,
         f"Optimism bias: savings -{econ.optimism_bias_savings_pct:g}%, costs +{econ.optimism_bias_costs_pct:g}%; "
         f"discounted at {econ.discount_rate:.1%} over {econ.horizon_years} years."),
        ("Economic years", "economic_years.csv", result.economic_years, "Mean savings after optimism bias, by year."),
        ("Switching values", "switching_values.csv", result.switching,
         "The value of each key input at which the net saving reaches zero, with its 95% interval."),
        ("Activity by route", "activity_by_route.csv", result.activity_by_route, "Patients a day on each route."),
        ("Cost by route", "cost_by_route.csv", result.cost_by_route, "Annual cost of each route, activity basis."),
        ("Waits", "waits.csv", result.waits, "Mean minutes with 95% intervals."),
        ("Slot use", "slot_use.csv", result.slot_use,
         "SDA slots and bookings by weekday and hour, summed over the replications re-run with the event log."),
        ("Uncertainty", "uncertainty.csv", result.uncertainty,
         "Precision of each headline figure across paired replications."),
        ("Assumptions", "assumptions.csv", assumptions,
         "Every parameter with its value, unit, provenance and source note."),
    ]


def charts(result: BusinessCaseResult, paper_total: float) -> dict[str, tuple[str, object]]:
    """Every chart as ``{file name: (caption, Figure)}``."""
    from .outputs.business_charts import (
        cost_by_route_figure,
        savings_waterfall_figure,
        slot_use_heatmap_figure,
        switching_tornado_figure,
        waits_figure,
    )

    cost = result.cost_by_route
    out = {
        "savings_waterfall.png": ("Savings change by change (gross activity basis)",
                                  savings_waterfall_figure(result.savings_by_change, paper_total)),
        "savings_waterfall_net.png": ("Net savings change by change (as paid)",
                                      savings_waterfall_figure(result.savings_by_change, paper_total, "net")),
        "cost_by_route.png": ("Annual cost by route, current and redesign", cost_by_route_figure(cost)),
        "waits_by_route.png": ("Waits by step", waits_figure(result.waits)),
        "switching_values.png": ("Switching values", switching_tornado_figure(result.switching)),
    }
    for (arm, service), table in result.slot_use.groupby(["arm", "service"], sort=False):
        if table["slots"].sum() > 0:
            name = f"slot_use_{arm}_{service.split()[0].lower()}.png"
            out[name] = (f"{service} slots used by hour and weekday, {arm} pathway",
                         slot_use_heatmap_figure(table, f"{service} slots used, %, {arm} pathway"))
    return out


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def report(result: BusinessCaseResult, assumptions: pd.DataFrame, pngs: dict[str, bytes], captions: dict[str, str],
           current: Config, redesign: Config) -> str:
    from .outputs.html_report import report_html, table_html

    n = result.replications
    sections = [
        ("Headline figures", table_html(result.headline, ["label", "unit", "mean", "ci_low", "ci_high"])),
        ("Savings by line of activity", table_html(result.savings_by_line)),
        ("Savings change by change", table_html(result.savings_by_change.drop(columns=["step"]))),
        ("Reconciliation with the paper", table_html(result.reconciliation.drop(columns=["figure"]))),
        ("Why the model's figure differs from the paper's", table_html(result.gap_reasons)),
        ("Economic summary (Green Book manner)", table_html(result.economic_summary)),
        ("Switching values", table_html(result.switching)),
        ("Assumptions", table_html(assumptions)),
    ]
    intro = (f"{current.name} against {redesign.name} on the same simulated patients: {n} paired replications of "
             f"{current.run.days} days ({current.run.warmup_days} warm-up). A saving is positive. Intervals are 95% "
             "paired intervals across replications.")
    return report_html("Same-day urgent care redesign: business case", intro, sections,
                       {captions[name]: png for name, png in pngs.items()})


def cmd_business_case(args) -> int:
    """Run the business case and write the workbook, the report, the charts and the CSV tables."""
    from .cli import (
        _load,
        _manifest,
        _output_folder,
        _resumable,
        _say_precision,
        _warn_single_replication,
        executor_for,
        precision_for,
    )
    from .experiments.precision import Outcome
    from .experiments.resources import check_fits

    case = load_business_case(args.case)
    rec = load_reconciliation(args.reconciliation)
    current, redesign = _load(args.current, args), _load(args.redesign, args)
    redesign = redesign.model_copy(update={"run": current.run})
    check_switching_inputs(case, current, redesign)
    out = _output_folder(Path(args.out or Path("results") / "business_case"))
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        check_fits(current, 1 if args.scheduler else args.jobs)
        with executor_for(args) as executor:
            result = labelled(run_business_case(current, redesign, case, rec, progress=not args.quiet,
                                                checkpoints=checkpoints, executor=executor,
                                                precision=precision_for(args)))
        assumptions = assumptions_table(current, redesign, case, args.reconciliation)
        tables = sheets(result, assumptions, case)
        for _, csv_name, table, _ in tables:
            writer.csv(csv_name, table)
        writer.csv("comparison.csv", result.comparison)
        from .outputs.workbook import workbook_bytes

        writer.bytes("business_case.xlsx", workbook_bytes([(title, table, note) for title, _, table, note in tables]))
        figures = charts(result, rec.paper_gbp.total)
        pngs = {name: _png(fig) for name, (_, fig) in figures.items()}
        for name, png in pngs.items():
            writer.bytes(name, png)
        captions = {name: caption for name, (caption, _) in figures.items()}
        writer.bytes("business_case.html", report(result, assumptions, pngs, captions, current, redesign).encode())
        outcome = Outcome(result.replications, result.precision_reached)
        writer.json("manifest.json", _manifest(args, {"current": current, "redesign": redesign},
                                               time.perf_counter() - start, checkpoints, outcome))
        writer.commit()
    if not args.quiet:
        _say_precision(outcome, args)
        print_summary(result, current)
        print(f"\nResults in {out}/ (business_case.xlsx, business_case.html, charts and CSV tables)")
    _warn_single_replication(current, args)
    return 0


def print_summary(result: BusinessCaseResult, current: Config) -> None:
    """The headline figures and the reconciliation, one line each; a saving is positive."""
    print(f"Business case: {result.replications} paired replications x {current.run.days} days")
    for _, row in result.headline.iterrows():
        unit = "GBP " if "GBP" in row["unit"] else ""
        print(f"  {row['label']}: {unit}{row['mean']:,.0f} (95% CI {row['ci_low']:,.0f} to {row['ci_high']:,.0f})"
              f"{'' if unit else ' ' + row['unit']}")
    print("Reconciliation with the paper (calculated from the paper's inputs; model, gross basis):")
    for _, row in result.reconciliation.iterrows():
        implied = f", implies {row['implied_per_day']:.1f} a day" if pd.notna(row["implied_per_day"]) else ""
        print(f"  {row['label']}: paper {row['paper_gbp']:,.0f}, calculated {row['calculated_gbp']:,.0f} "
              f"({row['difference_pct']:+.1f}%{implied}); model {row['model_gbp']:,.0f} "
              f"({row['model_ci_low_gbp']:,.0f} to {row['model_ci_high_gbp']:,.0f})")
