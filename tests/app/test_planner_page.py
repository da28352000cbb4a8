"""The Plan capacity page in Streamlit's AppTest, on a tiny budget, and its words and tables."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sim.app.planner_page import QUICK, build_plan
from sim.app.planner_words import (
    days_words,
    line_comment,
    setting_source,
    target_choices,
    variable_words,
)
from sim.inputs.config import ConfigError
from sim.inputs.plan import load_plan
from sim.outputs.labels import kpi_label

from .helpers import APP, ROOT, problems

PLAN = "gpcg_sda_next_year.yaml"
SEARCH_TIMEOUT = 600  # seconds: the search runs inside one script run, on a busy machine


def _tables(at: AppTest) -> dict[str, object]:
    return {t.value.index.name: t.value for t in at.table if t.value.index.name in ("Figure", "Setting")}


def test_page_runs_a_tiny_search_and_shows_the_recommended_plan_beside_the_shipped_one():
    at = AppTest.from_file(str(APP), default_timeout=SEARCH_TIMEOUT)
    at.run()
    assert problems(at) == []
    # a tiny search: one simulated day after the warm-up, few plans, few replications
    at.number_input(key="planner|days").set_value(8)
    at.number_input(key="planner|budget").set_value(30)
    at.number_input(key="planner|trials").set_value(4)
    at.number_input(key="planner|candidates").set_value(2)
    at.number_input(key="planner|first_reps").set_value(3)
    # targets the shipped plans meet, so a plan is recommended whatever the noise of one day
    at.number_input(key=f"planner|{PLAN}|target|sda_redirections_front_door_per_day").set_value(20.0)
    at.number_input(key=f"planner|{PLAN}|target|utc_within_4h_pct").set_value(80.0)
    at.checkbox(key=f"planner|{PLAN}|target|sda_refused_while_unused_per_day_gpcg|on").uncheck()
    at.checkbox(key=f"planner|{PLAN}|target|sda_unused_slots_per_day_gpcg|on").uncheck()
    at.checkbox(key=f"planner|{PLAN}|var|pcn_carve_out|on").uncheck()  # stays as shipped
    at.button(key="planner|run").click().run()
    assert problems(at) == []
    said = [s.value for s in at.success] + [w.value for w in at.warning]
    assert any("Recommended plan" in text for text in said), said
    tables = _tables(at)
    figures = tables["Figure"]
    # the cost and each ticked target, in words, shipped and recommended side by side with intervals
    assert list(figures.index) == [
        "Net recurrent cost a year",
        kpi_label("sda_redirections_front_door_per_day"),
        kpi_label("utc_within_4h_pct"),
    ]
    assert figures.loc["Net recurrent cost a year", "Shipped"].startswith("GBP ")
    for column in ("Shipped, 95% interval", "Recommended, 95% interval", "Change, 95% interval"):
        assert all(" to " in text for text in figures[column]), figures[column]
    assert figures.loc[kpi_label("sda_redirections_front_door_per_day"), "Recommended meets it?"] in (
        "yes",
        "within tolerance",
    )
    settings = tables["Setting"]
    # the carve-out was not ticked: the planner may not change it, so it is not a setting of the plan
    assert "Share of PCN SDA slots held for NHS 111" not in settings.index
    weekday = settings.loc["GP Care Group SDA service slots 08:00-14:00 a day, Monday to Friday"]
    assert "configs/redesign.yaml" in weekday["Shipped: where it comes from"]
    assert "[paper]" in weekday["Shipped: where it comes from"]
    assert weekday["Recommended: where it comes from"].startswith("chosen by the planner from 20 to 40 in steps of 5")
    assert int(weekday["Recommended"]) in range(20, 41, 5)
    # the same search again: every replication comes back from the results store, and the answer is the same
    at.button(key="planner|run").click().run()
    assert problems(at) == []
    again = _tables(at)
    assert again["Figure"].equals(figures) and again["Setting"].equals(settings)


def test_a_plan_needs_a_setting_to_change_and_valid_targets():
    plan, _ = load_plan(ROOT / "configs" / "plans" / PLAN)
    with pytest.raises(ConfigError, match="tick at least one setting"):
        build_plan(plan, list(plan.constraints), {}, 14, QUICK)
    with pytest.raises(ConfigError, match=r"^planner: variables\.gpcg_weekend.*upper \(30\) must be >= lower \(40\)"):
        build_plan(plan, list(plan.constraints), {"gpcg_weekend": (40, 30)}, 14, QUICK)
    built = build_plan(plan, [], {"gpcg_weekend": (50, 70)}, 14, QUICK)
    assert list(built.variables) == ["gpcg_weekend"] and built.variables["gpcg_weekend"].levels() == [50, 60, 70]
    assert built.run.days == 14 and built.budget == QUICK.budget and built.constraints == []


def test_targets_and_settings_in_words():
    plan, _ = load_plan(ROOT / "configs" / "plans" / PLAN)
    choices = target_choices(plan)
    assert [c.kpi for c in choices[: len(plan.constraints)]] == [c.kpi for c in plan.constraints]
    assert choices[0].words == kpi_label("sda_redirections_front_door_per_day")
    assert variable_words(plan.variables["utc_daytime_clinicians"]) == "UTC clinicians on duty 10:00-20:00, every day"
    assert days_words(["Sat", "Sun"]) == "Saturday and Sunday"
    assert days_words(["Fri", "Mon", "Wed", "Thu", "Tue"]) == "Monday to Friday"
    assert days_words(["Mon"]) == "Monday"


def test_provenance_is_read_from_the_file_that_sets_the_value(tmp_path):
    scenario = ROOT / "configs" / "plans" / "redesign_pcn_carve_out.yaml"
    carve = setting_source(scenario, "slot_diaries.pcn_sda.carve_out.nhs111")
    assert carve.startswith("[assumed]") and "configs/plans/redesign_pcn_carve_out.yaml" in carve
    gpcg = setting_source(scenario, "slot_diaries.gpcg_sda.slots_per_day")
    assert gpcg.startswith("[paper]") and "configs/redesign.yaml" in gpcg
    utc = setting_source(scenario, "utc.clinicians")
    assert utc.startswith("[calibrated]") and "configs/base.yaml" in utc
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "demand:\n  walk_in: {mean_per_day: 112.5}  # [assumed] a quarter\n  nhs111:\n"
        "    mean_per_day: 9  # [public] block\n"
    )
    assert line_comment(flow, "demand.walk_in.mean_per_day") == "[assumed] a quarter"
    assert line_comment(flow, "demand.nhs111.mean_per_day") == "[public] block"
    assert line_comment(flow, "demand.nhs111.growth") is None
