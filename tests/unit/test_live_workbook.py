"""The workbook's live sheets recompute the Python figures by Excel formulas (recalculated with ``formulas``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from sim.analysis.business_case import Arm, replication_savings
from sim.analysis.costs import line_volumes
from sim.analysis.economics import financial_case, npv
from sim.inputs.business_case import load_business_case
from sim.outputs.business_case_files import live_financial, live_inputs
from sim.outputs.workbook import add_live_sheets

from ..conftest import CONFIGS
from .test_business_case import DAYS, _summary

formulas = pytest.importorskip("formulas")


@pytest.fixture(scope="module")
def case():
    return load_business_case(CONFIGS / "business_case.yaml")


@pytest.fixture(scope="module")
def arms(current_cfg, redesign_cfg):
    """UTC 100 -> 90 a day, GPCG SDA 25 -> 35 a day, GP reattendances 40 -> 30 a week (three replications)."""
    base = Arm(_summary([100.0, 102.0, 98.0], [25.0, 24.0, 26.0], reattend_per_week=40.0), current_cfg)
    scen = Arm(_summary([90.0, 91.0, 89.0], [35.0, 35.0, 35.0], reattend_per_week=30.0), redesign_cfg)
    return base, scen


def _recalculate(path) -> dict[str, float]:
    """Every formula cell's value, keyed ``'Sheet name'!A1`` as the live sheets' addresses are."""
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    book = path.name
    values = {}
    for key, ranges in solution.items():
        prefix = f"'[{book}]"
        if key.startswith(prefix) and ":" not in key:
            sheet, cell = key[len(prefix) :].split("'!")
            value = np.asarray(ranges.value).ravel()[0]
            if isinstance(value, (int, float, np.number)):
                values[f"{sheet}!{cell}"] = float(value)
    return values


def _value(values: dict[str, float], address: str) -> float:
    sheet, cell = address.split("!")
    return values[f"{sheet.strip(chr(39)).upper()}!{cell.replace('$', '')}"]


def _write(tmp_path, base, scen, costed, change=None):
    lines = pd.DataFrame(
        {
            "line": list(costed.costing.lines),
            "label": [x.label for x in costed.costing.lines.values()],
            "basis": [x.basis for x in costed.costing.lines.values()],
            "current_per_day": line_volumes(base.summary, costed.costing).mean().to_numpy(),
            "redesign_per_day": line_volumes(scen.summary, costed.costing).mean().to_numpy(),
        }
    )
    book = Workbook()
    where = add_live_sheets(
        book, lines, live_inputs(0.0, costed, scen.cfg), costed.economics.horizon_years, live_financial(costed)
    )
    path = tmp_path / "live.xlsx"
    book.save(path)
    if change:
        book = load_workbook(path)
        inputs = book["Inputs"]
        for row in inputs.iter_rows(min_row=3):
            if row[0].value in change:
                row[2].value = change[row[0].value]
        book.save(path)
    return where, _recalculate(path)


def test_live_sheets_match_the_python_figures_to_a_pound(tmp_path, arms, case):
    base, scen = arms
    savings = replication_savings(base, scen, case)
    values = npv(savings, case)
    where, got = _write(tmp_path, base, scen, case)
    for measure in ("gross", "net", "cash"):
        assert _value(got, where[f"{measure}_total"]) == pytest.approx(savings[f"{measure}_total"].mean(), abs=1.0)
    assert _value(got, where["gp_hours_total"]) == pytest.approx(savings["gp_hours_per_week"].mean(), abs=1e-6)
    block = [name for name, line in case.costing.lines.items() if line.basis == "block"]
    after_reset = replication_savings(base, scen, case, reset_lines=tuple(block))
    assert block and _value(got, where["cash_after_reset_total"]) == pytest.approx(
        after_reset["cash_total"].mean(), abs=1.0
    )
    assert _value(got, where["cash_after_reset_total"]) != pytest.approx(_value(got, where["cash_total"]), abs=1.0)
    assert _value(got, where["npv_total"]) == pytest.approx(values["total"].mean(), abs=1.0)
    assert _value(got, where["npv_cash_releasing"]) == pytest.approx(values["cash_releasing"].mean(), abs=1.0)


def test_changing_a_unit_cost_and_the_discount_rate_in_the_sheet_recomputes_by_hand(tmp_path, arms, case):
    base, scen = arms
    where, got = _write(tmp_path, base, scen, case, change={"price_utc_attendance": 100.0, "discount_rate": 0.05})
    # UTC 100 -> 90 a day at GBP 100 now; SDA 25 -> 35 a day at GBP 43.84
    gross = 10 * DAYS * 100.0 - 10 * DAYS * 43.84
    assert _value(got, where["gross_total"]) == pytest.approx(gross, abs=1.0)
    # by hand: benefits (UTC at GBP 100) lowered 15%, costs (new SDA slots and new services) raised 41%,
    # set-up in year 0, half the benefits in year 1, discounted at 5%
    savings = replication_savings(base, scen, case)
    costs = -savings["cash_total"].mean() * 1.41
    benefits = 10 * DAYS * 100.0 * 0.85
    gp = 10.0 / 6.0 * 52 * case.economics.gp_hour_value_gbp
    fin = case.financial
    set_up = (fin.one_off_costs_gbp + fin.transition_costs_gbp) * 1.41
    expected = -set_up + sum(
        ((benefits + gp) * (0.5 if year == 1 else 1.0) - costs) / 1.05**year for year in range(1, 6)
    )
    assert _value(got, where["npv_total"]) == pytest.approx(expected, abs=1.0)


def test_live_financial_case_matches_the_python_financial_case_to_a_pound(tmp_path, arms, case):
    base, scen = arms
    fin = financial_case(replication_savings(base, scen, case), case)
    where, got = _write(tmp_path, base, scen, case)
    scenarios = list(dict.fromkeys(fin["scenario"]))
    assert len(scenarios) == 2  # as they stand, and the UTC re-procurement
    for s, scenario in enumerate(scenarios):
        table = fin[fin["scenario"] == scenario].set_index("year")
        for year in range(case.financial.years + 1):
            assert _value(got, where[f"cash_{s}_{year}"]) == pytest.approx(table.loc[year, "cash_gbp"], abs=1.0)
            assert _value(got, where[f"cumulative_{s}_{year}"]) == pytest.approx(
                table.loc[year, "cumulative_cash_gbp"], abs=1.0
            )


def test_changing_inflation_set_up_and_the_reset_year_in_the_sheet_recomputes_by_hand(tmp_path, arms, case):
    base, scen = arms
    savings = replication_savings(base, scen, case)
    where, got = _write(
        tmp_path,
        base,
        scen,
        case,
        change={"cost_inflation_pct": 5.0, "one_off_costs_gbp": 100000.0, "reset_year_utc_reprocurement": 2027.0},
    )
    fin = case.financial
    # by hand: year 0 (2024/25, the price base year) carries the set-up at index 1; the commissioned SDA slots
    # and the new services (no tariff activity moves here) are paid in full from year 1, at 1.05 ** year;
    # with the reset from 2027/28 (year 3) the UTC block also releases 10 a day x 365 x the UTC price
    as_they_stand = savings["cash_total"].mean()
    utc = 10 * DAYS * scen.cfg.unit_costs_gbp.utc_attendance
    assert _value(got, where["cash_0_0"]) == pytest.approx(-(100000.0 + fin.transition_costs_gbp), abs=1.0)
    assert _value(got, where["cash_1_0"]) == pytest.approx(-(100000.0 + fin.transition_costs_gbp), abs=1.0)
    for year in range(1, fin.years + 1):
        index = 1.05**year
        assert _value(got, where[f"cash_0_{year}"]) == pytest.approx(as_they_stand * index, abs=1.0)
        reset = utc * fin.ramp(year) if year >= 3 else 0.0
        assert _value(got, where[f"cash_1_{year}"]) == pytest.approx((as_they_stand + reset) * index, abs=1.0)


def test_headers_spell_acronyms_and_ids_beside_their_words_are_hidden():
    from sim.outputs.workbook import add_sheet, header_in_words

    assert header_in_words("npv_gbp") == "NPV, GBP"
    assert header_in_words("utc_within_4h_pct") == "UTC within 4h, %"
    book = Workbook()
    table = pd.DataFrame(
        {"rank": [1], "option": ["no_weekend_pcn"], "label": ["Without weekend PCN slots"], "npv_gbp": [1.0]}
    )
    add_sheet(book, "Options", table, ["A note."])
    sheet = book["Options"]
    assert sheet.column_dimensions["B"].hidden and not sheet.column_dimensions["C"].hidden
    assert not sheet.column_dimensions["A"].hidden and sheet.freeze_panes == "B3"
    assert [c.value for c in sheet[2]] == ["Rank", "Option", "Label", "NPV, GBP"]
