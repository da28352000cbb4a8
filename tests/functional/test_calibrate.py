"""``run_sim.py calibrate`` on the model: synthetic truth recovered, outputs, resume, bad input.

Small budgets (a week a replication, one or two inputs) keep each test well under a minute at one core.
The full check (ten seeds, four inputs) is ``benchmarks/bench_calibrate.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main

REPO = Path(__file__).resolve().parents[2]
CURRENT = REPO / "configs" / "current.yaml"


def _spec(tmp_path: Path, inputs: dict, targets: list[str], **extra) -> Path:
    spec = {
        "name": "small",
        "baseline": str(CURRENT),
        "inputs": inputs,
        "targets": targets,
        "run": {"days": 7, "warmup_days": 1},
        "waves": {"points": 8, "replications": 2, "max_waves": 2},
        "final": {"points": 12, "replications": 2},
        "budget": 80,
        **extra,
    }
    path = tmp_path / "calibration.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


R = {"calibration.current_redirection_propensity": {"low": 0.3, "high": 1.0}}


def test_known_propensity_is_recovered_from_targets_the_model_made(tmp_path, capsys):
    """Targets made by the model at r = 0.6 (on other seeds): the plausible set spans 0.6."""
    spec = _spec(tmp_path, R, ["front_door_redirections"])
    out = tmp_path / "out"
    code = main(
        [
            "calibrate",
            str(spec),
            "--truth",
            "calibration.current_redirection_propensity=0.6",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())["calibration"]
    assert manifest["truth_inside_set"] is True and manifest["truth_accepted"] is True
    assert manifest["truth_not_ruled_out"] is True
    assert manifest["simulator_runs"] <= 80
    plausible = pd.read_csv(out / "plausible_sets.csv")
    r = plausible["calibration.current_redirection_propensity"]
    assert len(plausible) >= 2
    assert r.min() <= 0.6 <= r.max()
    # the low end is ruled out; above ~0.7 the GPCG's 30 slots a day cap the redirections, so the
    # figure cannot tell 0.7 from 1.0 and the set reaches the top of the range (as it should)
    assert r.min() > 0.4
    targets = pd.read_csv(out / "targets.csv").set_index("target")
    low, high = targets.loc["front_door_redirections", ["low", "high"]]
    assert high - low == pytest.approx(6.0)  # the published range's width, around the model's own figure
    assert _within_widened(plausible, "front_door_redirections", low, high).all()


def _within_widened(plausible: pd.DataFrame, target: str, low: float, high: float) -> pd.Series:
    """The final check's rule: the mean within the range widened by two standard errors of it."""
    slack = 2 * np.sqrt(plausible[f"{target}__var"].fillna(0.0) / plausible["replications"])
    mean = plausible[f"{target}__mean"]
    return (mean >= low - slack) & (mean <= high + slack)


def test_outputs_resume_and_defaults_snippet(tmp_path):
    """Every output is written; each plausible set is within every range; a rerun after an interruption
    reuses the finished waves (its kept replications come back identical)."""
    spec = _spec(
        tmp_path,
        {**R, "calibration.current_redirections_share_at_ia": {"low": 0.0, "high": 1.0}},
        ["front_door_redirections", "share_via_utc"],
    )
    out = tmp_path / "out"
    assert main(["calibrate", str(spec), "--out", str(out), "--quiet"]) == 0
    for name in (
        "plausible_sets.csv",
        "plausible_sets.parquet",
        "summary.csv",
        "input_sets.csv",
        "waves.csv",
        "runs.parquet",
        "calibrated_defaults.yaml",
        "manifest.json",
        "targets.csv",
    ):
        assert (out / name).is_file(), name
    plausible = pd.read_csv(out / "plausible_sets.csv")
    assert _within_widened(plausible, "front_door_redirections", 23.0, 29.0).all()
    assert _within_widened(plausible, "share_via_utc", 0.35, 0.65).all()
    assert plausible["medoid"].sum() == 1
    snippet = yaml.safe_load((out / "calibrated_defaults.yaml").read_text())
    medoid = plausible[plausible["medoid"]].iloc[0]
    assert snippet["calibration"]["current_redirection_propensity"] == pytest.approx(
        medoid["calibration.current_redirection_propensity"], rel=1e-3
    )
    summary = pd.read_csv(out / "summary.csv")
    assert set(summary["kind"]) == {"input", "target"}
    # the shipped values are checked as a member of the final check is: the manifest says whether accepted
    calibration = json.loads((out / "manifest.json").read_text())["calibration"]
    assert calibration["shipped_values"]["calibration.current_redirection_propensity"] == pytest.approx(0.78)
    assert calibration["shipped_accepted"] == (
        calibration["shipped_not_ruled_out"] and calibration["shipped_meets_every_range"]
    )
    assert "truth_accepted" not in calibration
    assert not (tmp_path / ".out-calibration-waves").exists()  # kept waves removed once the results are written

    # an interrupted run: the waves kept on disk are reused and give the same plausible set
    from sim.experiments import calibration as cal

    first = pd.read_parquet(out / "runs.parquet")
    state = tmp_path / ".again-calibration-waves"
    state.mkdir()
    # what an interrupted calibration leaves: its key and its finished first wave
    spec_obj = cal.load_calibration(spec)
    from sim.inputs.config import apply_overrides, load_config
    from sim.inputs.targets import load_targets

    base = apply_overrides(load_config(CURRENT), replications=1, days=7, warmup_days=1)
    targets = [t for t in load_targets(use="calibration") if t.name in ("front_door_redirections", "share_via_utc")]
    (state / "key").write_text(cal.state_key(spec_obj, base, targets) + "\n")
    first[first["stage"] == "wave_01"].to_parquet(state / "wave_01.parquet", index=False)
    again = tmp_path / "again"
    assert main(["calibrate", str(spec), "--out", str(again), "--quiet"]) == 0
    manifest = json.loads((again / "manifest.json").read_text())["calibration"]
    assert manifest["resumed_waves"] == 1
    pd.testing.assert_frame_equal(pd.read_csv(again / "plausible_sets.csv"), plausible)


@pytest.mark.parametrize(
    "args, words",
    [
        (["--truth", "nonsense=1"], "--truth 'nonsense=1'"),
        (["--truth", "calibration.current_redirection_propensity=2"], "outside its range"),
        (["--budget", "3"], "budget = 3"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, words):
    spec = _spec(tmp_path, R, ["front_door_redirections"])
    code = main(["calibrate", str(spec), "--out", str(tmp_path / "o"), "--quiet", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert words in err and err.count("\n") == 0


def test_bad_calibration_file_names_the_field(tmp_path, capsys):
    spec = _spec(
        tmp_path, {"calibration.current_redirection_propensity": {"low": 0.9, "high": 0.2}}, ["front_door_redirections"]
    )
    assert main(["calibrate", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "inputs" in err and "low" in err


def test_an_input_range_the_config_refuses_is_caught_before_running(tmp_path, capsys):
    spec = _spec(
        tmp_path, {"calibration.current_redirection_propensity": {"low": 0.5, "high": 1.5}}, ["front_door_redirections"]
    )
    assert main(["calibrate", str(spec), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "calibration.current_redirection_propensity" in err and "1.5" in err
