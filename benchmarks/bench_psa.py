"""Benchmark of ``psa``: run time and peak memory on the defaults, with the saving's distribution it gives.

Run from the repository root::

    python benchmarks/bench_psa.py                                  # configs/psa.yaml (1,044 runs)
    python benchmarks/bench_psa.py --calibrated-sets results/calibration/plausible_sets.csv
    python benchmarks/bench_psa.py --quick                          # a few draws of a week (a smoke test)

Runs ``run_sim.py psa configs/psa.yaml --jobs 1`` as a command and records its wall and CPU time and the
peak memory of its process (``os.wait4``), with the central value, both intervals, the probability of a
positive saving and the inputs' ranking, in ``benchmarks/results_psa.json`` (or ``--out``). It reports;
it exits 0 whatever the figures.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 draws of a week, one replication each")
    parser.add_argument("--calibrated-sets", default=None, help="a calibrate run's plausible_sets.csv")
    parser.add_argument("--keep", default=None, help="keep the PSA's results in this folder (e.g. results/psa)")
    parser.add_argument("--out", default=None, help="JSON report (default: benchmarks/results_psa.json; with "
                                                    "--quick benchmarks/results_psa_quick.json)")
    args = parser.parse_args()
    out = Path(args.out or REPO / "benchmarks" / f"results_psa{'_quick' if args.quick else ''}.json")
    folder = Path(args.keep) if args.keep else Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_psa_{os.getpid()}"
    command = [sys.executable, str(REPO / "run_sim.py"), "psa", "configs/psa.yaml", "--jobs", "1", "--out",
               str(folder), "--quiet"]
    if args.quick:
        command += ["--days", "7", "--warmup-days", "1", "--budget", "60"]
    if args.calibrated_sets:
        command += ["--calibrated-sets", args.calibrated_sets]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    report = {"mode": "quick" if args.quick else "full",
              "when": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform(), "load_average_at_end": os.getloadavg()},
              "command": " ".join(command[1:]), "exit_code": code, "wall_seconds": seconds,
              "cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024.0}
    if code == 0:
        manifest = json.loads((folder / "manifest.json").read_text())["psa"]
        summary = pd.read_csv(folder / "psa_summary.csv")
        report.update(simulator_runs=manifest["simulator_runs"], draws=manifest["samples_drawn"],
                      cpu_seconds_per_run=report["cpu_seconds"] / max(1, manifest["simulator_runs"]),
                      summary=summary.to_dict("records"),
                      ranking=pd.read_csv(folder / "ranking.csv").head(12).to_dict("records"))
        print(f"psa: {seconds:.0f} s wall, peak memory {report['peak_rss_mb']:.0f} MB, "
              f"{manifest['simulator_runs']} runs")
        print(summary[["measure", "value", "ci_low", "ci_high"]].to_string(index=False))
    else:
        report["stderr"] = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        print(f"psa failed (exit {code}): {report['stderr']}")
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    tmp.replace(out)
    print(f"Written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
