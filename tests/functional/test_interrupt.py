"""Interrupted runs (Ctrl-C / SIGINT) exit 130 and leave no results, complete or partial.

Each test starts ``run_sim.py`` in a subprocess with minutes of work, waits until
the result writer has made its hidden staging folder (so the run is under way,
past imports and config checks), lets it work a second more, then interrupts it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..property.strategies import ROOT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

EXIT_INTERRUPTED = 130
# ~1 s per replication (63 days): far more work than the test waits for
RUN = ["run", "configs/current.yaml", "--reps", "80"]
COMPARE = ["compare", "configs/current.yaml", "configs/redesign.yaml", "--reps", "40"]


def _staging(out_dir: Path) -> list[Path]:
    return list(out_dir.parent.glob(f".{out_dir.name}-partial-*"))


def _start(argv: list[str], out_dir: Path) -> subprocess.Popen:
    # a new session, so the test can emulate a terminal's Ctrl-C (SIGINT to the whole
    # process group, workers included) and clean up the group if something hangs
    return subprocess.Popen(
        [sys.executable, "run_sim.py", *argv, "--out", str(out_dir), "--quiet"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def _wait_until_running(proc: subprocess.Popen, out_dir: Path, settle: float = 1.0) -> None:
    deadline = time.monotonic() + 60
    while not _staging(out_dir):
        assert proc.poll() is None, f"finished before it was interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "the run never started writing"
        time.sleep(0.02)
    time.sleep(settle)
    assert proc.poll() is None, "not enough work: the run finished before the interrupt"


def _kill_group(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _assert_nothing_written(out_dir: Path) -> None:
    assert not out_dir.exists() or not any(out_dir.iterdir()), sorted(os.listdir(out_dir))
    assert not _staging(out_dir), f"staging folders left: {_staging(out_dir)}"


def _interrupt(argv, tmp_path, whole_group: bool, timeout: float = 90):
    out_dir = tmp_path / "results" / "run"
    proc = _start(argv, out_dir)
    try:
        _wait_until_running(proc, out_dir)
        if whole_group:
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        else:
            os.kill(proc.pid, signal.SIGINT)  # `kill -INT <pid>`
        start = time.monotonic()
        _, err = proc.communicate(timeout=timeout)
        return proc.returncode, err, out_dir, time.monotonic() - start
    finally:
        _kill_group(proc)


@pytest.mark.parametrize("whole_group", [False, True], ids=["sigint_pid", "ctrl_c_group"])
@pytest.mark.parametrize("argv", [RUN, COMPARE], ids=["run", "compare"])
def test_interrupted_serial_run_leaves_nothing(argv, whole_group, tmp_path):
    rc, err, out_dir, _ = _interrupt(argv, tmp_path, whole_group)
    assert rc == EXIT_INTERRUPTED, err
    assert "interrupted" in err and "Traceback" not in err
    _assert_nothing_written(out_dir)


def test_interrupted_parallel_compare_leaves_nothing(tmp_path):
    """Ctrl-C with worker processes: still exit 130 and nothing written (however long it takes)."""
    argv = ["compare", "configs/current.yaml", "configs/redesign.yaml", "--reps", "8", "--jobs", "2"]
    rc, err, out_dir, _ = _interrupt(argv, tmp_path, whole_group=True, timeout=120)
    assert rc == EXIT_INTERRUPTED, err
    _assert_nothing_written(out_dir)


def test_rerun_after_an_interrupt_succeeds(tmp_path):
    """An interrupted run does not block the next run into the same folder."""
    rc, err, out_dir, _ = _interrupt(RUN, tmp_path, whole_group=False)
    assert rc == EXIT_INTERRUPTED, err
    proc = subprocess.run(
        [sys.executable, "run_sim.py", "run", "configs/current.yaml", "--reps", "1", "--days", "3",
         "--warmup-days", "1", "--quiet", "--out", str(out_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["kpis.csv", "manifest.json", "summary.csv"]
    assert not _staging(out_dir)


def test_sigint_stops_a_parallel_run_promptly(tmp_path):
    out_dir = tmp_path / "results" / "run"
    proc = _start([*RUN, "--jobs", "2"], out_dir)  # ~40 s of work on 2 workers
    try:
        _wait_until_running(proc, out_dir)
        os.kill(proc.pid, signal.SIGINT)
        try:
            # in-flight (and one queued) replications per worker finish first: ~1 s each on
            # an idle machine, a few times that when the test suite loads both cores; all 80
            # replications would take well over 40 s, so 30 s still tells the two apart
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail("still running 30 s after SIGINT")
        assert proc.returncode == EXIT_INTERRUPTED, err
    finally:
        _kill_group(proc)
    _assert_nothing_written(out_dir)
