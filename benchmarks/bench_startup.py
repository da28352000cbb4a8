"""Benchmark of the command line's start-up: ``--version``, ``--help`` and the time before a run's first replication.

Run from the repository root::

    python benchmarks/bench_startup.py            # 15 rounds (~30 s)
    python benchmarks/bench_startup.py --quick    # 3 rounds, a smoke test

Each case runs in a fresh process, in turn with the others, round after round; the figure is the
median over the rounds. Beside each wall time it prints the CPU time the process used (user +
system, read from the kernel when the process ends), and the ratio of the wall time to a
reference measured in the same rounds: ``python -c pass``, the interpreter's own start-up. On a
shared machine the wall time moves with the other processes' load; the CPU time and the ratio
move much less. The cases:

- ``run_sim.py --version`` and ``run_sim.py --help`` (target: under 0.3 s each);
- ``run``: ``run_sim.py run configs/current.yaml`` up to the moment its first replication starts
  (the replication is replaced by a probe that ends the process): imports, config, checks and
  the output folder (target: under 0.5 s).

Python's compiled bytecode is kept, as it is for an installed copy after its first start: the
processes write it to a private folder (``PYTHONPYCACHEPREFIX``, removed at the end, so the
source tree gains no ``__pycache__``) and a first, untimed round fills it. Without it (a
``PYTHONDONTWRITEBYTECODE`` environment, or ``--no-bytecode-cache``) every start compiles the
package's sources again, about 0.1-0.2 s more for a run: the ``run, no bytecode`` case measures it
beside the others.

It also lists the heavy libraries loaded by then (none is expected: pandas, scipy, matplotlib, tqdm,
Streamlit, Dask, SALib and the business case are imported where they are used). Results go to
``benchmarks/results_startup.json`` (or ``--out``). The script reports; it exits 0 whether or
not the targets are met.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "scipy", "matplotlib", "streamlit", "altair", "dask", "distributed", "SALib",
         "openpyxl", "pyarrow", "sim.experiments.business_case", "sim.analysis.business_case", "tqdm")
"""Libraries (and modules of this package) that must not load before a run's first replication."""

PROBE = """
import sys
import sim.experiments.runner as runner

def first_replication(cfg, replication):
    heavy = sorted(m for m in {heavy!r} if m in sys.modules)
    print("HEAVY=" + ",".join(heavy), flush=True)
    import os
    os._exit(0)

runner.run_replication = first_replication
sys.argv = ["run_sim.py", "run", "configs/current.yaml", "--reps", "1", "--days", "2", "--warmup-days", "0",
            "--quiet", "--no-resume", "--out", {out!r}]
from sim.cli import script
script()
"""

COMPILING = "run, no bytecode"
"""The ``run`` case with every source compiled at start, as with ``PYTHONDONTWRITEBYTECODE``."""
TARGETS = {"--version": 0.3, "--help": 0.3, "run": 0.5, COMPILING: 0.5}


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall time, CPU time (user + system) and stdout of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 15")
    parser.add_argument("--rounds", type=int, default=None, help="rounds (default: 15, or 3 with --quick)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results_startup.json"),
                        help="where to write the results (default: benchmarks/results_startup.json)")
    parser.add_argument("--no-bytecode-cache", action="store_true",
                        help="compile the sources at every start, as with PYTHONDONTWRITEBYTECODE (default: "
                             "bytecode kept in a private folder, filled by an untimed first round)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 15)
    load_before = os.getloadavg()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        compiling = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
        compiling.pop("PYTHONPYCACHEPREFIX", None)
        env = dict(compiling)
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE")
            env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        probe = [py, "-c", PROBE.format(heavy=HEAVY, out=str(Path(tmp) / "out"))]
        cases = {
            "python -c pass": [py, "-c", "pass"],
            "--version": [py, "run_sim.py", "--version"],
            "--help": [py, "run_sim.py", "--help"],
            "run": probe,
        }
        if not args.no_bytecode_cache:
            cases[COMPILING] = probe  # the first start of a fresh copy, for comparison
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        heavy_loaded = ""
        if not args.no_bytecode_cache:
            for command in cases.values():  # untimed: writes the bytecode the timed rounds read
                _timed(command, env)
        for _ in range(rounds):
            for name, command in cases.items():
                wall, cpu, out = _timed(command, compiling if name == COMPILING else env)
                times[name].append((wall, cpu))
                if name == "run":
                    heavy_loaded = next((line[6:] for line in out.splitlines() if line.startswith("HEAVY=")), "?")
    reference = statistics.median(w for w, _ in times["python -c pass"])
    rows = {}
    print(f"Start-up, median of {rounds} rounds (reference: python -c pass, {reference:.3f} s wall)")
    print(f"  {'case':<17} {'wall s':>8} {'CPU s':>8} {'x ref':>7} {'target':>8}")
    for name, samples in times.items():
        wall = statistics.median(w for w, _ in samples)
        cpu = statistics.median(c for _, c in samples)
        target = TARGETS.get(name)
        verdict = "" if target is None else ("  met" if wall < target else "  NOT met")
        print(f"  {name:<17} {wall:8.3f} {cpu:8.3f} {wall / reference:7.1f} "
              f"{'' if target is None else f'< {target:g} s':>8}{verdict}")
        rows[name] = {"wall_s": round(wall, 4), "cpu_s": round(cpu, 4), "ratio_to_reference": round(wall / reference, 2),
                      "target_s": target, "met": None if target is None else wall < target,
                      "wall_all_s": [round(w, 4) for w, _ in samples]}
    print(f"Bytecode: {'compiled at every start' if args.no_bytecode_cache else 'kept between starts'}")
    print(f"Heavy libraries loaded before the first replication: {heavy_loaded or 'none'}")
    print(f"Load average before and after: {load_before[0]:.1f}, {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(wall times grow with it; CPU times much less)")
    result = {
        "when": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "processor": platform.processor(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "rounds": rounds, "bytecode_cache": not args.no_bytecode_cache,
        "cases": rows, "heavy_before_first_replication": heavy_loaded.split(",") if heavy_loaded else [],
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
