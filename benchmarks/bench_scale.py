"""Benchmark of sweeps at scale: a Dask local cluster against --jobs 2, and memory per worker.

Run from the repository root::

    python benchmarks/bench_scale.py            # full benchmark (~2 minutes on 2 free cores)
    python benchmarks/bench_scale.py --quick    # tiny sizes, a smoke test

It measures, in one run on one machine:

1. the same sweep (``configs/sweeps/ia_redirection.yaml``, shortened) run
   through a pool of 2 local processes (``--jobs 2``) and through a Dask
   local cluster of 2 single-threaded worker processes (``--scheduler
   local``): replications per second of each, wall and CPU time, with and
   without the cluster's start-up, and the ratio of their throughputs
   (target: Dask at least 0.9x of ``--jobs 2``). The two run alternately,
   three rounds each, and the median ratio is the figure, so a busy spell
   on a shared machine does not decide it alone. CPU time counts this
   process and its workers (Dask's local workers are its children, counted
   once they end); the rows the two give must be identical;
2. peak memory of a worker (a fresh spawned process running replications one
   after another, as a pool or Dask worker does) after 1 and after 20
   replications of 63 days (target: within 1.2x), and the same 20 with the
   model's ``release()`` and the collection after each replication turned
   off, to show what they save.

Each figure is printed with its target, then everything is written to
``benchmarks/results_scale.json`` (or ``--out``). The script reports; it
exits 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
import time
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.bench_model import peak_rss_mb  # noqa: E402  (same measure as the model benchmark)

SIZES = {
    "full": {"sweep_reps": 6, "sweep_days": 28, "rounds": 3, "mem_days": 63, "mem_reps": 20},
    "quick": {"sweep_reps": 2, "sweep_days": 3, "rounds": 1, "mem_days": 5, "mem_reps": 3},
}
TARGETS = {
    "dask_vs_jobs2": ("Dask local cluster throughput / --jobs 2 (start-up excluded)", ">=", 0.9),
    "memory_ratio": ("worker peak RSS after 20 replications / after 1", "<=", 1.2),
}


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (user + system)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _sweep(size: dict):
    from sim.experiments.sweep import build_points, load_sweep

    path = REPO / "configs" / "sweeps" / "ia_redirection.yaml"
    spec = load_sweep(path)
    return spec, build_points(spec, path, replications=size["sweep_reps"], days=size["sweep_days"], warmup_days=1)


def time_sweep(kind: str, size: dict) -> dict:
    """Run the sweep on one executor; wall and CPU time, start-up apart."""
    from sim.experiments.executors import DaskExecutor, ProcessExecutor
    from sim.experiments.sweep import replications_table, run_sweep

    spec, points = _sweep(size)
    cpu0, wall0 = _cpu_seconds(), time.perf_counter()
    executor = ProcessExecutor(2) if kind == "jobs2" else DaskExecutor("local", workers=2)
    started = time.perf_counter()
    try:
        result = run_sweep(spec, points, progress=False, executor=executor)
        finished = time.perf_counter()
    finally:
        executor.close()  # the workers (children of this process) have ended: their CPU time is counted
    wall = time.perf_counter() - wall0
    reps = sum(len(t) for t in result.tables.values())
    cpu = _cpu_seconds() - cpu0
    return {"replications": reps, "startup_s": round(started - wall0, 2), "run_s": round(finished - started, 2),
            "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "reps_per_s": reps / (finished - started), "rows": replications_table(spec, points, result)}


def _worker_peak(days: int, reps: int, release: bool) -> float:
    """In a fresh process: run ``reps`` replications one after another, return the peak RSS (MB)."""
    from sim.experiments.runner import run_one
    from sim.inputs.config import apply_overrides, load_config
    from sim.model.pathway import PathwayModel

    if not release:
        import types

        from sim.experiments import runner

        PathwayModel.release = lambda self: None
        runner.gc = types.SimpleNamespace(collect=lambda: 0)
    cfg = apply_overrides(load_config(REPO / "configs" / "current.yaml"), days=days, warmup_days=7 if days > 14 else 1)
    for rep in range(reps):
        run_one(cfg, rep)
    return peak_rss_mb()


def worker_peak(days: int, reps: int, release: bool = True) -> float:
    with get_context("spawn").Pool(1) as pool:
        return pool.apply(_worker_peak, (days, reps, release))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--out", default=None,
                        help="JSON report (default: benchmarks/results_scale.json, the README's record; "
                             "with --quick benchmarks/results_scale_quick.json, not kept in git)")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = str(REPO / "benchmarks" / ("results_scale_quick.json" if args.quick else "results_scale.json"))
    size = SIZES["quick" if args.quick else "full"]
    report: dict = {"mode": "quick" if args.quick else "full",
                    "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                    "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                "platform": platform.platform()}, "sizes": size}

    print(f"Sweep ia_redirection, 4 points + baseline x {size['sweep_reps']} replications x "
          f"{size['sweep_days']} days")
    rounds = []
    for _ in range(size["rounds"]):  # alternate the two, so a busy spell on the machine hits both
        rounds.append({kind: time_sweep(kind, size) for kind in ("jobs2", "dask")})
    identical = all(r["jobs2"]["rows"].equals(r["dask"]["rows"]) for r in rounds)
    ratios = []
    for k, runs in enumerate(rounds, 1):
        for kind, r in runs.items():
            r.pop("rows")
            print(f"  round {k} {kind:<6} start-up {r['startup_s']:6.2f} s, run {r['run_s']:6.2f} s "
                  f"({r['reps_per_s']:.2f} rep/s), wall {r['wall_s']:6.2f} s, CPU {r['cpu_s']:6.2f} s")
        ratios.append((runs["dask"]["reps_per_s"] / runs["jobs2"]["reps_per_s"],
                       runs["jobs2"]["wall_s"] / runs["dask"]["wall_s"]))
    ratio = statistics.median(r[0] for r in ratios)
    with_startup = statistics.median(r[1] for r in ratios)
    print(f"  identical rows: {identical}; Dask / --jobs 2 throughput, median of {len(rounds)} rounds: {ratio:.2f} "
          f"(rounds: {', '.join(f'{r[0]:.2f}' for r in ratios)}; {with_startup:.2f} counting start-up)")
    report["sweep"] = {"rounds": rounds, "identical_rows": identical, "dask_vs_jobs2": ratio,
                       "dask_vs_jobs2_with_startup": with_startup}

    print(f"Worker memory, replications of {size['mem_days']} days one after another")
    one = worker_peak(size["mem_days"], 1)
    many = worker_peak(size["mem_days"], size["mem_reps"])
    unreleased = worker_peak(size["mem_days"], size["mem_reps"], release=False)
    print(f"  peak RSS after 1: {one:.0f} MB; after {size['mem_reps']}: {many:.0f} MB "
          f"({many / one:.2f}x); without release() and collection: {unreleased:.0f} MB ({unreleased / one:.2f}x)")
    report["memory"] = {"peak_rss_mb_1": one, f"peak_rss_mb_{size['mem_reps']}": many,
                        f"peak_rss_mb_{size['mem_reps']}_without_release_or_collection": unreleased, "memory_ratio": many / one}

    print("Summary")
    values = {"dask_vs_jobs2": ratio, "memory_ratio": many / one}
    report["targets"] = {}
    for key, (label, op, limit) in TARGETS.items():
        ok = values[key] >= limit if op == ">=" else values[key] <= limit
        if args.quick:  # a smoke test's sizes are too small to judge a target by
            ok = None
        report["targets"][key] = {"label": label, "value": values[key], "target": f"{op} {limit}", "met": ok}
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[ok]
        print(f"  {verdict}  {label}: {values[key]:.2f} (target {op} {limit})"
              + ("; not judged: --quick is a smoke test" if ok is None else ""))
    out = Path(args.out)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
    os.replace(tmp, out)
    print(f"Written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
