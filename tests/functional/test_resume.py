"""Resuming: replications kept by an interrupted run are reused, and the numbers do not change."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.experiments.attribution import attribute
from sim.experiments.checkpoint import CheckpointFolder
from sim.inputs.config import apply_overrides, load_config
from sim.experiments.runner import ReplicationResult, run_replications, summary_table

from ..conftest import ROOT, tweak
from .helpers import as_foreground_job


def _tables_equal(a, b):
    pd.testing.assert_frame_equal(summary_table(a), summary_table(b), check_exact=True)


@pytest.mark.parametrize("jobs", [1, 2])
def test_resumed_replications_give_the_numbers_of_an_uninterrupted_run(small_current, tmp_path, jobs):
    cfg5 = tweak(small_current, run__replications=5)
    folder = CheckpointFolder(tmp_path / "out")
    # a first run that got through 3 of the 5 replications
    first = run_replications(tweak(cfg5, run__replications=3), progress=False, checkpoint=folder.for_scenario(cfg5))
    rerun = CheckpointFolder(tmp_path / "out")  # the same command, run again
    store = rerun.for_scenario(cfg5)
    resumed = run_replications(cfg5, jobs=jobs, progress=False, checkpoint=store)
    assert store.resumed == rerun.resumed() == 3
    assert rerun.kept() == 5
    _tables_equal(resumed, run_replications(cfg5, progress=False))
    _tables_equal(resumed[:3], first)


def test_a_different_scenario_does_not_reuse_kept_replications(small_current, tmp_path):
    folder = CheckpointFolder(tmp_path / "out")
    run_replications(small_current, progress=False, checkpoint=folder.for_scenario(small_current))
    other = tweak(small_current, run__seed=small_current.run.seed + 1)
    store = folder.for_scenario(other)
    run_replications(other, progress=False, checkpoint=store)
    assert store.resumed == 0
    assert folder.kept() == 4


def test_attribution_resumes_every_step(small_current, small_redesign, tmp_path):
    folder = CheckpointFolder(tmp_path / "out")
    table, _ = attribute(small_current, small_redesign, progress=False, checkpoints=folder)
    again = CheckpointFolder(tmp_path / "out")
    table2, _ = attribute(small_current, small_redesign, progress=False, checkpoints=again)
    steps = len(table)  # the steps plus the total row = the scenarios run (baseline included)
    assert again.resumed() == steps * small_current.run.replications
    pd.testing.assert_frame_equal(table, table2, check_exact=True)


# ------------------------------------------------------------------ CLI --
RUN = ["run", "configs/current.yaml", "--reps", "16", "--days", "14", "--warmup-days", "1"]


def _cli(argv, out: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run_sim.py", *argv, "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        **kw,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_interrupted_cli_run_resumes_to_identical_results(tmp_path, jobs):
    out = tmp_path / "results" / "current"
    kept_dir = out.parent / ".current-checkpoint"
    proc = subprocess.Popen(
        [sys.executable, "run_sim.py", *RUN, "--jobs", jobs, "--quiet", "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_foreground_job,
    )
    try:
        deadline = time.monotonic() + 120
        while len(list(kept_dir.glob("*/rep-*[0-9].json"))) < 2:
            assert proc.poll() is None, f"finished before it was interrupted: {proc.communicate()}"
            assert time.monotonic() < deadline, "no replication was ever kept"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: workers get it too
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "finished replication(s) are kept in" in err and "Traceback" not in err, err
    assert not out.exists() or not any(out.iterdir())
    kept = len(list(kept_dir.glob("*/rep-*[0-9].json")))
    assert 2 <= kept < 16

    resumed = _cli(RUN, out)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming:" in resumed.stderr
    assert f"reused {kept} replication(s)" in resumed.stderr
    assert json.loads((out / "manifest.json").read_text())["resumed_replications"] == kept
    assert not kept_dir.exists(), "the checkpoint folder outlived a finished run"

    fresh = _cli([*RUN, "--quiet", "--no-resume"], tmp_path / "fresh")
    assert fresh.returncode == 0, fresh.stderr
    assert json.loads((tmp_path / "fresh" / "manifest.json").read_text())["resumed_replications"] == 0
    for name in ("summary.csv", "kpis.csv"):
        assert (out / name).read_text() == (tmp_path / "fresh" / name).read_text(), name


def test_no_resume_runs_everything_again(tmp_path):
    out = tmp_path / "current"
    folder = CheckpointFolder(out)
    argv = ["run", "configs/current.yaml", "--reps", "2", "--days", "3", "--warmup-days", "1", "--quiet"]
    # plant a wrong result where a resumed run would take it from
    cfg = apply_overrides(load_config(ROOT / "configs/current.yaml"), replications=2, days=3, warmup_days=1)
    good = run_replications(cfg, progress=False)[0].kpis
    folder.for_scenario(cfg).save(ReplicationResult(0, {**good, "arrivals_per_day": -1.0}))
    proc = _cli([*argv, "--no-resume"], out)
    assert proc.returncode == 0, proc.stderr
    summary = pd.read_csv(out / "summary.csv")
    assert (summary["arrivals_per_day"] > 0).all()
    assert not folder.path.exists()
