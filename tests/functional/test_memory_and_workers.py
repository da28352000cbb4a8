"""The memory estimate against measured peaks, and a lost pool worker recovered.

The estimate (``sim.experiments.resources``) is checked on three sizes of run, each replication in
a fresh process whose peak resident memory the kernel reports (``VmHWM``: the process's own; the
``ru_maxrss`` of a process started from a large test worker keeps the worker's, since Linux carries it
across ``exec``): the estimate must be within a factor of 2 of the peak, either way. The sizes cover a short and a longer run of the current
pathway and a run dominated by induced demand (the channel the first estimate left out).

A pool worker killed mid-run (``BrokenProcessPool``) is replaced and its replications run again,
as Dask does: the results are those of an uninterrupted serial run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.experiments.executors import MAX_WORKER_LOSSES, ProcessExecutor, SerialExecutor
from sim.inputs.config import ConfigError

from ..conftest import ROOT

MEASURE = """
import json, resource, sys
from sim.experiments.resources import estimated_bytes
from sim.experiments.runner import run_one
from sim.experiments.sweep import set_parameters
from sim.inputs.config import apply_overrides, load_config

cfg = apply_overrides(load_config("configs/current.yaml"), days={days}, warmup_days=1, replications=1)
cfg = set_parameters(cfg, {assignments!r})
run_one(cfg, 0)
try:  # this process's own high-water mark: ru_maxrss keeps the forking parent's across exec on Linux
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) * 1024
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"peak": peak, "estimate": estimated_bytes(cfg)}}))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("days", "assignments"),
    [
        (14, []),
        (120, []),
        (30, ["demand.induced.mean_per_day=4000", "demand.induced.growth=1"]),
    ],
    ids=["14_days", "120_days", "induced_demand"],
)
def test_the_memory_estimate_is_within_a_factor_of_2_of_the_measured_peak(days, assignments):
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE.format(days=days, assignments=assignments)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    ratio = figures["estimate"] / figures["peak"]
    assert 0.5 <= ratio <= 2.0, f"estimate {figures['estimate'] / 1e6:,.0f} MB, peak {figures['peak'] / 1e6:,.0f} MB"


def _square(x: int) -> int:
    return x * x


def _die_once(x: int, marker: str) -> int:
    """Kill this worker the first time replication 3 is asked for (a worker lost to the OOM killer)."""
    if x == 3 and not Path(marker).exists():
        Path(marker).write_text("died")
        os.kill(os.getpid(), 9)
    return x * x


def _always_die(x: int) -> int:
    os.kill(os.getpid(), 9)
    return x


def test_a_lost_pool_worker_is_replaced_and_its_calls_run_again(tmp_path, capsys):
    calls = [(i, str(tmp_path / "died")) for i in range(8)]
    got: dict[int, int] = {}
    with ProcessExecutor(2) as executor:
        executor.run(_die_once, calls, lambda i, result: got.__setitem__(i, result))
        assert (tmp_path / "died").exists(), "the worker was never killed"
        again: dict[int, int] = {}
        executor.run(_square, [(i,) for i in range(4)], lambda i, result: again.__setitem__(i, result))
    expected: dict[int, int] = {}
    SerialExecutor().run(_square, [(i,) for i in range(8)], lambda i, result: expected.__setitem__(i, result))
    assert got == expected
    assert again == {i: i * i for i in range(4)}, "the replacement pool does not work"
    assert "a worker process died" in capsys.readouterr().err


def test_a_worker_that_always_dies_stops_the_run_in_one_line():
    with ProcessExecutor(2) as executor, pytest.raises(ConfigError, match=f"died {MAX_WORKER_LOSSES + 1} times"):
        executor.run(_always_die, [(i,) for i in range(4)], lambda i, result: None)


def test_a_lost_worker_mid_run_gives_the_numbers_of_an_uninterrupted_run(tmp_path, monkeypatch):
    """Through the command line: a compare with --jobs 2 whose worker is killed once equals a serial one."""
    marker = tmp_path / "died"
    code = f"""
import os, sys
from pathlib import Path
import sim.experiments.runner as runner
real = runner.run_replication

def run_replication(cfg, replication):
    if replication == 2 and cfg.name == "redesign" and not Path({str(marker)!r}).exists():
        Path({str(marker)!r}).write_text("died")
        os.kill(os.getpid(), 9)
    return real(cfg, replication)

runner.run_replication = run_replication
sys.argv = ["run_sim.py", *sys.argv[1:]]
from sim.cli import script
script()
"""
    argv = [
        "compare",
        "configs/current.yaml",
        "configs/redesign.yaml",
        "--reps",
        "4",
        "--days",
        "4",
        "--warmup-days",
        "1",
        "--quiet",
    ]
    broken = subprocess.run(
        [sys.executable, "-c", code, *argv, "--jobs", "2", "--out", str(tmp_path / "a")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert broken.returncode == 0, broken.stderr
    assert marker.exists() and "a worker process died" in broken.stderr
    serial = subprocess.run(
        [sys.executable, "run_sim.py", *argv, "--out", str(tmp_path / "b")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert serial.returncode == 0, serial.stderr
    assert (tmp_path / "a" / "comparison.csv").read_text() == (tmp_path / "b" / "comparison.csv").read_text()
