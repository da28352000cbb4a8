"""The costing table and the one function that turns line volumes into every saving, checked by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sim.analysis.costs import (
    ArmLines,
    activity_volume_kpis,
    line_savings,
    line_volumes,
    patient_costs,
)
from sim.analysis.economics import financial_case, share_of_year_after
from sim.inputs.business_case import load_business_case
from sim.inputs.config import ConfigError
from sim.inputs.costing import EVENT_LOG_ACTIVITIES, CostingTable, load_costing
from sim.model.eventlog import ACTIVITIES, BIT

from ..conftest import CONFIGS

DAYS = 365.0


def _table(**lines) -> CostingTable:
    """A small costing table: every event-log activity in one line, the named lines as given."""
    used = {a for spec in lines.values() for a in spec["activities"]}
    rest = [a for a in EVENT_LOG_ACTIVITIES if a not in used]
    data = {"price_base_year": "2024/25", "uprating_index": "test", "lines": {}, "contract_events": []}
    for name, spec in lines.items():
        data["lines"][name] = {
            "label": name,
            "payer": "ICB",
            "source_price_year": "2024/25",
            "uprated_by": "none",
            **spec,
        }
    data["lines"]["rest"] = {
        "label": "rest",
        "activities": rest,
        "price": None,
        "payer": "nobody",
        "basis": "unpriced",
        "source_price_year": "2024/25",
        "uprated_by": "none",
    }
    return CostingTable.model_validate(data)


def _arm(volumes: dict[str, float], prices: dict[str, float], slots: dict[str, float] | None = None) -> ArmLines:
    frame = pd.DataFrame([volumes], index=pd.Index([0], name="replication"))
    return ArmLines(frame, prices, slots or {}, gp_hours_each=10.0 / 60.0)


def test_the_shipped_table_counts_every_event_log_activity_once():
    table = load_costing()
    assert set(EVENT_LOG_ACTIVITIES) == set(ACTIVITIES)
    assert sorted(table.line_of()) == sorted(ACTIVITIES)
    assert table.gp_time_lines() == ["gp_appointments", "gp_reattendances"]
    assert table.lines["utc_attendance"].basis == "block"
    assert [e.date for e in table.contract_events] == [dt.date(2026, 4, 1)]


def test_a_tariff_line_releases_its_activity_change_as_cash():
    table = _table(pharmacy={"activities": ["pharmacy"], "price": "pharmacy_first", "basis": "tariff"})
    prices = {"pharmacy": 15.0, "rest": 0.0}
    out = line_savings(
        _arm({"pharmacy": 10.0, "rest": 0.0}, prices), _arm({"pharmacy": 8.0, "rest": 0.0}, prices), table
    ).iloc[0]
    # 2 fewer a day x 365 x GBP 15 = 10,950 on every basis
    assert out["gross_pharmacy"] == out["net_pharmacy"] == out["cash_pharmacy"] == pytest.approx(10950.0)
    assert out["baseline_paid_pharmacy"] - out["scenario_paid_pharmacy"] == pytest.approx(10950.0)


def test_a_block_line_saves_activity_value_but_no_cash_until_its_contract_is_reset():
    table = _table(utc={"activities": ["utc"], "price": "utc_attendance", "basis": "block"})
    prices = {"utc": 91.0, "rest": 0.0}
    base, scen = _arm({"utc": 200.0, "rest": 0.0}, prices), _arm({"utc": 150.0, "rest": 0.0}, prices)
    out = line_savings(base, scen, table).iloc[0]
    # 50 fewer a day x 365 x GBP 91 = 1,660,750 of activity; the block is paid at today's value in both arms
    assert out["gross_utc"] == out["net_utc"] == pytest.approx(1660750.0)
    assert out["cash_utc"] == 0.0
    assert out["baseline_paid_utc"] == out["scenario_paid_utc"] == pytest.approx(200 * 365 * 91.0)
    reset = line_savings(base, scen, table, reset_lines=["utc"]).iloc[0]
    assert reset["cash_utc"] == pytest.approx(1660750.0)
    assert reset["scenario_paid_utc"] == pytest.approx(150 * 365 * 91.0)


def test_commissioned_slots_are_paid_used_or_not_against_the_funded_baseline():
    table = _table(
        sda={
            "activities": ["sda_gpcg"],
            "price": "sda_appointment",
            "basis": "commissioned",
            "diary": "gpcg_sda",
            "funded_slots_per_day": [30, 30, 30, 30, 30, 30, 0],
        }
    )
    prices = {"sda": 40.0, "rest": 0.0}
    base = _arm({"sda": 20.0, "rest": 0.0}, prices, {"sda": 30 * 6 / 7 * DAYS})
    scen = _arm({"sda": 50.0, "rest": 0.0}, prices, {"sda": 60 * DAYS})
    out = line_savings(base, scen, table, funded_slots_per_year={"sda": 30 * 6 / 7 * DAYS}).iloc[0]
    assert out["gross_sda"] == pytest.approx(-30 * 365 * 40.0)  # 30 more used a day
    expected = (30 * 6 / 7 - 60) * 365 * 40.0  # slots paid: 25.7 -> 60 a day
    assert out["net_sda"] == out["cash_sda"] == pytest.approx(expected)
    # a funded baseline of 60 a day: the new slots are already paid for, no new cash
    same = line_savings(base, scen, table, funded_slots_per_year={"sda": 60 * DAYS}).iloc[0]
    assert same["cash_sda"] == pytest.approx(0.0)


def test_gp_time_is_out_of_every_money_saving_and_in_hours():
    table = load_costing()
    lines = list(table.lines)
    prices = {name: 0.0 for name in lines}
    prices.update(gp_appointments=45.0, gp_reattendances=45.0)
    zero = dict.fromkeys(lines, 0.0)
    base = _arm({**zero, "gp_appointments": 30.0, "gp_reattendances": 12.0}, prices)
    scen = _arm({**zero, "gp_appointments": 24.0, "gp_reattendances": 6.0}, prices)
    out = line_savings(base, scen, table, new_services_gbp=0.0).iloc[0]
    for measure in ("gross", "net", "cash"):
        assert out[f"{measure}_total"] == 0.0
    # 12 fewer GP appointments a day: 12 x 7 x 1/6 hour = 14 GP hours a week, worth 12 x 365 x 45 a year
    assert out["gp_hours_per_week"] == pytest.approx(14.0)
    assert out["gp_hours_per_week_gp_appointments"] == pytest.approx(7.0)
    assert out["gp_time_value_gbp"] == pytest.approx(12 * 365 * 45.0)


def test_route_cost_prices_the_money_lines_only(current_cfg):
    c = current_cfg.unit_costs_gbp
    acts = np.array(
        [
            BIT["utc"] | BIT["gp_next_day"],
            BIT["ia"] | BIT["sda_gpcg"] | BIT["gp_reattend"],
            BIT["call_111"] | BIT["practice_111"],
        ]
    )
    assert patient_costs(acts, c).tolist() == pytest.approx(
        [c.utc_attendance, c.ia_streaming + c.sda_appointment, c.nhs111_call]
    )
    kpis = activity_volume_kpis(acts, np.array([0, 0, 1]), 1 / 2.0)
    assert kpis["activity_per_day_walk_in:utc"] == 0.5 and kpis["activity_per_day_nhs111:practice_111"] == 0.5
    volumes = line_volumes(pd.DataFrame([{"replication": 0, **kpis}]))
    assert volumes.loc[0, "gp_appointments"] == 1.0 and volumes.loc[0, "gp_reattendances"] == 0.5


def test_a_contract_reset_releases_cash_from_its_date():
    """The UTC block reset on 1 April 2026: nothing in 2025/26, the full activity change from 2026/27."""
    case = load_business_case(CONFIGS / "business_case.yaml")
    case = case.model_copy(
        update={
            "financial": case.financial.model_copy(
                update={
                    "ramp_up": [1.0],
                    "cost_inflation_pct": 0.0,
                    "one_off_costs_gbp": 0.0,
                    "transition_costs_gbp": 0.0,
                }
            )
        }
    )
    lines = list(case.costing.lines)
    savings = pd.DataFrame({f"{m}_{x}": [0.0] for m in ("gross", "net", "cash") for x in [*lines, "implementation"]})
    savings["gross_utc_attendance"] = savings["net_utc_attendance"] = [100000.0]
    table = financial_case(savings, case)
    stand = table[table["scenario"] == "Contracts as they stand"].set_index("year")
    reset = table[table["scenario"] != "Contracts as they stand"].set_index("year")
    assert (stand["cash_gbp"] == 0.0).all()
    assert reset.loc[1, "utc_attendance_gbp"] == 0.0 and reset.loc[1, "financial_year"] == "2025/26"
    assert reset.loc[2, "utc_attendance_gbp"] == pytest.approx(100000.0)
    assert reset.loc[5, "cumulative_cash_gbp"] == pytest.approx(400000.0)
    # a reset part way through a year releases that part of the year
    assert share_of_year_after(dt.date(2025, 4, 1), dt.date(2025, 10, 1)) == pytest.approx(182 / 365)


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"lines": {"utc_attendance": {"basis": "monthly"}}}, "lines.utc_attendance.basis"),
        ({"lines": {"utc_attendance": {"activities": ["utc", "ed"]}}}, "lines"),
        ({"lines": {"utc_attendance": {"price": "utc_tariff"}}}, "lines.utc_attendance"),
        (
            {
                "contract_events": [
                    {"name": "x", "label": "x", "line": "ed_attendance", "date": dt.date(2026, 4, 1), "scenario": True}
                ]
            },
            "contract_events",
        ),
    ],
)
def test_a_bad_costing_table_is_one_line_naming_the_field(tmp_path, patch, field):
    import yaml

    data = yaml.safe_load((CONFIGS / "costing.yaml").read_text())
    for key, value in patch.items():
        if key == "lines":
            for line, change in value.items():
                data["lines"][line].update(change)
        else:
            data[key] = value
    bad = tmp_path / "costing.yaml"
    bad.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_costing(bad)
    assert len(str(err.value).splitlines()) == 1 and field in str(err.value), str(err.value)
