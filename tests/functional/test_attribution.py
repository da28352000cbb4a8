"""Change-by-change attribution: steps are cumulative, paired, and add up to the total."""

import pandas as pd
import pytest

from sim.experiments.attribution import SETTINGS_STEP, attribute, build_steps, resolve_order
from sim.cli import main
from sim.inputs.config import ConfigError

from ..conftest import CONFIGS, tweak


def test_steps_switch_changes_on_one_by_one(current_cfg, redesign_cfg):
    steps = build_steps(current_cfg, redesign_cfg, ["x8", "x5"])
    labels = [s.label for s in steps]
    assert labels[:4] == ["baseline", SETTINGS_STEP, "x8_ia_nurse_redirects", "x5_utc_stops_redirecting"]
    assert len(labels) == 10
    # the settings step has the redesign's capacities but none of its switches
    settings = steps[1].cfg
    assert settings.slot_diaries == redesign_cfg.slot_diaries
    assert not any(settings.changes.model_dump().values())
    # the last step is the scenario itself (apart from its name)
    assert steps[-1].cfg.model_dump(exclude={"name", "description"}) == redesign_cfg.model_dump(
        exclude={"name", "description"}
    )
    # run settings always come from the baseline, so every step sees the same patients
    assert all(s.cfg.run == current_cfg.run for s in steps)


def test_no_settings_step_when_only_switches_differ(current_cfg):
    scenario = tweak(current_cfg, changes__x6_comprehensive_sda_consultation=True)
    assert [s.label for s in build_steps(current_cfg, scenario)] == ["baseline", "x6_comprehensive_sda_consultation"]


def test_unknown_change_in_order():
    with pytest.raises(ConfigError, match="x9"):
        resolve_order(["x9"])


def test_step_savings_add_up_to_the_total(current_cfg, redesign_cfg):
    small = dict(run__days=7, run__warmup_days=1, run__replications=3)
    table, summaries = attribute(tweak(current_cfg, **small), tweak(redesign_cfg, **small), progress=False)
    steps = table[table["step"] != "total"]
    total = table.set_index("step").loc["total"]
    assert steps["saving_mean_gbp"].sum() == pytest.approx(total["saving_mean_gbp"], rel=1e-9)
    assert set(summaries) == {"baseline", SETTINGS_STEP, *steps["step"][1:]}
    # X6 alone changes only reattendances, and lowers them
    x6 = table.set_index("step").loc["x6_comprehensive_sda_consultation"]
    assert x6["gp_reattendance_hours_per_week_diff"] < 0 and x6["utc_attendances_per_day_diff"] == 0
    for _, row in table.iterrows():
        assert row["saving_ci_low_gbp"] <= row["saving_mean_gbp"] <= row["saving_ci_high_gbp"]


def test_attribute_command_writes_table(tmp_path):
    out = tmp_path / "att"
    code = main(
        [
            "attribute",
            str(CONFIGS / "current.yaml"),
            str(CONFIGS / "redesign.yaml"),
            "--order",
            "x8,x5",
            "--reps",
            "2",
            "--days",
            "4",
            "--warmup-days",
            "1",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "attribution.csv")
    assert (out / "attribution.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(table["step"])[:3] == [SETTINGS_STEP, "x8_ia_nurse_redirects", "x5_utc_stops_redirecting"]
    assert table["step"].iloc[-1] == "total"
    assert (out / "step_baseline_summary.csv").exists()


def test_attribute_bad_order_exit_2(tmp_path, capsys):
    code = main(
        [
            "attribute",
            str(CONFIGS / "current.yaml"),
            str(CONFIGS / "redesign.yaml"),
            "--order",
            "x0",
            "--out",
            str(tmp_path / "a"),
            "--quiet",
        ]
    )
    assert code == 2 and "x0" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_a_single_change_gets_its_own_row_and_a_total(current_cfg):
    small = dict(run__days=4, run__warmup_days=1, run__replications=2)
    scenario = tweak(current_cfg, changes__x6_comprehensive_sda_consultation=True, **small)
    table, _ = attribute(tweak(current_cfg, **small), scenario, progress=False)
    assert list(table["step"]) == ["x6_comprehensive_sda_consultation", "total"]
    assert table["saving_mean_gbp"].iloc[0] == pytest.approx(table["saving_mean_gbp"].iloc[1])


def test_several_scenarios_are_split_against_one_baseline_on_shared_runs(current_cfg):
    from sim.experiments.attribution import attribute_scenarios

    small = dict(run__days=7, run__warmup_days=1, run__replications=2)
    base = tweak(current_cfg, **small)
    x6 = tweak(current_cfg, changes__x6_comprehensive_sda_consultation=True, **small)
    x6_x8 = tweak(
        current_cfg, changes__x6_comprehensive_sda_consultation=True, changes__x8_ia_nurse_redirects=True, **small
    )
    found = attribute_scenarios(base, {"x6 only": x6, "x6 and x8": x6_x8}, order=["x6", "x8"], progress=False)
    assert list(found) == ["x6 only", "x6 and x8"]
    one, one_steps = found["x6 only"]
    two, two_steps = found["x6 and x8"]
    assert list(one["step"]) == ["x6_comprehensive_sda_consultation", "total"]
    assert list(two["step"]) == ["x6_comprehensive_sda_consultation", "x8_ia_nurse_redirects", "total"]
    # the step both share is run once: the same numbers in both
    pd.testing.assert_frame_equal(
        one_steps["x6_comprehensive_sda_consultation"], two_steps["x6_comprehensive_sda_consultation"]
    )
    assert one.iloc[0]["saving_mean_gbp"] == two.iloc[0]["saving_mean_gbp"]
    # a single scenario gives what attribute gives
    alone, _ = attribute(base, x6_x8, order=["x6", "x8"], progress=False)
    pd.testing.assert_frame_equal(alone, two)
