"""Interrupted runs (Ctrl-C / SIGINT, SIGTERM, SIGHUP) exit 128 + the signal and leave no results.

Each test starts ``run_sim.py`` in a subprocess with minutes of work, waits until
its first replication is kept in the checkpoint folder (an event, not a timer:
the run is under way, past imports and config checks, and has work in hand),
then interrupts it. Timeouts only guard against a hang; no assertion depends on
how fast the machine is.
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
from .helpers import as_foreground_job

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_HUNG_UP = 129  # 128 + SIGHUP
HANG = 600  # seconds: only a hung run takes this long
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
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_foreground_job,
    )


def _kept(out_dir: Path) -> list[Path]:
    return list(out_dir.parent.glob(f".{out_dir.name}-checkpoint/*/rep-*[0-9].json"))


def _wait_until_running(proc: subprocess.Popen, out_dir: Path) -> None:
    """Wait for the first kept replication: the run is then well under way, with work in hand."""
    deadline = time.monotonic() + HANG
    while not _kept(out_dir):
        assert proc.poll() is None, f"finished before it was interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "the run never kept a replication"
        time.sleep(0.02)
    assert proc.poll() is None, "not enough work: the run finished before the interrupt"


def _live_group_members(pgid: int) -> list[str]:
    """Processes of a process group that are still alive (zombies excluded), from /proc."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # exited meanwhile
        state, _ppid, group = text.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            alive.append(text[: text.rindex(")") + 1])
    return alive


def _wait_for_group_to_end(pgid: int) -> None:
    deadline = time.monotonic() + 120  # a worker that outlives its parent lives forever
    while _live_group_members(pgid):
        assert time.monotonic() < deadline, f"still alive: {_live_group_members(pgid)}"
        time.sleep(0.05)


def _kill_group(proc: subprocess.Popen) -> None:
    """Clean up whatever is left of the run's process group (nothing, if the run behaved)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _assert_nothing_written(out_dir: Path) -> None:
    assert not out_dir.exists() or not any(out_dir.iterdir()), sorted(os.listdir(out_dir))
    assert not _staging(out_dir), f"staging folders left: {_staging(out_dir)}"


def _interrupt(argv, tmp_path, whole_group: bool, signum: int = signal.SIGINT):
    out_dir = tmp_path / "results" / "run"
    proc = _start(argv, out_dir)
    try:
        _wait_until_running(proc, out_dir)
        if whole_group:
            os.killpg(proc.pid, signum)  # what Ctrl-C in a terminal does (SIGINT to the group)
        else:
            os.kill(proc.pid, signum)  # `kill -INT <pid>`
        _, err = proc.communicate(timeout=HANG)
        return proc.returncode, err, out_dir, None
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
    rc, err, out_dir, _ = _interrupt(argv, tmp_path, whole_group=True)
    assert rc == EXIT_INTERRUPTED, err
    _assert_nothing_written(out_dir)


def test_rerun_after_an_interrupt_succeeds(tmp_path):
    """An interrupted run does not block the next run into the same folder."""
    rc, err, out_dir, _ = _interrupt(RUN, tmp_path, whole_group=False)
    assert rc == EXIT_INTERRUPTED, err
    proc = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "run",
            "configs/current.yaml",
            "--reps",
            "1",
            "--days",
            "3",
            "--warmup-days",
            "1",
            "--quiet",
            "--out",
            str(out_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out_dir.iterdir()) == ["kpis.csv", "manifest.json", "summary.csv"]
    assert not _staging(out_dir)


def test_sigint_stops_a_parallel_run_before_its_work_is_done(tmp_path):
    """In-hand replications finish, queued ones are cancelled: far fewer than 80 are kept."""
    out_dir = tmp_path / "results" / "run"
    proc = _start([*RUN, "--jobs", "2"], out_dir)
    try:
        _wait_until_running(proc, out_dir)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=HANG)
        assert proc.returncode == EXIT_INTERRUPTED, err
    finally:
        _kill_group(proc)
    _assert_nothing_written(out_dir)
    assert 1 <= len(_kept(out_dir)) < 80


@pytest.mark.parametrize(
    "signum, code", [(signal.SIGTERM, EXIT_TERMINATED), (signal.SIGHUP, EXIT_HUNG_UP)], ids=["sigterm", "sighup"]
)
def test_sigterm_and_sighup_stop_a_parallel_run_like_ctrl_c(signum, code, tmp_path):
    """Replications in hand are kept, the message is Ctrl-C's, and no process of the run's group remains."""
    argv = [*RUN, "--jobs", "2"]
    out_dir = tmp_path / "results" / "run"
    proc = _start(argv, out_dir)
    try:
        _wait_until_running(proc, out_dir)
        os.kill(proc.pid, signum)  # `kill <pid>`: the main process only, as a service manager does
        _, err = proc.communicate(timeout=HANG)
        _wait_for_group_to_end(proc.pid)
    finally:
        _kill_group(proc)
    assert proc.returncode == code, err
    assert err.startswith("interrupted: no results were written;") and "Traceback" not in err, err
    assert "run the same command again" in err
    _assert_nothing_written(out_dir)
    assert _kept(out_dir)


def test_workers_die_with_their_parent_however_it_dies(tmp_path):
    """SIGKILL leaves no chance to clean up: the workers must still not outlive the run.
    Its staging folder is left behind, and the next run into the same folder removes it."""
    out_dir = tmp_path / "results" / "run"
    proc = _start([*RUN, "--jobs", "2"], out_dir)
    try:
        _wait_until_running(proc, out_dir)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=HANG)
        _wait_for_group_to_end(proc.pid)
    finally:
        _kill_group(proc)
    assert _staging(out_dir), "expected the killed run's staging folder"
    rerun = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "run",
            "configs/current.yaml",
            "--reps",
            "1",
            "--days",
            "3",
            "--warmup-days",
            "1",
            "--quiet",
            "--out",
            str(out_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert not _staging(out_dir), "the dead run's staging folder was not removed"


@pytest.mark.parametrize("whole_group", [False, True], ids=["sigint_pid", "ctrl_c_group"])
def test_ctrl_c_stops_a_run_on_a_dask_cluster_and_leaves_no_worker(whole_group, tmp_path):
    """On a local Dask cluster too: exit 130, one message, nothing written, the replications that
    came back kept, the queued ones cancelled, and no worker process left behind."""
    out_dir = tmp_path / "results" / "run"
    proc = _start([*RUN, "--scheduler", "local"], out_dir)
    try:
        _wait_until_running(proc, out_dir)
        if whole_group:
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=HANG)
        _wait_for_group_to_end(proc.pid)
    finally:
        _kill_group(proc)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert err.startswith("interrupted: no results were written;") and "Traceback" not in err, err
    _assert_nothing_written(out_dir)
    assert 1 <= len(_kept(out_dir)) < 80
