"""Interrupts at any moment, any number of them (issue 20): one stop, exit 128 + the signal, no process left.

Each test starts ``run_sim.py`` in a new session as a terminal's foreground job (Ctrl-C at its
default), sends signals to the whole process group (a terminal's Ctrl-C) or to the main process
(``kill``), and checks: the exit status is 130 for SIGINT or 143 for SIGTERM (a process that the
signal ended before Python could handle it counts too: a shell reports it the same way), no
traceback, no process of the group alive afterwards, and the output folder either complete or
untouched, never half-written, with no staging folder and no lock file beside it.

The random test draws its moments from a fixed seed. The moments are offsets from the moment the
program starts (the interpreter has started), spread over start-up, the run and publishing; which phase a given moment falls in
depends on the machine's speed, so every outcome is checked for what it must satisfy whatever the
phase. Timeouts only guard against a hang; no assertion depends on how fast the machine is.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import ROOT
from .helpers import as_foreground_job

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

HANG = 300  # seconds: only a hung run takes this long
SHORT_RUN = ["run", "configs/current.yaml", "--reps", "4", "--days", "21", "--warmup-days", "1", "--quiet"]
LONG_RUN = ["run", "configs/current.yaml", "--reps", "40", "--quiet"]
LAUNCH = """
import os, signal, sys
code = compile(open("run_sim.py").read(), "run_sim.py", "exec")
sys.argv = ["run_sim.py", *sys.argv[1:]]
program = {{"__name__": "__main__", "__file__": "run_sim.py"}}
try:
    os.write({ready}, b"1")  # the interpreter has started: from here on, the program's own start-up
    os.close({ready})
    exec(code, program)
except KeyboardInterrupt:
    if "script" not in program:  # raised before run_sim.py's first line: the interpreter's share,
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # so end as Python ends there: by the signal
        os.kill(os.getpid(), signal.SIGINT)
    raise
"""
"""How a test starts ``run_sim.py``: as ``python run_sim.py ...`` does, saying first that Python itself
has started. A Ctrl-C in the interpreter's own start (its ``site`` imports, reading the script, before
the script's first line) ends Python as Python decides, outside the program's reach: the moments are
counted from the end of that, and a Ctrl-C that lands before the script's first line ends the
process by the signal, as it would without the program."""


def _start(argv: list[str], out: Path, ignore_hangup: bool = False) -> subprocess.Popen:
    """``run_sim.py argv --out out`` as a terminal's foreground job, once its interpreter has started."""

    def child_setup() -> None:
        as_foreground_job()
        if ignore_hangup:  # what nohup does
            signal.signal(signal.SIGHUP, signal.SIG_IGN)

    ready, told = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH.format(ready=told), *argv, "--out", str(out)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=child_setup,
            pass_fds=(told,),
        )
        os.close(told)
        told = None
        os.read(ready, 1)  # returns when the program starts (or at once if the interpreter failed)
    finally:
        os.close(ready)
        if told is not None:
            os.close(told)
    return proc


def _alive_in_group(pgid: int) -> list[str]:
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        state, _ppid, group = text.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            alive.append(text[: text.rindex(")") + 1])
    return alive


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    """Wait for the run, check that no process of its group outlives it, clean up if one does."""
    try:
        _, err = proc.communicate(timeout=HANG)
        deadline = time.monotonic() + 60
        while _alive_in_group(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive_in_group(proc.pid), f"still alive: {_alive_in_group(proc.pid)}"
        return proc.returncode, err
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def _send(proc: subprocess.Popen, signum: int, whole_group: bool) -> None:
    try:
        if whole_group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
    except ProcessLookupError:
        pass  # it has ended already


def _assert_stopped_cleanly(code: int, err: str, first_signal: int, out: Path) -> None:
    assert "Traceback" not in err and "Fatal Python error" not in err, err
    assert len(err.splitlines()) <= 2, err  # the interrupt's line (and a warning before it at most)
    finished = code == 0
    assert finished or code in (128 + first_signal, -first_signal), (code, err)
    siblings = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}")]
    assert not [s for s in siblings if not s.endswith("-checkpoint")], f"left beside the results: {siblings}"
    if finished or (out.exists() and any(out.iterdir())):
        # published: complete (a signal after publishing changes nothing)
        assert sorted(p.name for p in out.iterdir()) == ["kpis.csv", "manifest.json", "summary.csv"]
    if code > 0:  # the program handled the signal and says so (ended by the signal itself: nothing to say)
        assert err.startswith("interrupted:"), err


def test_two_ctrl_c_a_moment_apart_with_two_jobs_stop_at_once(tmp_path):
    """The hang of round one: the second Ctrl-C left the main process waiting on idle workers."""
    out = tmp_path / "r"
    proc = _start([*LONG_RUN, "--jobs", "2"], out)
    while not list(tmp_path.glob(".r-checkpoint/*/rep-*[0-9].json")):  # under way, workers busy
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    _send(proc, signal.SIGINT, whole_group=True)
    time.sleep(0.2)
    _send(proc, signal.SIGINT, whole_group=True)
    code, err = _finish(proc)
    assert code == 130, err
    _assert_stopped_cleanly(code, err, signal.SIGINT, out)
    assert "kept in" in err


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGINT,) * 5, (signal.SIGTERM, signal.SIGINT, signal.SIGTERM)],
    ids=["five_ctrl_c", "term_int_term"],
)
def test_a_burst_of_signals_is_one_stop(signals, tmp_path):
    """Signals 50 ms apart: one stop, whose exit status is one of theirs.

    Which one is not the program's to choose: on a busy machine the process may not run at all
    between two of them, and signals pending together reach it lowest number first (the kernel
    delivers them so, and Python runs their handlers so), SIGINT before SIGTERM. That the first of
    two signals the process does see apart decides the status is checked with a wider gap below.
    """
    out = tmp_path / "r"
    proc = _start([*LONG_RUN, "--jobs", "2"], out)
    while not list(tmp_path.glob(".r-checkpoint/*/rep-*[0-9].json")):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    for signum in signals:
        _send(proc, signum, whole_group=signum == signal.SIGINT)
        time.sleep(0.05)
    code, err = _finish(proc)
    assert code in {128 + signum for signum in signals}, err
    _assert_stopped_cleanly(code, err, code - 128, out)


def test_the_first_of_two_stops_decides_the_exit_status(tmp_path):
    """SIGTERM, then a second later a Ctrl-C: the run stops on the SIGTERM and says 143."""
    out = tmp_path / "r"
    proc = _start([*LONG_RUN, "--jobs", "2"], out)
    while not list(tmp_path.glob(".r-checkpoint/*/rep-*[0-9].json")):
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    _send(proc, signal.SIGTERM, whole_group=False)
    time.sleep(1.0)
    _send(proc, signal.SIGINT, whole_group=True)
    code, err = _finish(proc)
    assert code == 128 + signal.SIGTERM, err
    _assert_stopped_cleanly(code, err, signal.SIGTERM, out)


@pytest.mark.parametrize("moment", [0.0, 0.1, 0.3, 0.6, 1.0])
def test_ctrl_c_during_start_up_is_one_line(moment, tmp_path):
    out = tmp_path / "r"
    proc = _start([*LONG_RUN, "--jobs", "2"], out)
    time.sleep(moment)
    _send(proc, signal.SIGINT, whole_group=True)
    code, err = _finish(proc)
    _assert_stopped_cleanly(code, err, signal.SIGINT, out)
    assert code != 0, "a 40-replication run cannot have finished"


@pytest.mark.parametrize("moment", [0.5, 1.5, 3.0])
def test_ctrl_c_while_a_local_dask_cluster_starts_is_one_line(moment, tmp_path):
    out = tmp_path / "r"
    proc = _start([*LONG_RUN, "--scheduler", "local"], out)
    time.sleep(moment)
    _send(proc, signal.SIGINT, whole_group=True)
    time.sleep(0.2)
    _send(proc, signal.SIGINT, whole_group=True)
    code, err = _finish(proc)
    _assert_stopped_cleanly(code, err, signal.SIGINT, out)
    assert code == 130, err


def test_an_inherited_ignored_hangup_stays_ignored(tmp_path):
    """nohup: the terminal going away must not stop the run."""
    out = tmp_path / "r"
    proc = _start([*SHORT_RUN, "--jobs", "2"], out, ignore_hangup=True)
    time.sleep(1.0)
    _send(proc, signal.SIGHUP, whole_group=True)
    time.sleep(0.5)
    _send(proc, signal.SIGHUP, whole_group=False)
    code, err = _finish(proc)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["kpis.csv", "manifest.json", "summary.csv"]


@pytest.mark.slow
def test_signals_at_random_moments_always_stop_cleanly(tmp_path):
    """Start-up, run and publishing alike: 12 runs, each hit by 1-3 signals at moments from a fixed seed."""
    draw = random.Random(20)
    for trial in range(12):
        jobs = draw.choice([["--jobs", "2"], []])
        first = draw.choice([signal.SIGINT, signal.SIGTERM])
        moments = sorted(draw.uniform(0.0, 6.0) for _ in range(draw.randint(1, 3)))
        out = tmp_path / f"r{trial}"
        proc = _start([*SHORT_RUN, *jobs], out)
        start = time.monotonic()
        for i, moment in enumerate(moments):
            time.sleep(max(0.0, start + moment - time.monotonic()))
            signum = first if i == 0 else draw.choice([signal.SIGINT, signal.SIGTERM])
            _send(proc, signum, whole_group=signum == signal.SIGINT)
        code, err = _finish(proc)
        _assert_stopped_cleanly(code, err, first, out)
