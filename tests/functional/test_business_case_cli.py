"""The business-case command: workbook, report and charts written, numbers as in the CSV tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from sim.cli import main
from sim.outputs.workbook import header_in_words

from ..conftest import CONFIGS

SHEETS = (
    "Summary",
    "Savings by change",
    "Reconciliation",
    "Economic summary",
    "Activity by route",
    "Activity bridge",
    "Overflow patients",
    "Financial case",
    "Options appraisal",
    "Costing table",
    "Cost by route",
    "Waits",
    "Slot use",
    "Uncertainty",
    "Assumptions",
)
CSV_OF_SHEET = {
    "Summary": "summary.csv",
    "Savings by change": "savings_by_change.csv",
    "Reconciliation": "reconciliation.csv",
    "Economic summary": "economic_summary.csv",
    "Activity by route": "activity_by_route.csv",
    "Cost by route": "cost_by_route.csv",
    "Waits": "waits.csv",
    "Slot use": "slot_use.csv",
    "Uncertainty": "uncertainty.csv",
    "Assumptions": "assumptions.csv",
    "Switching values": "switching_values.csv",
}
CHARTS = (
    "savings_waterfall.png",
    "cost_by_route.png",
    "waits_by_route.png",
    "switching_values.png",
    "slot_use_redesign_gpcg.png",
)


def _small_case(tmp_path: Path) -> Path:
    """The shipped business case with one switching input tried at one value (a small, quick run)."""
    text = (CONFIGS / "business_case.yaml").read_text()
    head, _, tail = text.partition("  inputs:\n")
    rest = tail.split("\n\n", 1)[1]
    path = tmp_path / "case.yaml"
    text = (
        head + "  inputs:\n    patients.accepts_redirection: {label: Share accepting, values: [0.3], "
        "apply_to: both}\n\n" + rest
    )
    # the costing table by its full path; the options appraisal off (quick)
    text = text.replace("costing: costing.yaml", f"costing: {CONFIGS / 'costing.yaml'}")
    head, _, tail = text.partition("options:")
    path.write_text(head + "options: {}\n\n" + tail.split("\n\n", 1)[1])
    return path


PSA_FIGURES = {
    "saving_p2.5_gbp": -100_000.0,
    "saving_p50_gbp": 300_000.0,
    "saving_p97.5_gbp": 700_000.0,
    "probability_saving_positive": 0.8125,
    "net_saving_p2.5_gbp": -900_000.0,
    "net_saving_p50_gbp": -200_000.0,
    "net_saving_p97.5_gbp": 150_000.0,
    "probability_net_saving_positive": 0.25,
    "draws": 64.0,
}


def _psa_folder(tmp_path: Path) -> Path:
    """The files of a `psa` run that `business-case --psa` reads, with figures written here by hand."""
    import json

    folder = tmp_path / "psa"
    folder.mkdir()
    rows = [
        {
            "measure": k,
            "value": v,
            "ci_low": v * 0.9 if v < 1 else np.nan,
            "ci_high": min(v * 1.1, 1.0) if v < 1 else np.nan,
            "note": "",
        }
        for k, v in PSA_FIGURES.items()
    ]
    pd.DataFrame(rows).to_csv(folder / "psa_summary.csv", index=False)
    pd.DataFrame({"input": [f"input {k}" for k in range(41)]}).to_csv(folder / "inputs.csv", index=False)
    (folder / "manifest.json").write_text(json.dumps({"days": 35, "psa": {"samples_drawn": 64, "replications": 2}}))
    return folder


@pytest.fixture(scope="module")
def business_case_out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("business")
    out = tmp / "bc"
    code = main(
        [
            "business-case",
            str(CONFIGS / "current.yaml"),
            str(CONFIGS / "redesign.yaml"),
            "--case",
            str(_small_case(tmp)),
            "--reps",
            "2",
            "--days",
            "6",
            "--warmup-days",
            "1",
            "--psa",
            str(_psa_folder(tmp)),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


def _header_row(sheet) -> int:
    """The header's row: the paragraphs above it fill column A alone."""
    return next(row[0].row for row in sheet.iter_rows() if sum(c.value is not None for c in row) > 1)


def test_the_summary_carries_both_intervals_in_paragraphs_a_committee_reads(business_case_out):
    sheet = load_workbook(business_case_out / "business_case.xlsx")["Summary"]
    header = _header_row(sheet)
    paragraphs = [sheet.cell(row=r, column=1).value for r in range(1, header)]
    assert len(paragraphs) >= 8 and all(len(p) < 600 for p in paragraphs)  # a point a row, not one long cell
    assert paragraphs[0].startswith("A saving is positive.")
    text = " ".join(paragraphs)
    assert "GBP -100,000" not in text and "-GBP 100,000 and GBP 700,000" in text  # the PSA's gross interval
    assert "positive in 81% of them" in text and "probability that it is positive is 25%" in text
    assert "64 draws of 41 inputs by Latin hypercube, each 2 paired replications x 35 days" in text
    summary = pd.read_csv(business_case_out / "summary.csv").set_index("measure")
    assert summary.loc["gross_total_input_uncertainty", ["mean", "ci_low", "ci_high"]].tolist() == [
        300_000.0,
        -100_000.0,
        700_000.0,
    ]
    assert summary.loc["net_total_input_uncertainty", "mean"] == -200_000.0
    assert summary.loc["probability_net_saving_positive", "mean"] == 0.25
    assert summary.loc["gross_total", "interval_covers"].startswith("simulation noise only")
    assert summary.loc["gross_total_input_uncertainty", "interval_covers"].startswith("input uncertainty")
    share = next(r for r in sheet.iter_rows(min_row=header + 1) if r[0].value == "probability_net_saving_positive")
    assert share[3].number_format == "0.0%"


def test_a_folder_without_a_psa_is_one_line_before_anything_runs(tmp_path, capsys):
    code = main(
        [
            "business-case",
            "--psa",
            str(tmp_path / "none"),
            "--reps",
            "2",
            "--days",
            "2",
            "--warmup-days",
            "1",
            "--out",
            str(tmp_path / "bc"),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "--psa" in err and "psa_summary.csv" in err
    assert not (tmp_path / "bc").exists()


def test_workbook_has_every_sheet_with_the_csv_numbers(business_case_out):
    book = load_workbook(business_case_out / "business_case.xlsx")
    assert set(SHEETS) <= set(book.sheetnames)
    for title, csv_name in CSV_OF_SHEET.items():
        table = pd.read_csv(business_case_out / csv_name, keep_default_na=False, na_values=[""])
        sheet = book[title]
        header_row = _header_row(sheet)  # notes sit above the header
        assert header_row == 2 or title == "Summary"
        headers = [c.value for c in sheet[header_row]]
        assert headers == [header_in_words(c) for c in table.columns], title
        hides_id = (table.columns[0], table.columns[1]) in {
            *((first, "label") for first in ("measure", "line", "step", "figure", "item", "option", "input", "kpi")),
            ("route", "route_in_words"),
        }
        assert sheet.freeze_panes == f"{'C' if hides_id else 'B'}{header_row + 1}", title
        assert sheet.column_dimensions["A"].hidden == hides_id, (
            title
        )  # ids hidden beside their words, kept for programs
        values = list(sheet.iter_rows(min_row=header_row + 1, values_only=True))
        assert len(values) == len(table), title
        for column_index, column in enumerate(table.columns):
            if not pd.api.types.is_numeric_dtype(table[column]) or table[column].dtype == bool:
                continue
            got = np.array([np.nan if row[column_index] is None else row[column_index] for row in values], dtype=float)
            assert np.allclose(got, table[column].to_numpy(dtype=float), rtol=1e-9, equal_nan=True), (title, column)
    money = book["Summary"].cell(row=_header_row(book["Summary"]) + 1, column=4)
    assert "£" in money.number_format


def test_report_and_every_chart_are_written(business_case_out):
    html = (business_case_out / "business_case.html").read_text()
    assert html.count("data:image/png;base64,") >= len(CHARTS)
    for heading in (
        "Headline figures",
        "Reconciliation with the paper",
        "Switching values",
        "Assumptions",
        "What the model leaves out",
    ):
        assert heading in html
    for name in CHARTS:
        assert (business_case_out / name).stat().st_size > 5000, name


def test_one_sign_convention_and_savings_that_add_up(business_case_out):
    by_change = pd.read_csv(business_case_out / "savings_by_change.csv").set_index("step")
    steps = by_change.drop(index="total")
    for measure in ("gross", "net", "cash"):
        assert np.isclose(steps[f"{measure}_saving_gbp"].sum(), by_change.loc["total", f"{measure}_saving_gbp"])
    summary = pd.read_csv(business_case_out / "summary.csv").set_index("measure")
    assert np.isclose(summary.loc["gross_total", "mean"], by_change.loc["total", "gross_saving_gbp"])
    comparison = pd.read_csv(business_case_out / "comparison.csv").set_index("kpi")
    # gross = the saving in the pathway cost compare reports: both leave GP time (appointments, reattendances) out
    assert summary.loc["gross_total", "mean"] == pytest.approx(
        comparison.loc["cost_total_annual_gbp", "saving_gbp_mean"]
    )
    # GP reattendance time freed is part of the GP time valued apart
    by_line = pd.read_csv(business_case_out / "savings_by_line.csv").set_index("line")
    assert (
        (
            by_line.loc[
                ["gp_appointments", "gp_reattendances"], ["gross_saving_gbp", "net_saving_gbp", "cash_saving_gbp"]
            ]
            == 0
        )
        .all()
        .all()
    )
    assert by_line.loc["total", "gp_hours_per_week"] == pytest.approx(summary.loc["gp_hours_per_week", "mean"])
    noise = summary.index.isin(["gross_total", "net_total", "cash_total", "gp_hours_per_week"])
    assert summary.loc[noise, "interval_covers"].str.contains("simulation noise only").all()
    assert by_change.loc["x8_ia_nurse_redirects", "label"].startswith("X8 IA nurse redirects")
    assumptions = pd.read_csv(business_case_out / "assumptions.csv")
    assert (assumptions["provenance"] != "none").all()
    assert "redesign pathway" in set(assumptions["applies_to"])


@pytest.mark.parametrize(
    "patch, field",
    [
        ("economics:\n  discount_rate: -0.1\n", "economics.discount_rate"),
        ("financial:\n  years: 0\n", "financial.years"),
        ("options:\n  bad: {label: b, settings: {slot_diaries.pcn_sda.slots_per_day: [1, 2]}}\n", "options.bad"),
        ("attribution_order: [x8, x9]\n", "attribution_order"),
        (
            "switching:\n  inputs: {patients.sda_eligible: {label: e, values: [1.5], apply_to: both}}\n",
            "switching.inputs.patients.sda_eligible",
        ),
    ],
)
def test_bad_business_case_value_is_one_line_exit_2_nothing_written(tmp_path, capsys, patch, field):
    import yaml

    data = yaml.safe_load((CONFIGS / "business_case.yaml").read_text())
    data["costing"] = str(CONFIGS / "costing.yaml")
    for key, value in yaml.safe_load(patch).items():
        data[key] = {**data[key], **value} if isinstance(value, dict) else value
    bad = tmp_path / "bad_case.yaml"
    bad.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    code = main(
        [
            "business-case",
            "--case",
            str(bad),
            "--reps",
            "2",
            "--days",
            "3",
            "--warmup-days",
            "1",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and field in err, err
    assert not out.exists() and not list(tmp_path.glob(".out*"))


def test_the_business_case_gives_the_same_figures_on_a_dask_cluster(tmp_path):
    from sim.experiments.business_case import run_business_case
    from sim.experiments.executors import DaskExecutor, SerialExecutor
    from sim.inputs.business_case import load_business_case
    from sim.inputs.config import apply_overrides, load_config
    from sim.inputs.reconciliation import load_reconciliation

    case = load_business_case(_small_case(tmp_path))
    rec = load_reconciliation(CONFIGS / "reconciliation.yaml")
    current = apply_overrides(load_config(CONFIGS / "current.yaml"), replications=2, days=2, warmup_days=1)
    redesign = load_config(CONFIGS / "redesign.yaml")
    results = []
    # threads in this process keep the cluster's start-up short; the tasks are the same
    for executor in (SerialExecutor(), DaskExecutor("local", workers=2, processes=False)):
        with executor:
            results.append(run_business_case(current, redesign, case, rec, progress=False, executor=executor))
    serial, dask = results
    for name in ("headline", "savings_by_change", "switching", "slot_use"):
        pd.testing.assert_frame_equal(getattr(serial, name), getattr(dask, name), check_exact=True, obj=name)
    assert serial.replications == dask.replications == 2 and serial.precision_reached is None


def test_business_case_chooses_its_replications_by_precision(tmp_path, capsys):
    import json

    out = tmp_path / "bc"
    code = main(
        [
            "business-case",
            "--case",
            str(_small_case(tmp_path)),
            "--days",
            "2",
            "--warmup-days",
            "1",
            "--precision",
            "0.5",
            "--precision-kpis",
            "cost_total_annual_gbp",
            "--max-reps",
            "8",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    n = manifest["replications"]
    assert manifest["precision"]["reached"] is True and 3 <= n <= 8
    assert f"{n} replications give +/-50% on cost_total_annual_gbp" in printed
    assert f"Business case: {n} paired replications" in printed
    summary = pd.read_csv(out / "savings_by_change.csv")
    assert len(summary) > 2
    uncertainty = pd.read_csv(out / "uncertainty.csv")
    assert uncertainty["source"].str.contains(f"({n})", regex=False).all()


def test_business_case_help_lists_the_scheduler_and_precision(capsys):
    with pytest.raises(SystemExit):
        main(["business-case", "--help"])
    text = capsys.readouterr().out
    for option in ("--scheduler", "--precision", "--precision-kpis", "--max-reps", "--jobs"):
        assert option in text, option


def test_one_replication_warns_that_there_is_no_interval(tmp_path, capsys):
    code = main(
        [
            "business-case",
            "--case",
            str(_small_case(tmp_path)),
            "--reps",
            "1",
            "--days",
            "2",
            "--warmup-days",
            "1",
            "--quiet",
            "--out",
            str(tmp_path / "bc"),
        ]
    )
    assert code == 0
    assert "warning: 1 replication gives no confidence interval" in capsys.readouterr().err


def test_the_written_workbook_recalculates_to_the_csv_figures(business_case_out):
    """The live sheets of the workbook the command writes, recalculated, give the Summary's figures to GBP 1."""
    formulas = pytest.importorskip("formulas")
    solution = formulas.ExcelModel().loads(str(business_case_out / "business_case.xlsx")).finish().calculate()
    book = load_workbook(business_case_out / "business_case.xlsx")
    assert book.sheetnames[:4] == ["Summary", "Inputs", "Live savings", "Live economic case"]
    total_row = next(row[0].row for row in book["Live savings"].iter_rows(min_row=3) if row[0].value == "Total")

    def value(sheet: str, cell: str) -> float:
        return float(np.asarray(solution[f"'[business_case.xlsx]{sheet.upper()}'!{cell}"].value).ravel()[0])

    summary = pd.read_csv(business_case_out / "summary.csv").set_index("measure")["mean"]
    for column, measure in zip("EFG", ("gross_total", "net_total", "cash_total")):
        assert value("Live savings", f"{column}{total_row}") == pytest.approx(summary[measure], abs=1.0), measure
    economic = pd.read_csv(business_case_out / "economic_summary.csv").set_index("item")["gbp"]
    npv_row = next(
        row[0].row for row in book["Live economic case"].iter_rows(min_row=3) if row[0].value == "Net present value"
    )
    assert value("Live economic case", f"G{npv_row}") == pytest.approx(economic["npv_total"], abs=1.0)
    # the live financial case: nominal cash by year and scenario, as in financial_case.csv
    financial = pd.read_csv(business_case_out / "financial_case.csv")
    sheet = book["Live financial case"]
    heads = [c.value for c in sheet[2]]
    cash = heads.index("Cash, GBP") + 1
    assert sheet.max_row - 2 == len(financial)
    for k, expected in enumerate(financial["cash_gbp"]):
        assert value(
            "Live financial case", f"{sheet.cell(row=3 + k, column=cash).column_letter}{3 + k}"
        ) == pytest.approx(expected, abs=1.0), financial.iloc[k][["scenario", "year"]].tolist()
    # the Assumptions sheet holds numbers as numbers
    values = [row[2] for row in book["Assumptions"].iter_rows(min_row=3, values_only=True)]
    assert any(isinstance(v, float) for v in values)
