"""The web app in Streamlit's AppTest: runs, inputs, bad uploads and downloads."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import streamlit as st
from openpyxl import load_workbook
from streamlit.delta_generator import DeltaGenerator

from sim.app.tables import CSS_CLASS, read_stacked_table
from sim.inputs.config import load_config
from sim.outputs.labels import kpi_label

from .helpers import ROOT, headline, metrics, problems, run, small_app

IA_REDIRECTIONS = kpi_label("sda_redirections_ia_per_day")


def test_default_run_shows_kpis_with_intervals():
    at = small_app()
    assert problems(at) == []
    assert at.info and "press Run" in at.info[0].value  # nothing has run yet in this session
    run(at)
    assert problems(at) == []
    rows = headline(at)
    utc = rows[kpi_label("utc_attendances_per_day")]
    mean = float(utc["Today"].replace(",", ""))
    assert 100 < mean < 400, utc  # the current pathway's order of magnitude
    assert " to " in utc["Today, 95% interval"]  # a 95% interval from the two replications, in its own column
    # the scenario is the current pathway itself: the paired saving is exactly zero, and the page says why
    assert metrics(at)["Gross saving a year"] == "GBP 0"
    assert any("zero by construction" in i.value for i in at.info)


def test_changed_input_changes_result_only_when_run():
    at = small_app()
    run(at)
    before = headline(at)[IA_REDIRECTIONS]
    at.slider(key="current|redirection_current|rate").set_value(0.0).run()
    assert headline(at)[IA_REDIRECTIONS] == before  # results are kept until the next Run
    assert any("inputs have changed since" in c.value for c in at.caption)
    run(at)
    assert problems(at) == []
    after = headline(at)[IA_REDIRECTIONS]
    assert after["Scenario"] == "0.0"
    assert float(before["Scenario"]) > 0
    assert after["Today"] == before["Today"]  # the baseline is unchanged
    assert metrics(at)["Gross saving a year"] != "GBP 0"


def test_finished_replications_are_reused_across_sessions():
    first = small_app()
    run(first)
    second = small_app()  # a reload: a new session, nothing shown yet
    assert not any(t.value.index.name == "KPI" for t in second.table)
    assert any("already run" in c.value for c in second.caption)  # Run will show them at once
    run(second)
    assert headline(second) == headline(first)


@pytest.mark.parametrize(
    "content, expected",
    [
        (
            b"extends: current.yaml\npatients:\n  accepts_redirection: 1.5\n",
            "patients.accepts_redirection = 1.5: Input should be less than or equal to 1",
        ),
        (b"extends: current.yaml\nname: [unclosed\n", "invalid YAML"),
        (b"extends: current.yaml\nutc:\n  doctors: 3\n", "utc.doctors: unknown field"),
    ],
)
def test_bad_upload_shows_one_message(content, expected):
    at = small_app()
    at.radio(key="pathway").set_value("upload").run()
    at.file_uploader(key="upload").upload("my_scenario.yaml", content, "application/x-yaml").run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert expected in message
    assert message.startswith("my_scenario.yaml: ")  # names the upload, not a temporary path
    assert "\n" not in message


def test_inconsistent_inputs_show_one_message():
    at = small_app(days=5)  # fewer days than the 7-day warm-up
    assert not at.exception
    assert [e.value for e in at.error] == ["inputs: run.warmup_days (7) must be less than run.days (5)"]


def test_good_upload_runs_like_the_shipped_file(tmp_path):
    text = b"extends: redesign.yaml\nname: my_redesign\nchanges:\n  x6_comprehensive_sda_consultation: false\n"
    at = small_app()
    at.radio(key="pathway").set_value("upload").run()
    at.file_uploader(key="upload").upload("mine.yaml", text, "application/x-yaml").run()
    assert problems(at) == []
    prefix = next(t.key.split("|")[0] for t in at.toggle if t.key and t.key.startswith("upload-"))
    assert at.toggle(key=f"{prefix}|x8_ia_nurse_redirects").value is True
    assert at.toggle(key=f"{prefix}|x6_comprehensive_sda_consultation").value is False


def _slots_with(at, provider_words: str, day: str, value: int) -> pd.DataFrame:
    """The slot table as the page shows it, with one cell changed (as typing over it does)."""
    from sim.app.editors import slots_table
    from sim.app.scenario import choices_from_config

    cfg = load_config(
        ROOT / "configs" / ("redesign.yaml" if at.radio(key="pathway").value == "redesign" else "current.yaml")
    )
    table = slots_table(choices_from_config(cfg).slots)
    row = next(i for i in table.index if i.startswith(provider_words))
    table.loc[row, day] = value
    return table


@pytest.fixture
def downloads(monkeypatch):
    """Every download button's file, by key, as the page offers it."""
    files: dict[str, tuple[str, bytes]] = {}
    original = DeltaGenerator.download_button

    def record(self, label, data, file_name=None, *args, **kwargs):
        files[kwargs.get("key")] = (file_name, data)
        return original(self, label, data, file_name, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", record)
    monkeypatch.setattr(st, "download_button", lambda *a, **k: record(st._main, *a, **k))
    return files


def test_downloads_load_back_with_the_inputs_set(downloads, tmp_path):
    at = small_app("redesign")
    at.slider(key="redesign|redirection_x8|rate").set_value(60.0)
    at.session_state["redesign|slot_table|base"] = _slots_with(at, "GP Care Group", "Sun", 40)
    at.toggle(key="redesign|x5_utc_stops_redirecting").set_value(False)
    at.slider(key="redesign|eligible").set_value(75.0)
    at.selectbox(key="redesign|hours|gpcg_sda").set_value("demand")
    at.run()
    run(at, "Weekend GPCG 40")
    assert problems(at) == []
    assert {"dl_results", "dl_scenario", "dl_baseline"} <= set(downloads)

    name, data = downloads["dl_scenario"]
    assert name == "weekend_gpcg_40.yaml"  # named by the scenario, not like a shipped config
    path = tmp_path / name
    path.write_bytes(data)
    cfg = load_config(path)  # a valid config, as run_sim.py run would read it
    assert cfg.ia_nurse.redirection_x8.probability == pytest.approx(0.60)
    assert cfg.slot_diaries.gpcg_sda.slots_per_day[6] == 40
    assert cfg.changes.x5_utc_stops_redirecting is False
    assert cfg.changes.x8_ia_nurse_redirects is True
    assert cfg.patients.sda_eligible == pytest.approx(0.75)
    assert (cfg.run.replications, cfg.run.days) == (2, 10)
    weights = cfg.slot_diaries.gpcg_sda.hour_weights  # slots follow front-door arrivals through the day
    assert weights[11] > weights[8] > 0 and weights[7] == weights[20] == 0
    assert cfg.slot_diaries.pcn_sda.hour_weights is None  # the others stay even

    name, data = downloads["dl_baseline"]
    (tmp_path / name).write_bytes(data)
    base = load_config(tmp_path / name)
    assert base.patients.sda_eligible == pytest.approx(0.75)  # a fact about patients: both arms
    assert base.changes.x8_ia_nurse_redirects is False

    results = pd.read_csv(io.BytesIO(downloads["dl_results"][1]))
    cost = results.set_index("kpi").loc["cost_total_annual_gbp"]
    assert cost["saving_mean"] == pytest.approx(cost["baseline_mean"] - cost["scenario_mean"])
    assert cost["saving_mean"] == pytest.approx(-cost["change_mean"])


def test_sweep_page_plots_each_kpi_against_the_input(downloads):
    at = small_app()
    at.text_input(key="sweep_values|redirection_rate").set_value("0, 90").run()
    at.button(key="run_sweep").click().run()
    at.run()  # the sweep runs at the top of the page, then shows
    assert problems(at) == []
    assert len(at.get("vega_lite_chart")) == 6  # one chart per KPI, each with its interval band
    sweep = pd.read_csv(io.BytesIO(downloads["dl_sweep"][1]))
    by_value = sweep.set_index("IA nurse redirection rate (%)")
    redirections = by_value[by_value["kpi"] == "sda_redirections_front_door_per_day"]
    assert redirections.loc[90.0, "mean"] > redirections.loc[0.0, "mean"]
    assert (sweep["low"] <= sweep["mean"]).all() and (sweep["mean"] <= sweep["high"]).all()


def test_bad_sweep_value_shows_one_message():
    at = small_app()
    at.text_input(key="sweep_values|redirection_rate").set_value("20, lots").run()
    assert [e.value for e in at.error] == ["sweep values: 'lots' is not a number"]
    at.text_input(key="sweep_values|redirection_rate").set_value("20, 150").run()
    assert len(at.error) == 1 and at.error[0].value.startswith("IA nurse redirection rate (%) = 150: inputs: ")
    assert not at.exception


def test_savings_by_change_runs_the_steps():
    at = small_app()
    at.toggle(key="current|x5_utc_stops_redirecting").set_value(True)
    at.toggle(key="current|x8_ia_nurse_redirects").set_value(True).run()
    run(at)
    assert not at.get("vega_lite_chart") or not any(
        "Saving change by change" in c.proto.spec for c in at.get("vega_lite_chart")
    )
    at.button(key="attribute").click().run()  # runs the middle step, X5 alone
    assert problems(at) == []
    chart = at.get("vega_lite_chart")
    assert any("Saving change by change" in c.proto.spec for c in chart)


def test_business_case_workbook_is_built_on_request(downloads):
    at = small_app("redesign", replications=2, days=8)
    at.toggle(key="redesign|quick").set_value(True).run()
    run(at)
    assert problems(at) == []
    assert "dl_workbook" not in downloads  # heavy: built only when asked
    assert any("whole business case" in c.value for c in at.caption)
    at.button(key="build_workbook").click().run()
    assert problems(at) == []
    name, data = downloads["dl_workbook"]
    assert name.endswith("_business_case.xlsx")
    book = load_workbook(io.BytesIO(data))
    assert {"Summary", "Savings by change", "Assumptions"} <= set(book.sheetnames)
    # the workbook says where and how it was built: in the app, in quick mode
    assert "QUICK MODE" in book["Summary"]["A1"].value
    provenance = [row[4] for row in book["Assumptions"].iter_rows(min_row=3, values_only=True)]
    assert "scenario redesign as set in the web app" in provenance
    sheet = book["Savings by change"]
    header = [c.value for c in sheet[2]]
    steps = {
        row[header.index("Step")]: row[header.index("Label")] for row in sheet.iter_rows(min_row=3, values_only=True)
    }
    # the workbook names each change X1-X8 as the app's switches do
    toggles = {t.key.split("|", 1)[1]: t.label for t in at.toggle if t.key.startswith("redesign|x")}
    assert len(toggles) == 8
    for switch, label in toggles.items():
        assert steps[switch] == label
    assert not any(b.key == "build_workbook" for b in at.button)
    downloads.clear()
    at.run()  # kept for the session: offered again without building
    assert "dl_workbook" in downloads and not any(b.key == "build_workbook" for b in at.button)
    # and says what quick mode trades away
    assert any(
        c.value.startswith("Built in this session") and "switching values rest on as few" in c.value for c in at.caption
    )


def test_the_workbook_progress_counts_every_planned_replication():
    """The progress bar's total is the plan's count, and the build reaches it exactly."""
    from sim.app.workbook import CountingExecutor, build_workbook, shipped_inputs
    from sim.experiments.business_case import plan_business_case
    from sim.inputs.config import apply_overrides

    base = apply_overrides(load_config(ROOT / "configs" / "current.yaml"), replications=2, days=2, warmup_days=1)
    scen = load_config(ROOT / "configs" / "redesign.yaml").model_copy(update={"run": base.run})
    case, rec = shipped_inputs()
    case = case.model_copy(
        update={
            "switching": case.switching.model_copy(update={"inputs": dict(list(case.switching.inputs.items())[:1])})
        }
    )
    plan = plan_business_case(base, scen, case)
    done = []
    data = build_workbook(base, scen, case, rec, CountingExecutor(lambda: done.append(1)))
    assert len(done) == plan.replications > 0
    assert "Summary" in load_workbook(io.BytesIO(data)).sheetnames


def _rota_with(at, group: str, change) -> pd.DataFrame:
    """A rota table as the page shows it for the chosen pathway, changed by ``change(table)``."""
    from sim.app.editors import ROTA_FIELDS, rota_table

    cfg = load_config(ROOT / "configs" / f"{at.radio(key='pathway').value}.yaml")
    _, block, field, _ = ROTA_FIELDS[group]
    table = rota_table(getattr(getattr(cfg, block), field))
    change(table)
    return table


def test_a_broken_scenario_shows_a_warning_not_a_saving():
    at = small_app()
    # one UTC clinician fewer in every hour: the UTC queue grows without bound
    at.session_state["current|rota|utc_clinician|base"] = _rota_with(
        at, "utc_clinician", lambda t: t.__isub__(1).clip(lower=0, inplace=True)
    )
    run(at, "One clinician fewer")
    assert not at.exception
    assert len(at.error) == 1 and "No saving is shown" in at.error[0].value
    assert "UTC" in at.error[0].value
    assert not any("saving a year" in label for label in metrics(at))  # no figure to quote


def test_an_evening_clinician_costs_money_in_net_and_cash():
    at = small_app()
    run(at, "Today")
    before = metrics(at)

    def evening(table):
        table.loc[["18:00", "19:00", "20:00", "21:00"], :] += 1  # one more UTC clinician 18:00-22:00 every day

    at.session_state["current|rota|utc_clinician|base"] = _rota_with(at, "utc_clinician", evening)
    run(at, "Evening clinician")
    assert problems(at) == []
    after = metrics(at)
    assert before["Net saving a year"] == "GBP 0"
    # 28 clinician hours a week at GBP 80 an hour: about GBP 117k a year off the net and cash savings
    assert after["Net saving a year"].startswith("-GBP") and after["Cash-releasing saving a year"].startswith("-GBP")
    assert any("UTC clinicians +28 hours a week" in c.value for c in at.caption)
    assert len(at.get("plotly_chart")) == 2  # the pathway diagram, today beside the scenario
    arrows = next(t.value for t in at.table if t.value.index.name == "From")
    assert {"To", "Today, a day", "Scenario, a day", "Change"} <= set(arrows.columns)


def test_two_scenarios_side_by_side(downloads):
    at = small_app()
    run(at, "Today as it is")
    at.slider(key="current|redirection_current|rate").set_value(0.0).run()
    run(at, "No redirection")
    assert problems(at) == []
    table = next(read_stacked_table(h.proto.body) for h in at.get("html") if CSS_CLASS in h.proto.body)
    assert table.index.name == "What"
    assert {"Today's pathway", "Today as it is", "No redirection"} <= set(table.columns)
    assert table.loc["Gross saving a year (95% interval)", "Today as it is"].startswith("GBP 0")
    assert " to " in table.loc["Gross saving a year (95% interval)", "No redirection"]
    name, data = downloads["dl_scenarios"]
    assert name == "today_as_it_is_vs_no_redirection.csv"
    long = pd.read_csv(io.BytesIO(data))
    assert set(long["scenario"]) == {"Today as it is", "No redirection"}


def test_inputs_set_on_both_arms_say_so():
    at = small_app()
    at.slider(key="current|accepts").set_value(60.0).run()
    assert any("Applies to both arms" in c.value for c in at.caption)
    run(at, "Sixty per cent accept")
    assert any("willing to be redirected 60%" in i.value and "both arms" in i.value for i in at.info)


def test_the_attribution_order_is_the_business_cases_and_is_stated():
    from sim.app.money import shipped_case
    from sim.experiments.attribution import resolve_order
    from sim.outputs.labels import change_number

    at = small_app()
    order = ", ".join(change_number(c) for c in resolve_order(list(shipped_case().attribution_order)))
    assert order.startswith("X8, X5")
    assert any(order in m.value for m in at.markdown)  # on the glossary page
    glossary = next(t.value for t in at.table if t.value.index.name == "Word")
    assert {"SDA", "GPCG", "PCN", "IA", "KPI", "Seed", "X1", "X8"} <= set(glossary.index)


def test_an_empty_redirection_window_is_refused_in_one_line():
    at = small_app()
    at.slider(key="current|redirection_current|window").set_value((20.0, 20.0)).run()
    assert [e.value for e in at.error] == [
        "redirection window 20:00-20:00: no hours in it; the window must end after it starts"
    ]
    assert at.button(key="run").disabled  # nothing to run until it is fixed


def test_a_sweep_withholds_the_saving_where_the_scenario_breaks():
    at = small_app()
    at.selectbox(key="sweep_input").set_value("utc_clinicians_added").run()
    at.text_input(key="sweep_values|utc_clinicians_added").set_value("-1 0").run()  # spaces, no commas
    at.button(key="run_sweep").click().run()
    assert not at.exception
    assert [e.value for e in at.error if "Not a steady state" in e.value] == [
        "Not a steady state at UTC clinicians added to every hour = -1: queues grow or the 4-hour share collapses "
        "there, so no saving is shown at those values (run one alone to see why)."
    ]


def test_sweep_bands_stay_within_their_limits(downloads):
    at = small_app()
    at.text_input(key="sweep_values|redirection_rate").set_value("0, 90").run()
    at.button(key="run_sweep").click().run()
    sweep = pd.read_csv(io.BytesIO(downloads["dl_sweep"][1]))
    share = sweep[sweep["kpi"] == "utc_within_4h_pct"]
    assert (share["high"] <= 100.0).all() and (share["low"] >= 0.0).all()
