"""Sweeps: the points, their validation, and results consistent with ``compare``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.checkpoint import CheckpointFolder
from sim.inputs.config import ConfigError
from sim.analysis.output_analysis import paired_comparison
from sim.experiments.runner import run_replications, summary_table
from sim.experiments.sweep import build_points, load_sweep, point_values, run_sweep, uncertainty_summary

from ..conftest import CONFIGS, ROOT

SHORT = {"replications": 3, "days": 10, "warmup_days": 2}


def _sweep_file(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f"name: test\nbaseline: {CONFIGS / 'current.yaml'}\nscenario: {CONFIGS / 'redesign.yaml'}\n" + body,
        encoding="utf-8",
    )
    return path


def test_grid_and_one_at_a_time_points(tmp_path):
    body = "vary:\n  patients.sda_eligible: [0.7, 0.8]\n  patients.accepts_redirection: [0.5, 0.6, 0.7]\n"
    grid = load_sweep(_sweep_file(tmp_path, body))
    values = point_values(grid)
    assert len(values) == 6
    assert values[0] == {"patients.sda_eligible": 0.7, "patients.accepts_redirection": 0.5}
    assert values[1] == {"patients.sda_eligible": 0.7, "patients.accepts_redirection": 0.6}
    oat = load_sweep(_sweep_file(tmp_path, body + "design: one_at_a_time\n"))
    assert point_values(oat) == [
        {"patients.sda_eligible": 0.7},
        {"patients.sda_eligible": 0.8},
        {"patients.accepts_redirection": 0.5},
        {"patients.accepts_redirection": 0.6},
        {"patients.accepts_redirection": 0.7},
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("vary:\n  patients.no_such_share: [0.5]\n", "vary.patients.no_such_share: no such parameter"),
        ("vary:\n  patients.sda_eligible: [0.5, 1.5]\n", "patients.sda_eligible = 1.5"),
        ("vary:\n  patients.sda_eligible: []\n", "vary.patients.sda_eligible"),
        ("vary: {}\n", "vary"),
        ("vary:\n  patients.sda_eligible: [0.5]\ndesign: random\n", "design = 'random'"),
        ("vary:\n  patients.sda_eligible: [0.5]\nrun:\n  replications: 0\n", "run.replications = 0"),
        ("vary:\n  patients.sda_eligible: [0.5]\nextra_key: 1\n", "extra_key: unknown field"),
        ("vary:\n  slot_diaries.gpcg_sda.slots_per_day.9: [3]\n", "slots_per_day.9"),
        ("vary:\n  run.seed: [1, 2]\n", "vary.run.seed: run settings are the same for every point"),
        (
            (
                "vary:\n  slot_diaries.gpcg_sda.slots_per_day: [[1, 1, 1, 1, 1, 1, 1]]\n"
                "  slot_diaries.gpcg_sda.slots_per_day.6: [3]\n"
            ),
            "lies inside vary.slot_diaries.gpcg_sda.slots_per_day",
        ),
        (
            "vary:\n" + "".join(f"  patients.p{i}: [{', '.join(['0.5'] * 40)}]\n" for i in range(8)),
            "points, more than 1,000",
        ),
        ("vary:\n  patients.sda_eligible: [0.5\n", "invalid YAML at line"),
    ],
    ids=[
        "unknown-path",
        "out-of-range",
        "no-values",
        "nothing-varied",
        "bad-design",
        "bad-run",
        "unknown-key",
        "list-position",
        "varies-run",
        "nested-paths",
        "too-many-points",
        "bad-yaml",
    ],
)
def test_bad_sweeps_are_refused_with_one_line_naming_the_field(tmp_path, body, message):
    path = _sweep_file(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        build_points(load_sweep(path), path)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_list_position_can_be_varied(tmp_path):
    path = _sweep_file(tmp_path, "vary:\n  slot_diaries.gpcg_sda.slots_per_day.6: [0, 10]\n")
    points = build_points(load_sweep(path), path)
    assert [p.scenario.slot_diaries.gpcg_sda.slots_per_day for p in points] == [[60] * 6 + [0], [60] * 6 + [10]]


def test_a_point_at_the_scenario_values_reproduces_compare(tmp_path, current_cfg, redesign_cfg):
    path = _sweep_file(tmp_path, "vary:\n  ia_nurse.redirection_x8.probability: [1.0, 0.0]\n")
    spec = load_sweep(path)
    table = run_sweep(spec, build_points(spec, path, **SHORT), progress=False).table

    base = current_cfg.model_copy(update={"run": current_cfg.run.model_copy(update=SHORT)})
    scen = redesign_cfg.model_copy(update={"run": base.run})
    cmp = paired_comparison(
        summary_table(run_replications(base, progress=False)), summary_table(run_replications(scen, progress=False))
    ).set_index("kpi")
    assert table.loc[0, "saving_mean_gbp"] == -cmp.loc["cost_total_annual_gbp", "diff_mean"]
    assert table.loc[0, "utc_within_4h_pct"] == cmp.loc["utc_within_4h_pct", "scenario_mean"]
    # extreme value: with the IA nurse redirecting no one and the UTC no longer redirecting (X5),
    # no one is redirected from the front door
    assert table.loc[1, "sda_redirections_front_door_per_day"] == 0.0
    assert table.loc[1, "saving_mean_gbp"] < table.loc[0, "saving_mean_gbp"]


def test_apply_to_both_varies_the_baseline_and_scenario_alone_does_not(tmp_path):
    body = "vary:\n  patients.accepts_redirection: [0.3, 0.9]\n"
    both = _sweep_file(tmp_path, body + "apply_to: both\n", "both.yaml")
    spec = load_sweep(both)
    points = build_points(spec, both, **SHORT)
    assert [p.baseline.patients.accepts_redirection for p in points] == [0.3, 0.9]
    tables = run_sweep(spec, points, progress=False).tables
    assert set(tables) == {"baseline_0", "baseline_1", "point_0", "point_1"}
    assert not tables["baseline_0"].equals(tables["baseline_1"])

    alone = _sweep_file(tmp_path, body, "alone.yaml")
    points = build_points(load_sweep(alone), alone, **SHORT)
    assert {p.baseline.patients.accepts_redirection for p in points} == {0.68}


def test_an_interrupted_sweep_resumes_every_run(tmp_path):
    path = _sweep_file(tmp_path, "vary:\n  patients.sda_eligible: [0.7, 0.9]\n")
    spec = load_sweep(path)
    points = build_points(spec, path, **SHORT)
    table = run_sweep(spec, points, progress=False, checkpoints=CheckpointFolder(tmp_path / "out")).table
    again = CheckpointFolder(tmp_path / "out")
    table2 = run_sweep(spec, points, progress=False, checkpoints=again).table
    assert again.resumed() == 3 * SHORT["replications"]  # the baseline and both points
    pd.testing.assert_frame_equal(table, table2, check_exact=True)


@pytest.mark.parametrize("sweep", sorted((CONFIGS / "sweeps").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_sweeps_are_valid(sweep):
    spec = load_sweep(sweep)
    assert len(build_points(spec, sweep)) == len(point_values(spec)) >= 2


def test_sweep_cli_writes_its_files_and_refuses_bad_input(tmp_path):
    path = _sweep_file(tmp_path, "vary:\n  patients.sda_eligible: [0.7, 0.9]\n")
    out = tmp_path / "out"
    args = [sys.executable, "run_sim.py", "sweep", str(path), "--reps", "2", "--days", "5", "--warmup-days", "1"]
    proc = subprocess.run(
        [*args, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "point_summary.csv",
        "replications.csv",
        "replications.parquet",
        "summaries.csv",
        "sweep.csv",
        "sweep.png",
    ]
    runs = pd.read_csv(out / "summaries.csv")
    assert runs.columns[:4].tolist() == ["run", "point", "patients.sda_eligible", "replication"]
    assert runs.groupby("run").size().to_dict() == {"baseline": 2, "point_0": 2, "point_1": 2}
    assert runs.groupby("run")["patients.sda_eligible"].first().dropna().to_dict() == {"point_0": 0.7, "point_1": 0.9}
    # the tidy table: one row per point and replication, inputs as columns, every KPI, waits included
    tidy = pd.read_parquet(out / "replications.parquet")
    pd.testing.assert_frame_equal(tidy, pd.read_csv(out / "replications.csv"), check_dtype=False, atol=1e-9)
    assert tidy[["point", "patients.sda_eligible", "replication"]].values.tolist() == [
        [0, 0.7, 0],
        [0, 0.7, 1],
        [1, 0.9, 0],
        [1, 0.9, 1],
    ]
    assert {"saving_gbp", "utc_wait_mean_min", "ia_wait_p90_min", "baseline_cost_total_annual_gbp"} <= set(tidy)
    assert tidy["saving_gbp"].to_numpy() == pytest.approx(
        (tidy["baseline_cost_total_annual_gbp"] - tidy["cost_total_annual_gbp"]).to_numpy()
    )
    sweep_means = tidy.groupby("point")["saving_gbp"].mean().to_numpy()
    assert sweep_means == pytest.approx(pd.read_csv(out / "sweep.csv")["saving_mean_gbp"].to_numpy())
    per_point = pd.read_csv(out / "point_summary.csv")
    utc = per_point[per_point["kpi"] == "utc_wait_mean_min"]
    assert len(utc) == 2 and (utc["scenario_ci_low"] <= utc["scenario_mean"]).all()
    assert (utc["scenario_mean"] <= utc["scenario_ci_high"]).all()
    sweep = pd.read_csv(out / "sweep.csv")
    assert list(sweep["patients.sda_eligible"]) == [0.7, 0.9]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sweep"]["points"] == 2 and manifest["replications"] == 2
    assert "saving" in proc.stdout

    bad = _sweep_file(tmp_path, "vary:\n  patients.sda_eligble: [0.7]\n", "bad.yaml")
    proc = subprocess.run(
        [*args[:3], str(bad), "--out", str(tmp_path / "bad")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "patients.sda_eligble" in proc.stderr
    assert not (tmp_path / "bad").exists()


# ------------------------------------------------------ design: sample --
SAMPLE = (
    "design: sample\nsamples: {n}\napply_to: both\nvary:\n"
    "  patients.sda_eligible: {{dist: triangular, low: 0.7, mode: 0.8, high: 0.9}}\n"
    "  unit_costs_gbp.utc_attendance: {{dist: uniform, low: 80.0, high: 100.0}}\n"
)


def test_sampled_points_are_reproducible_bounded_and_independent_per_parameter(tmp_path):
    spec = load_sweep(_sweep_file(tmp_path, SAMPLE.format(n=50)))
    draws = point_values(spec, seed=1)
    assert len(draws) == 50
    assert draws == point_values(spec, seed=1)
    assert draws != point_values(spec, seed=2)
    eligible = [d["patients.sda_eligible"] for d in draws]
    cost = [d["unit_costs_gbp.utc_attendance"] for d in draws]
    assert 0.7 <= min(eligible) and max(eligible) <= 0.9 and len(set(eligible)) == 50
    assert 80.0 <= min(cost) and max(cost) <= 100.0
    # one parameter fewer: the other's draws are unchanged
    alone = load_sweep(_sweep_file(tmp_path, SAMPLE.format(n=50).rsplit("  unit_costs", 1)[0], "alone.yaml"))
    assert [d["patients.sda_eligible"] for d in point_values(alone, seed=1)] == eligible


def test_sampled_whole_numbers_stay_whole(tmp_path):
    body = (
        "design: sample\nsamples: 10\nvary:\n"
        "  slot_diaries.gpcg_sda.slots_per_day.0: {dist: uniform, low: 40.0, high: 70.0}\n"
    )
    path = _sweep_file(tmp_path, body)
    points = build_points(load_sweep(path), path)
    mondays = [p.scenario.slot_diaries.gpcg_sda.slots_per_day[0] for p in points]
    assert all(isinstance(v, int) and 40 <= v <= 70 for v in mondays)
    assert len(set(mondays)) > 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("design: sample\nvary:\n  patients.sda_eligible: {dist: uniform, low: 0.5, high: 0.9}\n", "samples:"),
        ("samples: 10\nvary:\n  patients.sda_eligible: [0.5]\n", "samples:"),
        (
            "design: sample\nsamples: 10\nvary:\n  patients.sda_eligible: [0.5, 0.6]\n",
            "vary.patients.sda_eligible = [0.5, 0.6]: give a distribution",
        ),
        (
            "design: sample\nsamples: 10\nvary:\n  patients.sda_eligible: {dist: uniform, low: 0.9, high: 0.5}\n",
            "vary.patients.sda_eligible: high (0.5) must be >= low (0.9)",
        ),
        (
            "design: sample\nsamples: 9\nvary:\n  patients.sda_eligible: {dist: uniform, low: 0.5, high: 0.9}\n",
            "samples = 9: Input should be greater than or equal to 10",
        ),
        ("vary:\n  patients.sda_eligible: {dist: uniform, low: 0.5, high: 0.9}\n", "give a list"),
    ],
    ids=[
        "no-samples",
        "samples-without-sample",
        "list-in-sample",
        "bad-distribution",
        "too-few-samples",
        "distribution-in-grid",
    ],
)
def test_bad_sample_sweeps_are_refused(tmp_path, body, message):
    with pytest.raises(ConfigError) as err:
        load_sweep(_sweep_file(tmp_path, body))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_uncertainty_summary_percentiles_share_and_rank_correlation():
    table = pd.DataFrame(
        {
            "saving_mean_gbp": [float(v) for v in range(-10, 190)],  # 200 points
            "up": list(range(200)),
            "down": list(range(200, 0, -1)),
            "flat": [1.0] * 200,
        }
    )
    full = uncertainty_summary(table, ["up", "down", "flat"]).set_index(["measure", "parameter"])
    summary = full["value"]
    assert summary[("points", "")] == 200
    assert summary[("saving_p50_gbp", "")] == pytest.approx(89.5)
    assert summary[("saving_p2.5_gbp", "")] == pytest.approx(-10 + 0.025 * 199)
    assert summary[("share_saving_above_zero", "")] == pytest.approx(189 / 200)
    assert summary[("spearman_rho_with_saving", "up")] == pytest.approx(1.0)
    assert summary[("spearman_rho_with_saving", "down")] == pytest.approx(-1.0)
    assert math.isnan(summary[("spearman_rho_with_saving", "flat")])
    # bootstrap intervals bracket their figure, and are seeded
    for key in [("saving_p50_gbp", ""), ("saving_mean_gbp", ""), ("spearman_rho_with_saving", "up")]:
        assert full.loc[key, "ci_low"] <= summary[key] <= full.loc[key, "ci_high"], key
    assert full.loc[("saving_p50_gbp", ""), "ci_low"] < full.loc[("saving_p50_gbp", ""), "ci_high"]
    again = uncertainty_summary(table, ["up", "down", "flat"]).set_index(["measure", "parameter"])
    pd.testing.assert_frame_equal(full, again)


def test_uncertainty_summary_leaves_out_points_without_a_saving():
    table = pd.DataFrame({"saving_mean_gbp": [1.0, 2.0, math.nan, 4.0, 5.0], "x": [1, 2, 3, 4, 5]})
    summary = uncertainty_summary(table, ["x"]).set_index(["measure", "parameter"])["value"]
    assert summary[("points", "")] == 4
    assert summary[("saving_mean_gbp", "")] == 3.0
    assert summary[("share_saving_above_zero", "")] == 1.0
    assert summary[("spearman_rho_with_saving", "x")] == pytest.approx(1.0)


def test_sample_sweep_cli_writes_the_uncertainty_table(tmp_path):
    path = _sweep_file(tmp_path, SAMPLE.format(n=10))
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "sweep",
            str(path),
            "--reps",
            "2",
            "--days",
            "5",
            "--warmup-days",
            "1",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "95% of draws between" in proc.stdout
    summary = pd.read_csv(out / "uncertainty.csv")
    assert set(summary.loc[summary["measure"] == "spearman_rho_with_saving", "parameter"]) == {
        "patients.sda_eligible",
        "unit_costs_gbp.utc_attendance",
    }
    assert len(pd.read_csv(out / "sweep.csv")) == 10
    assert (out / "sweep.png").read_bytes()[:4] == b"\x89PNG"


def test_a_distribution_reaching_outside_the_field_is_refused_whatever_the_draws(tmp_path):
    # triangular with its mode far from the top: few draws reach above 1, but the end itself does
    body = (
        "design: sample\nsamples: 10\nvary:\n"
        "  patients.sda_eligible: {dist: triangular, low: 0.5, mode: 0.5, high: 1.02}\n"
    )
    path = _sweep_file(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        build_points(load_sweep(path), path)
    assert "vary.patients.sda_eligible (its distribution reaches 1.02)" in str(err.value)
    assert "patients.sda_eligible = 1.02" in str(err.value)
