"""The benchmark script runs end to end in --quick mode and writes its JSON report.

No timing assertions: the script reports figures, it is not a performance test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "bench_model.py"


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def test_quick_benchmark_writes_report(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "Summary" in proc.stdout
    assert out.is_file()
    assert not list(tmp_path.glob(".r.json.*")), "temporary file left behind"

    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["mode"] == "quick"
    for key in ("machine", "mm3", "full_model", "event_log", "overloaded", "replications", "targets"):
        assert key in data, key

    machine = data["machine"]
    assert _positive(machine["cpu_count"])
    for key in ("python", "numpy", "simpy"):
        assert isinstance(machine[key], str) and machine[key]

    assert _positive(data["mm3"]["customers_per_s"])
    assert _positive(data["mm3"]["seconds_best"])

    for name in ("current", "redesign"):
        block = data["full_model"][name]
        for case in ("model", "run_one", "events"):
            for key in ("patients", "seconds", "patients_per_s", "peak_rss_mb"):
                assert _positive(block[case][key]), (name, case, key, block[case][key])
        assert _positive(block["model_vs_mm3"])
        assert _positive(data["event_log"][name]["ratio"])
        assert _positive(data["event_log"][name]["parquet_mb"])

    over = data["overloaded"]
    for key in ("normal_us_per_patient", "overloaded_us_per_patient", "ratio"):
        assert _positive(over[key]), key
    assert over["overloaded"]["patients"] > over["normal"]["patients"]

    reps = data["replications"]
    for key in (
        "serial_seconds",
        "parallel_seconds",
        "side_by_side_seconds",
        "speedup",
        "machine_ceiling",
        "efficiency_vs_ceiling",
    ):
        assert _positive(reps[key]), key
    assert len(reps["speedup_per_round"]) == reps["rounds"] == len(reps["runs"]["side_by_side"])
    assert reps["identical_results"] is True

    keys = {t["key"] for t in data["targets"]}
    assert keys == {
        "model_vs_mm3",
        "run_one_seconds",
        "peak_rss_mb",
        "event_log_ratio",
        "overload_ratio",
        "parallel_speedup",
    }
    for t in data["targets"]:
        assert _positive(t["value"]) and isinstance(t["pass"], bool)


def test_quick_scale_benchmark_writes_report_judges_no_target_and_keeps_the_record():
    """A smoke test's figures are too small to judge a target by; its default report is not the
    committed record (benchmarks/results_scale.json), which it leaves as it was."""
    record = REPO / "benchmarks" / "results_scale.json"
    before = record.read_bytes() if record.exists() else None
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "bench_scale.py"), "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    assert "FAIL" not in proc.stdout and "PASS" not in proc.stdout and "not judged" in proc.stdout
    assert (record.read_bytes() if record.exists() else None) == before
    data = json.loads((REPO / "benchmarks" / "results_scale_quick.json").read_text(encoding="utf-8"))
    assert data["sweep"]["identical_rows"] is True
    for run in data["sweep"]["rounds"]:
        for kind in ("jobs2", "dask"):
            assert _positive(run[kind]["reps_per_s"]) and _positive(run[kind]["cpu_s"]), (kind, run)
    assert set(data["targets"]) == {"dask_vs_jobs2", "memory_ratio"}
    assert all(t["met"] is None for t in data["targets"].values())
    assert _positive(data["memory"]["memory_ratio"])
