"""Business case arithmetic on made-up KPI tables whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.analysis.business_case import (
    Arm,
    implementation_cost,
    replication_savings,
    savings_table,
)
from sim.analysis.costs import activity_kpi
from sim.analysis.economics import discount_factors, economic_summary, npv
from sim.model.eventlog import ACTIVITIES
from sim.model.patients import CHANNELS
from sim.experiments.switching import price_switching_values, zero_crossing
from sim.inputs.business_case import load_business_case
from sim.inputs.reconciliation import load_reconciliation
from sim.analysis.reconciliation import paper_calculation

from ..conftest import CONFIGS, tweak

DAYS = 365.0


def _summary(utc_per_day: list[float], sda_per_day: list[float], reattend_per_week: float = 0.0) -> pd.DataFrame:
    """Per-replication KPIs of two routes: streamed to UTC, and redirected by the IA nurse to GPCG SDA."""
    rows = []
    for r, (utc, sda) in enumerate(zip(utc_per_day, sda_per_day)):
        row = {"replication": r, **{activity_kpi(c, a): 0.0 for c in CHANNELS for a in ACTIVITIES}}
        row.update(
            {
                "volume_per_day_walk_in:ia>utc": utc,
                "volume_per_day_walk_in:ia>navigator>sda_gpcg": sda,
                activity_kpi("walk_in", "ia"): utc + sda,
                activity_kpi("walk_in", "utc"): utc,
                activity_kpi("walk_in", "navigator"): sda,
                activity_kpi("walk_in", "sda_gpcg"): sda,
                activity_kpi("walk_in", "gp_reattend"): reattend_per_week / 7.0,
                "cost_annual_gbp_walk_in:ia>utc": utc * DAYS * 91.0,
                "cost_annual_gbp_walk_in:ia>navigator>sda_gpcg": sda * DAYS * 43.84,
                "gp_reattendances_per_week": reattend_per_week,
                "gp_reattendance_hours_per_week": reattend_per_week / 6.0,
                # the pathway cost leaves GP time out (valued apart)
                "cost_total_annual_gbp": utc * DAYS * 91.0 + sda * DAYS * 43.84,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def case():
    return load_business_case(CONFIGS / "business_case.yaml")


@pytest.fixture(scope="module")
def arms(current_cfg, redesign_cfg):
    base = Arm(_summary([100.0, 102.0, 98.0], [25.0, 24.0, 26.0], reattend_per_week=40.0), current_cfg)
    scen = Arm(_summary([90.0, 91.0, 89.0], [35.0, 35.0, 35.0], reattend_per_week=30.0), redesign_cfg)
    return base, scen


def test_three_savings_add_up_as_reported(arms, case):
    base, scen = arms
    savings = replication_savings(base, scen, case)
    table = savings_table(savings, case.costing).set_index("line")
    lines = [*case.costing.lines, "implementation"]
    for measure in ("gross", "net", "cash"):
        assert np.isclose(table.loc[lines, f"{measure}_saving_gbp"].sum(), table.loc["total", f"{measure}_saving_gbp"])
    # gross: UTC attendances avoided at 91, SDA appointments added at 43.84; GP reattendances (X6) left out
    expected_gross = (10.0 * 91.0 - 10.0 * 43.84) * DAYS  # means: UTC 100 -> 90, SDA 25 -> 35
    assert np.isclose(table.loc["total", "gross_saving_gbp"], expected_gross)
    # the pathway cost compare reports moves by exactly the gross saving
    assert np.isclose(savings["model_total_gbp"].mean(), expected_gross)
    # net: SDA paid as commissioned slots (GPCG 30 Mon-Sat funded today -> 60 Mon-Sun; PCN none -> the pilots'),
    # UTC attendances at the tariff (activity value, though the block pays the same), less the new services
    gpcg = np.mean(scen.cfg.slot_diaries.gpcg_sda.slots_per_day) - np.mean(base.cfg.slot_diaries.gpcg_sda.slots_per_day)
    pcn = np.mean(scen.cfg.slot_diaries.pcn_sda.slots_per_day) - np.mean(base.cfg.slot_diaries.pcn_sda.slots_per_day)
    block_change = (gpcg + pcn) * DAYS * 43.84
    assert gpcg > 0 and pcn > 0
    assert np.isclose(
        table.loc["total", "net_saving_gbp"], 10.0 * 91.0 * DAYS - block_change - implementation_cost(case)
    )
    # cash: the UTC block is paid as today, so only the SDA slots and the new services move cash
    assert np.isclose(table.loc["total", "cash_saving_gbp"], -block_change - implementation_cost(case))
    assert table.loc["utc_attendance", "cash_saving_gbp"] == 0.0
    # once the UTC block is reset to the new activity, its 10 fewer a day are cash too
    reset = replication_savings(base, scen, case, reset_lines=("utc_attendance",))
    assert np.isclose(reset["cash_total"].mean(), 10.0 * 91.0 * DAYS - block_change - implementation_cost(case))
    # GP time stays apart, in hours: 10 fewer reattendances a week x 10 minutes
    assert np.isclose(savings["gp_hours_per_week"].mean(), 10.0 / 6.0)
    assert np.isclose(savings["gp_time_value_gbp"].mean(), 10.0 / 7 * DAYS * 45.0)


def test_care_navigator_switching_value_is_exact(arms, case):
    base, scen = arms
    savings = replication_savings(base, scen, case)
    rows = {row["input"]: row for row in price_switching_values(savings, base, scen, case)}
    row = rows["business_case.implementation.care_navigator_gbp_per_wte"]
    imp = case.implementation
    expected = imp.care_navigator_gbp_per_wte + savings["net_total"].mean() / imp.care_navigator_wte
    assert np.isclose(row["switching_value"], expected)
    # at that cost the net saving is zero
    at_switch = case.model_copy(
        update={"implementation": imp.model_copy(update={"care_navigator_gbp_per_wte": row["switching_value"]})}
    )
    assert abs(replication_savings(base, scen, at_switch)["net_total"].mean()) < 1e-6


def test_utc_tariff_switching_value_makes_the_net_saving_zero(arms, case):
    base, scen = arms
    savings = replication_savings(base, scen, case)
    row = {r["input"]: r for r in price_switching_values(savings, base, scen, case)}["unit_costs_gbp.utc_attendance"]
    utc = "volume_per_day_walk_in:ia>utc"
    for r in savings.index:  # replication by replication, the saving is zero at its own switching value
        tariff = 91.0 - savings.loc[r, "net_total"] / ((base.summary.loc[r, utc] - scen.summary.loc[r, utc]) * DAYS)
        cheap = [Arm(a.summary, tweak(a.cfg, unit_costs_gbp__utc_attendance=tariff)) for a in (base, scen)]
        assert abs(replication_savings(*cheap, case).loc[r, "net_total"]) < 1e-6
    assert row["ci_low"] <= row["switching_value"] <= row["ci_high"]


def test_zero_crossing_interpolates_and_flags_extrapolation():
    assert zero_crossing(np.array([0.2, 0.5, 0.8]), np.array([-30.0, 0.0, 30.0])) == (0.5, True)
    value, inside = zero_crossing(np.array([0.8, 0.2, 0.5]), np.array([30.0, -10.0, 10.0]))
    assert inside and math.isclose(value, 0.35)
    value, inside = zero_crossing(np.array([0.5, 0.8]), np.array([10.0, 20.0]))
    assert not inside and math.isclose(value, 0.2)
    assert math.isnan(zero_crossing(np.array([0.5, 0.8]), np.array([10.0, 10.0]))[0])


def test_economic_case_discounts_benefits_and_costs_after_optimism_bias(arms, case):
    base, scen = arms
    savings = replication_savings(base, scen, case)
    econ, fin = case.economics, case.financial
    factors = [1.0 / 1.035**year for year in range(0, 6)]
    assert np.allclose(discount_factors(case), factors)
    # benefits: UTC attendances avoided at the tariff, lowered 15%; costs: the new SDA slots and new services,
    # raised 41% (outsourcing, upper bound); year 0 carries the set-up costs; year 1 half the benefits (ramp-up)
    benefits = 10.0 * 91.0 * DAYS * 0.85
    costs = (savings["cash_total"].mean() * -1.0) * 1.41
    set_up = (fin.one_off_costs_gbp + fin.transition_costs_gbp) * 1.41
    expected = -set_up + sum((benefits * (0.5 if year == 1 else 1.0) - costs) * factors[year] for year in range(1, 6))
    assert np.isclose(npv(savings, case)["cash_releasing"].mean(), expected)
    gp_value = 10.0 / 6.0 * 52 * econ.gp_hour_value_gbp
    non_cash = sum(gp_value * (0.5 if year == 1 else 1.0) * factors[year] for year in range(1, 6))
    table = economic_summary(savings, case).set_index("item")
    assert np.isclose(table.loc["npv_non_cash", "gbp"], non_cash)
    assert np.isclose(table.loc["npv_total", "gbp"], expected + non_cash)
    assert "outsourcing" in table.loc["costs", "label"]


def test_calculator_reproduces_every_paper_figure_within_10_percent():
    table = paper_calculation(load_reconciliation(CONFIGS / "reconciliation.yaml")).set_index("figure")
    assert set(table.index) == {
        "per_patient_via_utc",
        "per_patient_from_ia",
        "current_flow",
        "x1",
        "x4",
        "x5",
        "x8",
        "total",
        "total_model_basis",
    }
    ratio = table["calculated_gbp"] / table["paper_gbp"]
    # every figure but today's flow: the paper's GBP 1.4M costs all 30 a day via the UTC, its X5 only half;
    # the calculator keeps one set of inputs and says so
    others = ratio.drop(index=["current_flow", "total_model_basis"])
    assert ((others > 0.9) & (others < 1.1)).all(), ratio
    assert table["within_tolerance"].drop(index=["current_flow", "total_model_basis"]).all()
    # the paper's volumes costed as the model costs them: X1's 38 overflow slots charged, X4 netted
    like = 365 * (38 * 0.2 * 91.0 - 38 * 43.84 + 6 * (91.0 - 43.84)) + 498225.0 + 516402.0
    assert table.loc["total_model_basis", "calculated_gbp"] == pytest.approx(like)
    assert table.loc["total_model_basis", "within_tolerance"] is None
    assert not table.loc["current_flow", "within_tolerance"] and "X5" in table.loc["current_flow", "note"]
    assert np.isclose(table.loc["per_patient_via_utc", "calculated_gbp"], 134.84)
    assert np.isclose(table.loc["total", "calculated_gbp"], table.loc[["x1", "x4", "x5", "x8"], "calculated_gbp"].sum())
    # the volumes a day each figure implies
    assert table.loc["x5", "implied_per_day"] == pytest.approx(500000 / (365 * 91.0))
    assert table.loc["x8", "implied_per_day"] == pytest.approx(500000 / (365 * (91.0 - 43.84)))


def test_a_saving_that_keeps_its_sign_over_every_possible_value_has_no_switching_value(arms, case, monkeypatch):
    """Here the net saving is a loss at today's share (0.68). Tried at 0.3 and 0.9, it stays a loss, and the
    line through the points reaches zero only far above 1: the table says there is no switching value
    within the possible range. A steeper response crosses zero between 0.68 and 0.9: a value is given."""
    from sim.experiments import switching
    from sim.inputs.business_case import Switching, SwitchingInput

    base, scen = arms
    savings = replication_savings(base, scen, case)
    path = "patients.accepts_redirection"  # a share: the schema allows 0 to 1
    current = switching.get_input(scen.cfg, path)

    # each value tried gives the scenario more UTC attendances the lower the share (3 a day per unit)
    def fake_runs(cfg, **_):
        share = switching.get_input(cfg, path)
        return [share]

    def fake_table(results):
        share = results[0]
        extra = (current - share) * 3.0  # UTC attendances a day added as the share falls
        return _summary([90.0 + extra, 91.0 + extra, 89.0 + extra], [35.0, 35.0, 35.0], reattend_per_week=30.0)

    monkeypatch.setattr(switching, "run_replications", fake_runs)
    monkeypatch.setattr(switching, "summary_table", fake_table)
    one_input = case.model_copy(
        update={
            "switching": Switching(
                replications=3,
                inputs={path: SwitchingInput(label="Share accepting", values=[0.3, 0.9], apply_to="scenario")},
            )
        }
    )
    (row,) = switching.modelled_switching_values(base, scen, savings, one_input)
    assert row["finding"].startswith(switching.NO_SWITCHING_VALUE)
    assert math.isnan(row["switching_value"]) and math.isnan(row["ci_low"]) and row["n_reps"] == 3
    assert row["within_values_tried"] is False
    assert (savings["net_total"] < 0).all()
    monkeypatch.setattr(
        switching,
        "summary_table",
        lambda results: _summary([90.0 + (current - results[0]) * 200.0] * 3, [35.0] * 3, reattend_per_week=30.0),
    )
    (row,) = switching.modelled_switching_values(base, scen, savings, one_input)
    assert current < row["switching_value"] < 0.9 and row["finding"] == "within the values tried"
    assert row["ci_low"] <= row["switching_value"] <= row["ci_high"]


def test_waiting_time_is_reported_in_hours_and_left_unmonetised_unless_a_value_is_set(arms, case):
    from sim.outputs.business_case_files import waiting_sentence

    assert case.economics.patient_hour_value_gbp == pytest.approx(7.80)  # the shipped value: TAG, uprated
    case = case.model_copy(update={"economics": case.economics.model_copy(update={"patient_hour_value_gbp": 0.0})})
    base, scen = arms
    savings = replication_savings(base, scen, case)
    waiting = pd.Series(1200.0, index=savings.index)
    table = economic_summary(savings, case, waiting).set_index("item")
    assert table.loc["waiting_time", "gbp"] == 0.0
    label = table.loc["waiting_time", "label"]
    assert "1,200 patient hours a year saved" in label and "not monetised" in label
    assert "patient_hour_value_gbp" in label
    words = waiting_sentence(1200.0, case)
    assert "reported in hours" in words and "left unmonetised" in words and "patient_hour_value_gbp" in words
    valued = case.model_copy(update={"economics": case.economics.model_copy(update={"patient_hour_value_gbp": 10.0})})
    assert "GBP 12,000 a year" in waiting_sentence(1200.0, valued)
    assert economic_summary(savings, valued, waiting).set_index("item").loc["waiting_time", "gbp"] == pytest.approx(
        12000.0
    )


def test_a_costing_table_that_prices_otherwise_than_the_shipped_one_is_said():
    """The pathway cost KPI (compare, sweeps, the PSA, the app) is priced by the shipped costing table: a business
    case whose own table gives another gross saving says so, with both figures."""
    from sim.analysis.business_case import costing_mismatch

    headline = pd.DataFrame({"measure": ["gross_total"], "mean": [589_602.88]})
    comparison = pd.DataFrame({"kpi": ["cost_total_annual_gbp"], "saving_gbp_mean": [589_602.50]})
    assert costing_mismatch(headline, comparison) == ""
    comparison["saving_gbp_mean"] = 985_000.0  # GP appointments priced as activity in a custom table
    words = costing_mismatch(headline, comparison)
    assert words.startswith("warning:") and "GBP 589,603" in words and "GBP 985,000" in words
    assert "configs/costing.yaml" in words
