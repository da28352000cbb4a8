"""The app's inputs: bounds from the schema, configs built from the inputs, no shared state."""

from __future__ import annotations

import ast
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from sim.app.scenario import (
    QUICK_DAYS,
    QUICK_REPLICATIONS,
    build_configs,
    choices_from_config,
    config_yaml,
    demand_weights,
    load_uploaded,
    session_hours,
)
from sim.app.schema import bounds, read_number
from sim.app.simulate import replications, session_store, slot_use
from sim.experiments.store import replication_key as config_key
from sim.inputs.config import (
    MAX_SLOTS_PER_DAY,
    MAX_STAFF,
    ArrivalProfile,
    ConfigError,
    IaNurse,
    PatientCriteria,
    Redirection,
    RunConfig,
    SlotDiary,
    load_config,
    validate_config,
)
from sim.inputs.distributions import Lognormal

from .helpers import ROOT, run, small_app


@pytest.mark.parametrize(
    "model, field, low, high, whole",
    [
        (PatientCriteria, "sda_eligible", 0.0, 1.0, False),
        (Redirection, "end_hour", 0.0, 24.0, False),
        (RunConfig, "replications", 1.0, 10000.0, True),
        (RunConfig, "seed", 0.0, float(2**63 - 1), True),
        (SlotDiary, "slots_per_day", 0.0, float(MAX_SLOTS_PER_DAY), True),  # each item of a weekly list
        (IaNurse, "nurses", 0.0, float(MAX_STAFF), True),  # inside a rota's union of shapes
    ],
)
def test_bounds_are_read_from_the_schema(model, field, low, high, whole):
    b = bounds(model, field)
    assert (b.low, b.high, b.whole) == (low, high, whole)


def test_bounds_agree_with_validation(current_cfg):
    """Just past a bound the config refuses the value; at the bound it accepts it."""
    data = current_cfg.model_dump()
    high = bounds(PatientCriteria, "accepts_redirection").high
    data["patients"]["accepts_redirection"] = high
    validate_config(data)
    data["patients"]["accepts_redirection"] = high + 1e-9
    with pytest.raises(ConfigError):
        validate_config(data)
    assert bounds(Lognormal, "mean").low_open  # gt=0: zero itself is refused


def test_inputs_set_the_scenario_and_shared_facts_set_both(current_cfg, redesign_cfg):
    choices = choices_from_config(redesign_cfg)
    assert choices.redirection_rate == redesign_cfg.ia_nurse.redirection_x8.probability
    choices = replace(
        choices,
        redirection_rate=0.3,
        sda_eligible=0.7,
        growth=1.1,
        utc_clinicians_added=1,
        slots={**choices.slots, "gpcg_sda": [10] * 7},
        window=(9.0, 17.5),
    )
    baseline, scenario = build_configs(redesign_cfg, current_cfg, choices)
    policy = scenario.ia_nurse.redirection_x8
    assert (policy.probability, policy.start_hour, policy.end_hour) == (0.3, 9.0, 17.5)
    assert scenario.slot_diaries.gpcg_sda.slots_per_day == [10] * 7
    assert scenario.utc.clinicians[0] == redesign_cfg.utc.clinicians[0] + 1
    for cfg in (baseline, scenario):
        assert cfg.patients.sda_eligible == 0.7
        assert cfg.demand.nhs111.growth == 1.1
    assert baseline.changes == current_cfg.changes  # the baseline stays the current pathway
    assert baseline.utc.clinicians == current_cfg.utc.clinicians
    assert baseline.run == scenario.run  # paired on the same patients


def test_slots_can_follow_demand_through_the_day(current_cfg, redesign_cfg):
    choices = choices_from_config(redesign_cfg)
    assert choices.slot_hours["gpcg_sda"] is None  # shipped: evenly over the session
    diary = redesign_cfg.slot_diaries.gpcg_sda
    weights = demand_weights(diary, redesign_cfg.demand.walk_in.hour_of_day)
    choices = replace(choices, slot_hours={**choices.slot_hours, "gpcg_sda": weights}, days=8, replications=1)
    _, scenario = build_configs(redesign_cfg, current_cfg, choices)
    use = slot_use(replications(scenario, session_store({})), scenario)
    gpcg = use[(use["provider"] == "gpcg_sda") & (use["weekday"] == 0)].set_index("hour")["slots_per_day"]
    assert gpcg.sum() == diary.slots_per_day[0]  # the day's total is kept
    assert gpcg[11] > gpcg[8]  # more slots at the late-morning peak of arrivals than at 08:00
    assert set(gpcg.index) <= set(session_hours(diary))


def test_without_x8_the_rate_is_todays_policy(current_cfg):
    choices = replace(choices_from_config(current_cfg), redirection_rate=0.1)
    _, scenario = build_configs(current_cfg, current_cfg, choices)
    assert scenario.ia_nurse.redirection_current.probability == 0.1
    assert scenario.ia_nurse.redirection_x8 == current_cfg.ia_nurse.redirection_x8


def test_quick_mode_runs_less(current_cfg):
    choices = replace(choices_from_config(current_cfg), quick=True)
    baseline, _ = build_configs(current_cfg, current_cfg, choices)
    assert (baseline.run.replications, baseline.run.days) == (QUICK_REPLICATIONS, QUICK_DAYS)


def test_config_key_ignores_names_and_replication_count(current_cfg):
    renamed = current_cfg.model_copy(
        update={"name": "other", "description": "x", "run": current_cfg.run.model_copy(update={"replications": 3})}
    )
    assert config_key(renamed) == config_key(current_cfg)
    seeded = current_cfg.model_copy(update={"run": current_cfg.run.model_copy(update={"seed": 1})})
    assert config_key(seeded) != config_key(current_cfg)


def test_config_yaml_loads_back_equal(redesign_cfg, tmp_path):
    path = tmp_path / "redesign.yaml"
    path.write_text(config_yaml(redesign_cfg), encoding="utf-8")
    assert load_config(path) == redesign_cfg


def test_upload_may_extend_a_shipped_config():
    cfg = load_uploaded("mine.yaml", b"extends: redesign.yaml\nname: mine\n")
    assert cfg.name == "mine" and cfg.changes.x8_ia_nurse_redirects
    with pytest.raises(ConfigError, match=r"^base\.yaml: name = 3"):  # not a temporary path
        load_uploaded("base.yaml", b"extends: current.yaml\nname: 3\n")


def _module_level_mutables(path: Path) -> list[str]:
    """Names bound at module level to a list, dict or set (display or call)."""
    found = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            mutable = isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) or (
                isinstance(value, ast.Call) and getattr(value.func, "id", "") in ("list", "dict", "set")
            )
            if mutable:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                found += [f"{path.name}:{ast.unparse(t)}" for t in targets]
    return found


def test_no_module_level_mutable_state():
    modules = sorted((ROOT / "sim" / "app").glob("*.py"))
    assert modules
    assert [m for path in modules for m in _module_level_mutables(path)] == []


def test_sessions_are_independent():
    first, second = small_app(), small_app()
    first.slider(key="current|redirection_current|rate").set_value(0.0).run()
    first.button(key="run").click().run()
    second.run()
    assert first.table and not any(t.value.index.name == "KPI" for t in second.table)  # second ran nothing
    today = load_config(ROOT / "configs" / "current.yaml").ia_redirect_probability_current
    assert second.slider(key="current|redirection_current|rate").value == pytest.approx(round(100 * today, 1))
    assert math.isclose(first.slider(key="current|redirection_current|rate").value, 0.0)


def test_a_wrong_number_is_shown_beside_its_box_and_refuses_run():
    """Out of range, not whole or not a number: one line under the box naming it and what was typed; no clamping."""
    at = small_app()
    growth = bounds(ArrivalProfile, "growth")
    at.text_input(key="current|reps").set_value("10,001")
    at.text_input(key="current|seed").set_value("forty")
    at.text_input(key="current|growth").set_value(f"{growth.high + 1:g}").run()
    beside = [e.value for e in at.sidebar.error]  # in the sidebar, each under its box, in the boxes' order
    assert beside == [
        f"Demand growth (x) = {growth.high + 1:g}: give a number from {growth.low:g} to {growth.high:g}",
        "Replications = 10,001: give a whole number from 1 to 10,000",
        f"Seed = forty: not a number; give a whole number from 0 to {int(bounds(RunConfig, 'seed').high):,}",
    ]
    assert at.button(key="run").disabled  # Run refuses
    assert at.text_input(key="current|reps").value == "10,001"  # what was typed stays, never clamped
    assert any("Run is refused until these inputs are fixed" in e.value for e in at.main.error)
    at.text_input(key="current|reps").set_value("3")
    at.text_input(key="current|seed").set_value("7")
    at.text_input(key="current|growth").set_value("1.10").run()
    assert not at.error and not at.button(key="run").disabled
    run(at)
    shown = next(iter(at.session_state["scenarios"].values()))
    assert (shown.baseline.run.replications, shown.baseline.run.seed, shown.scenario.demand.walk_in.growth) == (
        3,
        7,
        1.1,
    )


def test_a_typed_number_is_read_with_its_bounds():
    reps = bounds(RunConfig, "replications")
    assert read_number(" 10,000 ", "Replications", reps) == 10_000
    for typed, why in (
        ("0", "give a whole number from 1 to 10,000"),
        ("2.5", "give a whole number"),
        ("", "not a number"),
        ("nan", "not a number"),
        ("1e400", "not a number"),
    ):
        with pytest.raises(ConfigError, match=f"^Replications = {re.escape(typed.strip() or '(empty)')}: {why}"):
            read_number(typed, "Replications", reps)
    minutes = bounds(Lognormal, "mean")
    with pytest.raises(ConfigError, match=r"^Minutes = 0: give a number above 0"):
        read_number("0", "Minutes", minutes, whole=False)


def test_slot_and_rota_tables_are_validated_like_the_config(current_cfg):
    from sim.app.editors import add_to_block, rota_table, slots_table, table_rota, table_slots
    from sim.app.scenario import choices_from_config
    from sim.inputs.config import Utc

    slots = slots_table(choices_from_config(current_cfg).slots)
    assert table_slots(slots) == choices_from_config(current_cfg).slots  # round trip
    slots.iloc[0, 6] = MAX_SLOTS_PER_DAY + 1
    with pytest.raises(
        ConfigError,
        match=r"^GP Care Group SDA service \(front-door redirections\): SDA slots a day "
        r"on Sun = \d+: give a whole",
    ):
        table_slots(slots)
    rota = rota_table(current_cfg.utc.clinicians)
    assert table_rota(rota, "clinicians", Utc) == [list(map(int, row)) for row in rota.to_numpy().T]
    evening = add_to_block(rota, ["Sat", "Sun"], 18, 22, 1)
    assert (evening - rota).to_numpy().sum() == 8 and evening.loc["21:00", "Sun"] == rota.loc["21:00", "Sun"] + 1
    assert (
        evening.loc["22:00", "Sun"] == rota.loc["22:00", "Sun"]
        and evening.loc["18:00", "Fri"] == rota.loc["18:00", "Fri"]
    )
    rota.loc["18:00", "Mon"] = -1
    with pytest.raises(ConfigError, match=r"^clinicians on Mon at 18:00 = -1: give a whole number from 0"):
        table_rota(rota, "clinicians", Utc)
    with pytest.raises(ConfigError, match=r"^UTC clinicians on duty on Mon at 18:00 = -1: give a whole number"):
        table_rota(rota, "clinicians", Utc, "UTC clinicians on duty")


def test_route_flows_sum_the_routes_through_each_arrow():
    import pandas as pd

    from sim.app.charts import route_flows

    table = pd.DataFrame(
        {
            "kpi": ["volume_per_day_walk_in:ia>utc", "volume_per_day_walk_in:ia>ed", "utc_wait_mean_min"],
            "baseline_mean": [100.0, 20.0, 60.0],
            "scenario_mean": [80.0, 20.0, 50.0],
        }
    )
    flows = route_flows(table).set_index(["source", "target"])
    assert flows.loc[("Walk-in", "IA nurse streaming"), "baseline"] == 120.0  # both routes pass the IA nurse
    assert flows.loc[("IA nurse streaming", "UTC attendances"), "change"] == -20.0
    assert len(flows) == 3
