"""The documentation's results, validation and headline figures, read from committed result files.

The docs site does not copy numbers by hand: its pages name a fragment
(``{{ headline_saving }}``, ``{{ validation_table }}``, ...) and the site's build
hook fills it from the files the commands wrote into ``results/example/``
(``comparison.csv``, ``attribution.csv``, ``validation.csv``,
``input_uncertainty.csv``, ``input_uncertainty_sweep.csv``). The figures are drawn
at build time from the same tables by the functions the commands use
(``sim.outputs.report``), so a page, its figures and the result files cannot
disagree. ``FRAGMENTS`` names every fragment; ``FIGURES`` every figure.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .labels import change_label
from .report import attribution_figure, cost_change_by_route_figure, sample_figure

EXAMPLE = Path(__file__).resolve().parents[2] / "results" / "example"
"""The committed result files the pages are made from."""

COMPARED = ("current", "redesign")
"""The two scenarios of ``comparison.csv`` (``compare configs/current.yaml configs/redesign.yaml``)."""

HEADLINE_KPIS = (
    "utc_attendances_per_day",
    "sda_redirections_front_door_per_day",
    "sda_redirections_utc_per_day",
    "sda_bookings_overflow_per_day",
    "sda_bookings_111_per_day",
    "nhs111_no_slot_to_front_door_per_weekday",
    "nhs111_no_slot_to_front_door_per_weekend_day",
    "utc_within_4h_pct",
    "redirected_time_to_slot_mean_min",
    "gp_reattendances_after_sda_per_week",
    "gp_reattendances_after_utc_per_week",
    "gp_reattendance_hours_per_week",
    "cost_total_annual_gbp",
    "gp_reattendance_value_annual_gbp",
)
"""The KPIs of the results page's table, in its order (a KPI missing from the file is left out)."""


def gbp(value: float) -> str:
    """Money with separators: ``GBP 1,262,933``."""
    value = round(float(value))
    return f"GBP {value:,}" if value >= 0 else f"-GBP {-value:,}"


def gbp_millions(value: float) -> str:
    """Money in millions, for a headline: ``GBP 1.26M``."""
    return f"GBP {value / 1e6:,.2f}M"


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = Path(folder) / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: result file not found (see results/example/README.md for the command that writes it)"
        )
    return pd.read_csv(path)


def _number(value: float, unit: str) -> str:
    if pd.isna(value):
        return ""
    if "GBP" in unit:
        return gbp(value)
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if round(value, 2) else "0"


def _row(comparison: pd.DataFrame, kpi: str) -> pd.Series:
    rows = comparison[comparison["kpi"] == kpi]
    if rows.empty:
        raise KeyError(f"comparison.csv: no row for {kpi}")
    return rows.iloc[0]


# ------------------------------------------------------------ fragments ----
def headline_saving(folder: Path = EXAMPLE) -> str:
    """The redesign's recurrent annual saving with its paired 95% interval, in words."""
    row = _row(_read(folder, "comparison.csv"), "cost_total_annual_gbp")
    return (
        f"**{gbp_millions(row['saving_gbp_mean'])} a year** (95% interval {gbp_millions(row['saving_gbp_ci_low'])}"
        f" to {gbp_millions(row['saving_gbp_ci_high'])}, {int(row['n_reps'])} paired replications)"
    )


def headline_costs(folder: Path = EXAMPLE) -> str:
    """Each pathway's recurrent annual cost, in words."""
    row = _row(_read(folder, "comparison.csv"), "cost_total_annual_gbp")
    return (
        f"{gbp_millions(row['baseline_mean'])} a year today and {gbp_millions(row['scenario_mean'])} after the redesign"
    )


def comparison_table(folder: Path = EXAMPLE, kpis: tuple[str, ...] = HEADLINE_KPIS) -> str:
    """A Markdown table of the headline KPIs: current, redesign, the paired difference with its interval."""
    comparison = _read(folder, "comparison.csv")
    lines = [f"| KPI | {COMPARED[0]} | {COMPARED[1]} | difference (95% interval) |", "|---|---|---|---|"]
    for kpi in kpis:
        rows = comparison[comparison["kpi"] == kpi]
        if rows.empty:
            continue
        r = rows.iloc[0]
        unit = str(r["unit"])
        diff = _number(r["diff_mean"], unit)
        if not pd.isna(r["diff_ci_low"]):
            diff += f" ({_number(r['diff_ci_low'], unit)} to {_number(r['diff_ci_high'], unit)})"
        if not pd.isna(r.get("saving_gbp_mean")):
            diff += f"; saving {gbp(r['saving_gbp_mean'])}"
        lines.append(
            f"| {r['label']} | {_number(r['baseline_mean'], unit)} | {_number(r['scenario_mean'], unit)} | {diff} |"
        )
    return "\n".join(lines)


def validation_table(folder: Path = EXAMPLE) -> str:
    """A Markdown table of every validation target: published figure, range, the model with its interval."""
    table = _read(folder, "validation.csv")
    lines = ["| figure | published | source | range | model (95% interval) | |", "|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        unit = "GBP" if "GBP" in r["target"] else ""
        within = "within" if str(r["within"]) == "True" else "**outside**"
        lines.append(
            f"| {r['target']} | {r['published']} | {r['source']} | {_number(r['range_low'], unit)} to "
            f"{_number(r['range_high'], unit)} | {_number(r['model_mean'], unit)} ({_number(r['model_ci_low'], unit)}"
            f" to {_number(r['model_ci_high'], unit)}) | {within} |"
        )
    return "\n".join(lines)


def validation_summary(folder: Path = EXAMPLE) -> str:
    """How many targets the model meets, in words."""
    table = _read(folder, "validation.csv")
    inside = int((table["within"].astype(str) == "True").sum())
    return f"{inside} of {len(table)} figures within their published ranges"


def attribution_table(folder: Path = EXAMPLE) -> str:
    """A Markdown table of the saving change by change, each step with its paired interval."""
    table = _read(folder, "attribution.csv")
    lines = ["| step | saving a year (95% interval) | UTC attendances a day | paper |", "|---|---|---|---|"]
    for _, r in table.iterrows():
        name = "Total" if r["step"] == "total" else change_label(r["step"])
        paper = "" if pd.isna(r.get("paper_estimate")) else r["paper_estimate"]
        lines.append(
            f"| {name} | {gbp(r['saving_mean_gbp'])} ({gbp(r['saving_ci_low_gbp'])} to "
            f"{gbp(r['saving_ci_high_gbp'])}) | {r['utc_attendances_per_day_diff']:+.1f} | {paper} |"
        )
    return "\n".join(lines)


def uncertainty_summary(folder: Path = EXAMPLE) -> str:
    """The input-uncertainty sweep's saving over its draws, as a Markdown list."""
    table = _read(folder, "input_uncertainty.csv").set_index(["measure", "parameter"], drop=False)

    def money(measure: str) -> str:
        r = table[table["measure"] == measure].iloc[0]
        return f"{gbp_millions(r['value'])} ({gbp_millions(r['ci_low'])} to {gbp_millions(r['ci_high'])})"

    draws = int(table[table["measure"] == "points"].iloc[0]["value"])
    share = table[table["measure"] == "share_saving_above_zero"].iloc[0]["value"]
    lines = [
        f"- draws: {draws};",
        f"- median saving {money('saving_p50_gbp')};",
        f"- 95% of draws between {money('saving_p2.5_gbp')} and {money('saving_p97.5_gbp')};",
        f"- share of draws that save money: {share:.0%};",
        "- rank correlation of each input with the saving:",
    ]
    rho = table[table["measure"] == "spearman_rho_with_saving"].sort_values("value", key=np.abs, ascending=False)
    lines += [
        f"    - `{r['parameter']}` {r['value']:+.2f} ({r['ci_low']:+.2f} to {r['ci_high']:+.2f})"
        for _, r in rho.iterrows()
    ]
    return "\n".join(lines)


def _sheet(folder: Path, sheet: str) -> tuple[str, pd.DataFrame]:
    """A sheet of ``business_case.xlsx``: its notes (the paragraphs above the table) and its table."""
    path = Path(folder) / "business_case.xlsx"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: result file not found (see results/example/README.md)")
    top = pd.read_excel(path, sheet_name=sheet, header=None, nrows=30)
    header = next(i for i in range(len(top)) if top.iloc[i].notna().sum() > 1)  # notes fill column A alone
    note = "\n\n".join(str(v) for v in top.iloc[:header, 0])
    return note, pd.read_excel(path, sheet_name=sheet, header=header)


def _with_interval(value: float, low: float, high: float, unit: str) -> str:
    text = _number(value, unit)
    if not (pd.isna(low) or pd.isna(high)):
        text += f" ({_number(low, unit)} to {_number(high, unit)})"
    return text


def business_case_summary(folder: Path = EXAMPLE) -> str:
    """The business case workbook's *Summary* sheet as a Markdown table: each saving with its interval."""
    note, table = _sheet(folder, "Summary")
    lines = ["| figure | unit | mean (95% interval) |", "|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['Label']} | {r['Unit']} | "
            f"{_with_interval(r['Mean'], r['95% CI low'], r['95% CI high'], str(r['Unit']))} |"
        )
    return "\n".join(lines) + f"\n\n{note}"


def business_case_economics(folder: Path = EXAMPLE) -> str:
    """The workbook's *Economic summary* (Green Book): each benefit, cost and present value with its interval."""
    note, table = _sheet(folder, "Economic summary")
    lines = ["| item | kind | GBP (95% interval) |", "|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(
            f"| {r['Label']} | {r['Kind']} | "
            f"{_with_interval(r['GBP'], r['95% CI low, GBP'], r['95% CI high, GBP'], 'GBP')} |"
        )
    return "\n".join(lines) + f"\n\n{note}"


def example_files(folder: Path = EXAMPLE) -> str:
    """``results/example/README.md`` without its heading: which command wrote which file."""
    text = (Path(folder) / "README.md").read_text(encoding="utf-8")
    return "\n".join(line for line in text.splitlines() if not line.startswith("# "))


FRAGMENTS: dict[str, Callable[[Path], str]] = {
    "headline_saving": headline_saving,
    "headline_costs": headline_costs,
    "comparison_table": comparison_table,
    "validation_table": validation_table,
    "validation_summary": validation_summary,
    "attribution_table": attribution_table,
    "uncertainty_summary": uncertainty_summary,
    "business_case_summary": business_case_summary,
    "business_case_economics": business_case_economics,
    "example_files": example_files,
}
"""Every fragment a page may name, ``{{ name }}``, and the function that writes it."""


# -------------------------------------------------------------- figures ----
def validation_figure(table: pd.DataFrame) -> Figure:
    """Each validation target's range (shaded) and the model's figure with its 95% interval.

    Targets have different units, so each row is drawn on its own range: 0 is the
    range's low end and 1 its high end.
    """
    low, high = table["range_low"].astype(float), table["range_high"].astype(float)
    span = (high - low).replace(0, np.nan)
    mean = (table["model_mean"] - low) / span
    err = np.vstack(
        [(table["model_mean"] - table["model_ci_low"]) / span, (table["model_ci_high"] - table["model_mean"]) / span]
    )
    fig = Figure(figsize=(10, 0.62 * len(table) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(table))[::-1]
    ax.axvspan(0, 1, color="#2ca02c", alpha=0.12, lw=0)
    inside = table["within"].astype(str) == "True"
    ax.errorbar(mean, y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=3, lw=1)
    ax.plot(mean[inside], y[inside.to_numpy()], "o", color="#1f77b4", label="within the range")
    ax.plot(mean[~inside], y[~inside.to_numpy()], "s", color="#d62728", label="outside the range")
    ax.set_yticks(y, [textwrap.fill(t, 48) for t in table["target"]], fontsize=7)
    ax.set_xlabel("position within the published range (0: its low end, 1: its high end); model with 95% interval")
    ax.set_title("The model against published figures")
    ax.legend(loc="lower right", fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _varied(sweep: pd.DataFrame) -> list[str]:
    """The varied inputs of a sweep table: the columns between ``point`` and the saving."""
    columns = list(sweep.columns)
    return columns[columns.index("point") + 1 : columns.index("saving_mean_gbp")]


FIGURES: dict[str, Callable[[Path], Figure]] = {
    "cost_change_by_route.png": lambda folder: cost_change_by_route_figure(_read(folder, "comparison.csv"), *COMPARED),
    "attribution.png": lambda folder: attribution_figure(_read(folder, "attribution.csv")),
    "validation.png": lambda folder: validation_figure(_read(folder, "validation.csv")),
    "input_uncertainty_sweep.png": lambda folder: sample_figure(
        _read(folder, "input_uncertainty_sweep.csv"),
        _varied(_read(folder, "input_uncertainty_sweep.csv")),
        "input_uncertainty",
    ),
}
"""Every figure of the site, by file name, drawn from the result files in a folder."""


def figure_png(name: str, folder: Path = EXAMPLE) -> bytes:
    """One of ``FIGURES`` as PNG bytes."""
    return _png(FIGURES[name](Path(folder)))
