"""Sweeps at scale: the same rows on any executor, after a hard kill, and with new designs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.executors import DaskExecutor, ProcessExecutor, SerialExecutor
from sim.experiments.sweep import build_points, load_sweep, replications_table, run_sweep

from ..conftest import CONFIGS, ROOT

TINY = {"replications": 2, "days": 4, "warmup_days": 1}


def _sweep_file(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f"name: test\nbaseline: {CONFIGS / 'current.yaml'}\nscenario: {CONFIGS / 'redesign.yaml'}\n" + body,
        encoding="utf-8",
    )
    return path


def test_a_sweep_gives_the_same_rows_serially_in_processes_and_on_a_dask_cluster(tmp_path):
    path = _sweep_file(tmp_path, "vary:\n  ia_nurse.redirection_x8.probability: [0.5, 1.0]\n")
    spec = load_sweep(path)
    points = build_points(spec, path, **TINY)

    def tidy(executor):
        with executor:
            result = run_sweep(spec, points, progress=False, executor=executor)
        return result.table, replications_table(spec, points, result)

    serial = tidy(SerialExecutor())
    pool = tidy(ProcessExecutor(2))
    # threads in this process keep the cluster's start-up short; the tasks are the same
    dask = tidy(DaskExecutor("local", workers=2, processes=False))
    for other in (pool, dask):
        for mine, theirs in zip(serial, other):
            pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    assert len(serial[1]) == 2 * 2


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "run",
            "configs/current.yaml",
            "--reps",
            "2",
            "--days",
            "2",
            "--warmup-days",
            "0",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: --scheduler tcp://127.0.0.1:9: no Dask scheduler answers there")
    assert proc.stderr.strip().count("\n") == 0
    assert not (tmp_path / "o").exists()


SWEEP = ["--reps", "4", "--days", "6", "--warmup-days", "1", "--quiet"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_sweep_killed_hard_and_run_again_gives_the_rows_of_an_uninterrupted_run(tmp_path):
    path = _sweep_file(tmp_path, "vary:\n  ia_nurse.redirection_x8.probability: [0.4, 0.7, 1.0]\n")
    out = tmp_path / "results" / "sweep"
    kept_dir = out.parent / ".sweep-checkpoint"
    argv = [sys.executable, "run_sim.py", "sweep", str(path), *SWEEP, "--out", str(out)]
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180
        while len(list(kept_dir.glob("*/rep-*[0-9].json"))) < 3:
            assert proc.poll() is None, "finished before it was killed"
            assert time.monotonic() < deadline, "no replication was ever kept"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # no chance to clean up
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    kept = len(list(kept_dir.glob("*/rep-*[0-9].json")))
    assert 3 <= kept < 16
    again = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    fresh = subprocess.run(
        [*argv[:-1], str(tmp_path / "fresh")], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert fresh.returncode == 0, fresh.stderr
    for name in ("sweep.csv", "replications.csv", "summaries.csv", "point_summary.csv"):
        assert (out / name).read_text() == (tmp_path / "fresh" / name).read_text(), name


def test_a_tiny_sobol_sweep_runs_and_reports_its_indices(tmp_path):
    body = (
        "design: sobol\nsamples: 16\nvary:\n"
        "  patients.sda_eligible: {dist: uniform, low: 0.7, high: 0.9}\n"
        "  unit_costs_gbp.utc_attendance: {dist: triangular, low: 80.0, mode: 91.0, high: 110.0}\n"
    )
    path = _sweep_file(tmp_path, body)
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "sweep",
            str(path),
            "--reps",
            "1",
            "--days",
            "1",
            "--warmup-days",
            "0",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Sobol indices of the saving" in proc.stdout
    indices = pd.read_csv(out / "sobol.csv")
    assert list(indices["parameter"]) == ["patients.sda_eligible", "unit_costs_gbp.utc_attendance"]
    assert (indices["ST_ci_low"] <= indices["ST"]).all() and (indices["ST"] <= indices["ST_ci_high"]).all()
    assert len(pd.read_csv(out / "sweep.csv")) == 16 * (2 + 2)


def test_a_latin_hypercube_puts_one_draw_in_each_stratum(tmp_path):
    body = (
        "design: latin_hypercube\nsamples: 20\nvary:\n"
        "  patients.sda_eligible: {dist: uniform, low: 0.5, high: 0.9}\n"
        "  unit_costs_gbp.utc_attendance: {dist: triangular, low: 80.0, mode: 90.0, high: 100.0}\n"
    )
    path = _sweep_file(tmp_path, body)
    spec = load_sweep(path)
    from sim.experiments.sweep import point_values

    draws = point_values(spec, seed=3)
    assert draws == point_values(spec, seed=3) and draws != point_values(spec, seed=4)
    eligible = sorted(d["patients.sda_eligible"] for d in draws)
    strata = [int((v - 0.5) / 0.4 * 20) for v in eligible]
    assert strata == list(range(20))
    cost = [d["unit_costs_gbp.utc_attendance"] for d in draws]
    assert 80 <= min(cost) and max(cost) <= 100


def test_the_warmup_command_writes_daily_kpis_and_a_truncation_per_kpi(tmp_path):
    out = tmp_path / "w"
    proc = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "warmup",
            "configs/current.yaml",
            "--reps",
            "2",
            "--days",
            "20",
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
    assert "Warm-up needed:" in proc.stdout
    daily = pd.read_csv(out / "daily_kpis.csv")
    assert len(daily) == 2 * 20 and daily["arrivals"].gt(0).all()
    table = pd.read_csv(out / "warmup.csv")
    assert table["warmup_days"].between(0, 10).all() and (table["warmup_days"] % 5 == 0).all()
