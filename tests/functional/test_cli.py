"""The command line writes the promised files with the promised columns."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.cli import main

from ..conftest import CONFIGS, ROOT

REQUIRED_KPIS = [
    "arrivals_per_day",
    "utc_attendances_per_day",
    "ed_attendances_per_day",
    "sda_redirections_front_door_per_day",
    "sda_bookings_111_per_day",
    "sda_slot_utilisation_pct",
    "sda_no_slot_per_day",
    "utc_wait_mean_min",
    "utc_wait_p90_min",
    "utc_within_4h_pct",
    "ed_within_4h_pct",
    "ia_within_15min_pct",
    "redirected_time_to_slot_mean_min",
    "redirected_time_to_slot_p90_min",
    "gp_reattendances_per_week",
    "cost_total_annual_gbp",
]
SMALL = ["--reps", "2", "--days", "8", "--warmup-days", "1", "--quiet"]


def test_run_writes_summary_kpis_manifest_and_events(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(CONFIGS / "current.yaml"), "--out", str(out), "--events", *SMALL]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["events", "kpis.csv", "manifest.json", "summary.csv"]
    # one Parquet part per replication, written as it finished
    assert sorted(p.name for p in (out / "events").iterdir()) == ["rep_0000.parquet", "rep_0001.parquet"]
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 2 and list(summary["replication"]) == [0, 1]
    assert set(REQUIRED_KPIS) <= set(summary.columns)
    routes = [c for c in summary.columns if c.startswith("cost_annual_gbp_")]
    assert "cost_annual_gbp_walk_in:ia>utc" in routes
    assert np.allclose(summary[routes].sum(axis=1), summary["cost_total_annual_gbp"], rtol=1e-8)
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["kpi", "mean", "ci_low", "ci_high", "n_reps"]
    row = kpis.set_index("kpi").loc["utc_attendances_per_day"]
    assert row["ci_low"] <= row["mean"] <= row["ci_high"] and row["n_reps"] == 2
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 20250109 and manifest["days"] == 8 and manifest["replications"] == 2
    assert manifest["versions"]["simpy"] and manifest["configs"]["scenario"]["name"] == "current"
    events = pd.read_parquet(out / "events")
    for column in (
        "replication",
        "patient_id",
        "channel",
        "route",
        "outcome",
        "arrival",
        "ia_start",
        "utc_start",
        "utc_end",
        "ed_start",
        "ed_end",
        "sda_slot",
        "end",
    ):
        assert column in events.columns
    assert set(events["replication"]) == {0, 1}
    assert (events["route"].astype(str) == "walk_in:ia>ed").any()


def test_compare_is_paired_and_writes_comparison(tmp_path):
    out = tmp_path / "cmp"
    code = main(["compare", str(CONFIGS / "current.yaml"), str(CONFIGS / "redesign.yaml"), "--out", str(out), *SMALL])
    assert code == 0
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison.columns)[:8] == [
        "kpi",
        "label",
        "unit",
        "baseline_mean",
        "scenario_mean",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
    ]
    rows = comparison.set_index("kpi")
    # one sign convention: a saving is positive, and only money rows carry one
    total = rows.loc["cost_total_annual_gbp"]
    assert total["saving_gbp_mean"] == -total["diff_mean"] > 0
    assert total["saving_gbp_ci_low"] == -total["diff_ci_high"]
    assert rows["saving_gbp_mean"].isna().sum() == (~rows.index.str.startswith("cost_")).sum()  # costs only
    assert rows.loc["utc_within_4h_pct", "label"] == "UTC patients within 4 hours, %"
    # same patients in both arms: arrivals differ by exactly zero
    assert rows.loc["arrivals_per_day", "diff_mean"] == 0.0
    assert rows.loc["sda_redirections_utc_per_day", "scenario_mean"] == 0.0  # X5: UTC no longer redirects
    # a route that only exists in one arm counts as zero in the other
    assert rows.loc["cost_annual_gbp_walk_in:ia>utc>sda_gpcg", "scenario_mean"] == 0.0
    for name in (
        "baseline_summary.csv",
        "scenario_summary.csv",
        "baseline_kpis.csv",
        "scenario_kpis.csv",
        "manifest.json",
        "cost_change_by_route.png",
    ):
        assert (out / name).exists()


def test_rerun_overwrites_cleanly(tmp_path):
    out = tmp_path / "again"
    args = ["run", str(CONFIGS / "current.yaml"), "--out", str(out), *SMALL]
    assert main(args) == 0
    first = (out / "summary.csv").read_text()
    assert main(args) == 0
    assert (out / "summary.csv").read_text() == first
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


@pytest.mark.parametrize("argv", [["run"], ["compare", "a.yaml"], ["run", "x.yaml", "--jobs", "0"]])
def test_bad_arguments_exit_2(argv):
    proc = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *argv], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_cli_in_a_subprocess_with_parallel_jobs(tmp_path):
    out = tmp_path / "sub"
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "run_sim.py"),
            "run",
            str(CONFIGS / "redesign.yaml"),
            "--out",
            str(out),
            "--jobs",
            "2",
            *SMALL,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(pd.read_csv(out / "summary.csv")) == 2


def test_validate_writes_one_row_per_target(tmp_path, capsys):
    out = tmp_path / "val"
    code = main(
        [
            "validate",
            str(CONFIGS / "current.yaml"),
            str(CONFIGS / "redesign.yaml"),
            "--out",
            str(out),
            "--reps",
            "2",
            "--days",
            "8",
            "--warmup-days",
            "1",
        ]
    )
    assert code == 0
    table = pd.read_csv(out / "validation.csv")
    assert list(table.columns) == [
        "target",
        "published",
        "source",
        "range_low",
        "range_high",
        "model_mean",
        "model_ci_low",
        "model_ci_high",
        "n_reps",
        "within",
    ]
    assert len(table) == 11 and (table["n_reps"] == 2).all()
    runs = pd.read_csv(out / "summaries.csv")
    assert set(runs["run"]) == {"current", "redesign", "redesign_without_x6"}
    printed = capsys.readouterr().out
    assert f"{int(table['within'].sum())} of 11 figures within range" in printed
