"""Performance benchmark of the pathway model against a bare SimPy reference.

Run from the repository root::

    python benchmarks/bench_model.py            # full benchmark (~2-3 minutes)
    python benchmarks/bench_model.py --quick    # tiny sizes, a smoke test

It measures, in one run on one machine:

1. a bare SimPy M/M/3 queue at 80% load (customers per second, best of 3);
2. the full model on ``configs/current.yaml`` and ``configs/redesign.yaml``,
   one 365-day replication: patients per second, wall time and peak memory
   (each case in a fresh spawned process, so one case cannot inflate
   another's peak), for the bare model run, ``run_one`` and ``run_one`` with
   the event log written to parquet (what ``--events`` costs a user);
3. an overloaded scenario (front-door walk-in demand doubled, capacity
   unchanged): time per patient relative to the normal current scenario;
4. 20 replications serial against ``jobs=2``: the speed-up; and, as the
   machine's own ceiling, two independent serial loops side by side (best of
   three alternating rounds of each).

Each figure is printed with its target and PASS/FAIL, then everything is
written (atomically) to ``benchmarks/results.json`` or ``--out``. The script
reports; it exits 0 whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as `python benchmarks/bench_model.py` from anywhere
    sys.path.insert(0, str(REPO))

CONFIGS = {"current": REPO / "configs" / "current.yaml", "redesign": REPO / "configs" / "redesign.yaml"}

# Sizes: full run and --quick smoke test.
SIZES = {
    "full": {"mm3_customers": 200_000, "mm3_repeats": 3, "days": 365, "warmup_days": 7,
             "rep_days": 63, "rep_warmup_days": 7, "replications": 20, "rep_rounds": 3, "fresh_process_per_case": True},
    "quick": {"mm3_customers": 20_000, "mm3_repeats": 3, "days": 7, "warmup_days": 1,
              "rep_days": 7, "rep_warmup_days": 1, "replications": 2, "rep_rounds": 1, "fresh_process_per_case": False},
}
JOBS = 2
OVERLOAD_FACTOR = 2.0

# Targets: (key, label, comparison, limit)
TARGETS = {
    "model_vs_mm3": ("full-model patients/s / bare M/M/3 customers/s", ">=", 0.7),  # issue 19 (0.4 before)
    "run_one_seconds": ("one current replication, run_one wall time (s)", "<=", 10.0),
    "peak_rss_mb": ("one current replication, peak RSS (MB)", "<", 1024.0),
    "event_log_ratio": ("event log cost (with / without)", "<=", 1.5),
    "overload_ratio": ("overloaded time per patient / normal", "<=", 2.0),
    "parallel_speedup": (f"{JOBS}-process speed-up (serial / jobs={JOBS})", ">=", 1.8),
}


# ------------------------------------------------------------- memory --
def _proc_status_kb(field: str) -> float | None:
    """A ``kB`` field of /proc/self/status (Linux), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB.

    Prefers ``VmHWM`` (the high-water mark of this process's own address
    space, which starts afresh at exec) over ``ru_maxrss``, which on Linux
    also carries the parent's size at fork time across the exec of a
    spawned child.
    """
    hwm = _proc_status_kb("VmHWM")
    if hwm is not None:
        return hwm / 1024.0
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024.0 * 1024.0) if sys.platform == "darwin" else maxrss / 1024.0


def busy_cpu_seconds() -> float | None:
    """CPU seconds spent busy by the whole machine so far (Linux /proc/stat), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(x) for x in fields[1:]]
    busy = sum(ticks) - ticks[3] - (ticks[4] if len(ticks) > 4 else 0)  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def others_cpu_share(seconds: float = 1.0) -> float | None:
    """Share of all CPUs used by other processes over a short idle pause of ours."""
    before = busy_cpu_seconds()
    if before is None:
        return None
    time.sleep(seconds)
    return (busy_cpu_seconds() - before) / (seconds * (os.cpu_count() or 1))


def current_rss_mb() -> float:
    rss = _proc_status_kb("VmRSS")
    return rss / 1024.0 if rss is not None else peak_rss_mb()


# ----------------------------------------------------- M/M/3 reference --
def mm3_once(customers: int, seed: int, servers: int = 3, load: float = 0.8) -> dict:
    """A bare SimPy M/M/c queue: one process per customer, request/timeout/release.

    Interarrival and service times are drawn up front with numpy (as the
    model draws its patients up front), inside the timed region.
    """
    import numpy as np
    import simpy

    start, cpu_start = time.perf_counter(), time.process_time()
    rng = np.random.default_rng(seed)
    mean_interarrival = 1.0
    mean_service = load * servers * mean_interarrival
    inter = rng.exponential(mean_interarrival, customers).tolist()
    service = rng.exponential(mean_service, customers).tolist()
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=servers)
    done = [0]

    def customer(s):
        req = server.request()
        yield req
        yield env.timeout(s)
        server.release(req)
        done[0] += 1

    def source():
        for a, s in zip(inter, service):
            yield env.timeout(a)
            env.process(customer(s))

    env.process(source())
    env.run()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    assert done[0] == customers, (done[0], customers)
    return {"customers": customers, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "customers_per_s": customers / seconds, "sim_time": float(env.now)}


def bench_mm3(customers: int, repeats: int) -> dict:
    runs = [mm3_once(customers, seed=1000 + i) for i in range(repeats)]
    best = min(runs, key=lambda r: r["seconds"])
    return {
        "servers": 3,
        "load": 0.8,
        "customers": customers,
        "repeats": repeats,
        "seconds_all": [r["seconds"] for r in runs],
        "seconds_best": best["seconds"],
        "cpu_seconds_best": min(r["cpu_seconds"] for r in runs),
        "customers_per_s": best["customers_per_s"],
    }


# -------------------------------------------------- full-model cases --
def _make_config(name: str, days: int, warmup_days: int, walk_in_factor: float = 1.0):
    from sim.inputs.config import apply_overrides, load_config, validate_config

    cfg = apply_overrides(load_config(CONFIGS[name]), days=days, warmup_days=warmup_days, replications=1)
    if walk_in_factor != 1.0:
        data = cfg.model_dump()
        data["demand"]["walk_in"]["mean_per_day"] *= walk_in_factor
        cfg = validate_config(data, f"{name} x{walk_in_factor:g} walk-in")
    return cfg


def run_case(case: dict) -> dict:
    """One measurement in a fresh (spawned) process; returns its figures.

    ``case["mode"]`` is ``model`` (``run_replication`` only), ``run_one``
    (plus invariants and KPIs) or ``events`` (``run_one(events=True)`` and
    the frame written to parquet in a temporary folder).
    """
    import sim.experiments.runner as runner  # import cost outside the timed region
    from sim.model.pathway import run_replication
    from sim.experiments.runner import run_one

    # run_one returns KPIs only; note the patient count of the model it builds
    seen = {}
    inner = getattr(runner, "run_replication", None)
    if inner is not None:
        def counting(*a, **kw):
            model = inner(*a, **kw)
            seen["patients"] = int(model.patients.n)
            return model

        runner.run_replication = counting

    cfg = _make_config(case["config"], case["days"], case["warmup_days"], case.get("walk_in_factor", 1.0))
    if case["mode"] == "events":
        import pyarrow  # noqa: F401
    baseline = current_rss_mb()
    out = {**case, "baseline_rss_mb": baseline}
    cpu_start = time.process_time()
    start = time.perf_counter()
    if case["mode"] == "model":
        model = run_replication(cfg, 0)
        out["seconds"] = time.perf_counter() - start
        out["patients"] = int(model.patients.n)
    elif case["mode"] == "run_one":
        run_one(cfg, 0)
        out["seconds"] = time.perf_counter() - start
        out["patients"] = seen.get("patients")
    elif case["mode"] == "events":
        result = run_one(cfg, 0, events=True)
        out["run_one_seconds"] = time.perf_counter() - start
        with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
            path = Path(tmp) / "events.parquet"
            write_start = time.perf_counter()
            result.events.to_parquet(path, index=False)
            out["parquet_seconds"] = time.perf_counter() - write_start
            out["parquet_mb"] = path.stat().st_size / 1e6
        out["seconds"] = time.perf_counter() - start
        out["patients"] = seen.get("patients", int(len(result.events)))
    else:  # pragma: no cover
        raise ValueError(case["mode"])
    # CPU time of the whole case: less sensitive than wall time to other work on the machine
    out["cpu_seconds"] = time.process_time() - cpu_start
    out["peak_rss_mb"] = peak_rss_mb()
    if out["patients"]:
        out["patients_per_s"] = out["patients"] / out["seconds"]
    return out


def run_cases(cases: list[dict], fresh: bool) -> list[dict]:
    """Run the cases one after another in a spawned process.

    With ``fresh`` each case gets its own new process (``max_tasks_per_child=1``),
    so each peak RSS is that case's alone. Without it (``--quick``) one process
    runs them all, saving the interpreter start-up and imports per case; peak
    RSS is then cumulative.
    """
    ctx = get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx, max_tasks_per_child=1 if fresh else None) as pool:
        futures = [pool.submit(run_case, case) for case in cases]
        return [f.result() for f in futures]


# ------------------------------------------------------- replications --
def _same_kpis(a: dict, b: dict) -> bool:
    """Equal KPI mappings, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a
    )


def _rep_config(days: int, warmup_days: int, replications: int):
    from sim.inputs.config import apply_overrides, load_config

    return apply_overrides(load_config(CONFIGS["current"]), days=days, warmup_days=warmup_days,
                           replications=replications)


def _cpu() -> float:
    """CPU seconds of this process plus its finished (reaped) children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _serial_loop(barrier, queue, days: int, warmup_days: int, replications: int, reps: list[int]) -> None:
    """One of the independent serial loops of ``side_by_side`` (runs in a spawned process)."""
    from sim.experiments.runner import run_one

    cfg = _rep_config(days, warmup_days, replications)
    barrier.wait()  # start together, after the imports
    start, cpu0 = time.perf_counter(), time.process_time()
    for rep in reps:
        run_one(cfg, rep)
    queue.put({"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu0})


def side_by_side(days: int, warmup_days: int, replications: int, jobs: int) -> dict:
    """The machine's own ceiling: ``jobs`` independent processes, each running its
    share of the replications in a plain loop, started together.

    No pool, no results sent back: what this falls short of ``jobs``x the serial
    speed is what the machine itself gives two busy processes (shared caches,
    memory bandwidth, host scheduling), not anything in the runner.
    """
    ctx = get_context("spawn")
    barrier, queue = ctx.Barrier(jobs), ctx.Queue()
    procs = [ctx.Process(target=_serial_loop,
                         args=(barrier, queue, days, warmup_days, replications,
                               list(range(i, replications, jobs))))
             for i in range(jobs)]
    for proc in procs:
        proc.start()
    try:
        loops = [queue.get(timeout=600) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():  # pragma: no cover - only if a loop hangs
                proc.terminate()
    return {"seconds": max(r["seconds"] for r in loops), "cpu_seconds": sum(r["cpu_seconds"] for r in loops)}


def bench_replications(days: int, warmup_days: int, replications: int, jobs: int, rounds: int) -> dict:
    """Serial against ``jobs`` processes, and the machine's side-by-side ceiling.

    ``rounds`` rounds alternate serial, parallel and side-by-side runs; each
    figure is the best of its rounds, as for the M/M/3 reference (single
    timings of this size vary by 10-20% from minute to minute on a shared
    machine). The per-round ratios are kept too.
    """
    from sim.experiments.runner import run_replications

    cfg = _rep_config(days, warmup_days, replications)
    runs: dict[str, list[dict]] = {"serial": [], "parallel": [], "side_by_side": []}
    for _ in range(rounds):
        start, cpu0 = time.perf_counter(), _cpu()
        serial = run_replications(cfg, jobs=1, progress=False)
        runs["serial"].append({"seconds": time.perf_counter() - start, "cpu_seconds": _cpu() - cpu0})

        start, cpu0, busy0 = time.perf_counter(), _cpu(), busy_cpu_seconds()
        parallel = run_replications(cfg, jobs=jobs, progress=False)
        seconds, cpu_seconds = time.perf_counter() - start, _cpu() - cpu0
        busy1 = busy_cpu_seconds()
        runs["parallel"].append({
            "seconds": seconds, "cpu_seconds": cpu_seconds,
            # CPU seconds other processes used while the parallel run went on
            "others_cpu_seconds": None if busy0 is None else max(0.0, busy1 - busy0 - cpu_seconds),
        })

        runs["side_by_side"].append(side_by_side(days, warmup_days, replications, jobs))

    best = {kind: min(rs, key=lambda r: r["seconds"]) for kind, rs in runs.items()}
    identical = len(serial) == len(parallel) and all(
        _same_kpis(a.kpis, b.kpis) for a, b in zip(serial, parallel)
    )
    speedup = best["serial"]["seconds"] / best["parallel"]["seconds"]
    ceiling = best["serial"]["seconds"] / best["side_by_side"]["seconds"]
    return {
        "config": "current",
        "days": days,
        "replications": replications,
        "jobs": jobs,
        "rounds": rounds,
        "runs": runs,
        "serial_seconds": best["serial"]["seconds"],
        "parallel_seconds": best["parallel"]["seconds"],
        "side_by_side_seconds": best["side_by_side"]["seconds"],
        "speedup": speedup,
        "speedup_per_round": [s["seconds"] / p["seconds"] for s, p in zip(runs["serial"], runs["parallel"])],
        # what two independent plain loops get on this machine, and the share of it the runner achieves
        "machine_ceiling": ceiling,
        "efficiency_vs_ceiling": speedup / ceiling,
        "serial_cpu_seconds": best["serial"]["cpu_seconds"],
        "parallel_cpu_seconds": best["parallel"]["cpu_seconds"],
        "side_by_side_cpu_seconds": best["side_by_side"]["cpu_seconds"],
        # share of the CPUs a run got: near 1 on a quiet machine, low when
        # other work competes for the cores
        "serial_cpu_share": best["serial"]["cpu_seconds"] / best["serial"]["seconds"],
        "parallel_cpu_share": best["parallel"]["cpu_seconds"] / (best["parallel"]["seconds"] * jobs),
        "others_cpu_seconds_during_parallel": best["parallel"]["others_cpu_seconds"],
        "identical_results": identical,
    }


# ------------------------------------------------------------ machine --
def machine_info() -> dict:
    import numpy
    import pandas
    import simpy

    info = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "numpy": numpy.__version__,
        "simpy": simpy.__version__,
        "pandas": pandas.__version__,
        "env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")},
    }
    try:
        import pyarrow

        info["pyarrow"] = pyarrow.__version__
    except ImportError:
        info["pyarrow"] = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["git_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        info["git_commit"] = None
    return info


# ------------------------------------------------------------- output --
def check(key: str, value: float) -> dict:
    label, op, limit = TARGETS[key]
    ok = {">=": value >= limit, "<=": value <= limit, "<": value < limit}[op]
    return {"key": key, "label": label, "value": value, "op": op, "limit": limit, "pass": bool(ok)}


def write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def say(text: str = "") -> None:
    print(text, flush=True)


def model_only(args) -> int:
    """The model's speed against bare SimPy M/M/3: patients/s, CPU and wall time.

    On a shared host one timing of each can catch the reference in a quiet
    moment and the model in a busy one, so the two are taken in turn, round
    after round (``rep_rounds``: 3, or 1 with ``--quick``), and the best of each
    is compared.
    """
    size = SIZES["quick" if args.quick else "full"]
    days, warm, rounds = size["days"], size["warmup_days"], size["rep_rounds"]
    busy = others_cpu_share(0.5 if args.quick else 2.0)
    say(f"Model-only benchmark: {days}-day replications, best of {rounds} alternating rounds; other processes using "
        + ("?" if busy is None else f"{busy:.0%}") + " of the CPUs at start")
    names = ("current", "redesign")
    cases = [{"config": name, "mode": "model", "days": days, "warmup_days": warm} for name in names]
    mm3_runs, model_runs = [], {name: [] for name in names}
    for i in range(rounds):
        mm3_runs.append(mm3_once(size["mm3_customers"], seed=1000 + i))
        for r in run_cases(cases, size["fresh_process_per_case"]):
            model_runs[r["config"]].append(r)
        say(f"  round {i + 1}: M/M/3 {mm3_runs[-1]['seconds']:.2f}s (CPU {mm3_runs[-1]['cpu_seconds']:.2f}s), "
            + ", ".join(f"{name} {runs[-1]['seconds']:.2f}s (CPU {runs[-1]['cpu_seconds']:.2f}s)"
                        for name, runs in model_runs.items()))
    customers = size["mm3_customers"]
    mm3 = {"servers": 3, "load": 0.8, "customers": customers, "repeats": rounds,
           "seconds_all": [r["seconds"] for r in mm3_runs], "cpu_seconds_all": [r["cpu_seconds"] for r in mm3_runs],
           "seconds_best": min(r["seconds"] for r in mm3_runs),
           "cpu_seconds_best": min(r["cpu_seconds"] for r in mm3_runs)}
    mm3["customers_per_s"] = customers / mm3["seconds_best"]
    mm3_cpu = customers / mm3["cpu_seconds_best"]
    say(f"  bare M/M/3: {mm3['customers_per_s']:,.0f} customers/s wall, {mm3_cpu:,.0f} CPU (best of {rounds})")
    out = {"mode": "model-only " + ("quick" if args.quick else "full"),
           "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
           "machine": {**machine_info(), "others_cpu_share_start": busy}, "mm3": mm3, "model": {}}
    for name, runs in model_runs.items():
        best = min(runs, key=lambda r: r["seconds"])
        cpu_best = min(r["cpu_seconds"] for r in runs)
        ratio = best["patients_per_s"] / mm3["customers_per_s"]
        cpu_ratio = (best["patients"] / cpu_best) / mm3_cpu
        say(f"  {name:<9} {best['patients']:>9,} patients  wall {best['seconds']:6.2f}s  CPU {cpu_best:6.2f}s"
            f"  {best['patients_per_s']:>8,.0f} patients/s  model/M-M-3 {ratio:.2f} (wall), {cpu_ratio:.2f} (CPU)")
        out["model"][name] = {**best, "cpu_seconds": cpu_best, "seconds_all": [r["seconds"] for r in runs],
                              "cpu_seconds_all": [r["cpu_seconds"] for r in runs],
                              "model_vs_mm3": ratio, "model_vs_mm3_cpu": cpu_ratio}
    target = check("model_vs_mm3", out["model"]["current"]["model_vs_mm3"])
    out["targets"] = [target]
    say(f"  current model/M-M-3 (wall) {target['value']:.2f}, target {target['op']} {target['limit']:g}: "
        + ("not judged (quick mode)" if args.quick else "PASS" if target["pass"] else "FAIL"))
    if args.out != REPO / "benchmarks" / "results.json":
        write_json_atomic(args.out, out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test, a few seconds)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.json",
                        help="where to write the JSON results (default benchmarks/results.json)")
    parser.add_argument("--model-only", action="store_true",
                        help="only [1] and the bare model runs of [2] (the model's speed against bare SimPy, "
                             "CPU and wall time, for before/after comparisons of a change to the model); "
                             "writes nothing unless --out is given")
    args = parser.parse_args(argv)
    if args.model_only:
        return model_only(args)
    mode = "quick" if args.quick else "full"
    size = SIZES[mode]
    days, warm = size["days"], size["warmup_days"]
    t0 = time.perf_counter()

    machine = machine_info()
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    machine["loadavg_start"] = load_start
    busy_start = others_cpu_share(0.5 if args.quick else 2.0)
    machine["others_cpu_share_start"] = busy_start
    say(f"Benchmark ({mode}) on {machine['cpu_model'] or 'unknown CPU'}, {machine['cpus_usable']} CPUs, "
        f"Python {machine['python']}, numpy {machine['numpy']}, simpy {machine['simpy']}, "
        f"pandas {machine['pandas']}, pyarrow {machine['pyarrow']}")
    if machine["env"]:
        say("  env: " + ", ".join(f"{k}={v}" for k, v in sorted(machine["env"].items())))
    if busy_start is not None and busy_start > 0.1:
        say(f"  WARNING: other processes are using {busy_start:.0%} of the CPUs: timings "
            "(above all the parallel speed-up) will be pessimistic")

    # 1. reference
    say(f"\n[1] bare SimPy M/M/3 at 80% load, {size['mm3_customers']:,} customers, best of {size['mm3_repeats']}")
    mm3 = bench_mm3(size["mm3_customers"], size["mm3_repeats"])
    say(f"    runs {', '.join(f'{s:.2f}s' for s in mm3['seconds_all'])} -> "
        f"{mm3['customers_per_s']:,.0f} customers/s")

    # 2 + 3. full model, one replication per case, each in a fresh process
    cases = []
    for name in ("current", "redesign"):
        for case_mode in ("model", "run_one", "events"):
            cases.append({"config": name, "mode": case_mode, "days": days, "warmup_days": warm})
    cases.append({"config": "current", "mode": "model", "days": days, "warmup_days": warm,
                  "walk_in_factor": OVERLOAD_FACTOR, "label": "overloaded"})
    fresh = size["fresh_process_per_case"]
    say(f"\n[2] full model, one {days}-day replication per case, "
        + ("each case in a fresh spawned process" if fresh else "all cases in one spawned process (RSS cumulative)"))
    results = run_cases(cases, fresh)
    by = {}
    for r in results:
        key = "overloaded" if r.get("label") == "overloaded" else f"{r['config']}/{r['mode']}"
        by[key] = r
    for r in results:  # same config and seed -> same patients as the bare model run
        if not r.get("patients"):
            r["patients"] = by[f"{r['config']}/model"]["patients"]
            r["patients_per_s"] = r["patients"] / r["seconds"]
    for key, r in by.items():
        extra = ""
        if r["mode"] == "events":
            extra = (f"  (run_one {r['run_one_seconds']:.2f}s + parquet {r['parquet_seconds']:.2f}s, "
                     f"{r['parquet_mb']:.1f} MB)")
        say(f"    {key:<18} {r['patients']:>9,} patients {r['seconds']:6.2f}s (CPU {r['cpu_seconds']:5.2f}s) "
            f"{r['patients_per_s']:>9,.0f} patients/s  peak RSS {r['peak_rss_mb']:6.0f} MB "
            f"(after imports {r['baseline_rss_mb']:.0f} MB){extra}")

    full_model = {}
    event_log = {}
    for name in ("current", "redesign"):
        m, o, e = by[f"{name}/model"], by[f"{name}/run_one"], by[f"{name}/events"]
        full_model[name] = {"model": m, "run_one": o, "events": e,
                            "model_vs_mm3": m["patients_per_s"] / mm3["customers_per_s"],
                            "run_one_vs_mm3": o["patients_per_s"] / mm3["customers_per_s"]}
        event_log[name] = {
            "without_seconds": o["seconds"],
            "with_seconds": e["seconds"],
            "ratio": e["seconds"] / o["seconds"],
            "cpu_ratio": e["cpu_seconds"] / o["cpu_seconds"],
            "peak_rss_ratio": e["peak_rss_mb"] / o["peak_rss_mb"],
            "parquet_mb": e["parquet_mb"],
        }
        say(f"    {name}: model/M-M-3 = {full_model[name]['model_vs_mm3']:.2f}, "
            f"run_one/M-M-3 = {full_model[name]['run_one_vs_mm3']:.2f}, "
            f"event log with/without = {event_log[name]['ratio']:.2f}x")

    normal, over = by["current/model"], by["overloaded"]
    overloaded = {
        "config": "current",
        "walk_in_factor": OVERLOAD_FACTOR,
        "normal": normal,
        "overloaded": over,
        "normal_us_per_patient": 1e6 * normal["seconds"] / normal["patients"],
        "overloaded_us_per_patient": 1e6 * over["seconds"] / over["patients"],
    }
    overloaded["ratio"] = overloaded["overloaded_us_per_patient"] / overloaded["normal_us_per_patient"]
    overloaded["cpu_ratio"] = (over["cpu_seconds"] / over["patients"]) / (normal["cpu_seconds"] / normal["patients"])
    say(f"\n[3] overloaded (walk-in x{OVERLOAD_FACTOR:g}, capacity unchanged): "
        f"{overloaded['overloaded_us_per_patient']:.1f} us/patient vs "
        f"{overloaded['normal_us_per_patient']:.1f} normal -> {overloaded['ratio']:.2f}x "
        f"(CPU time: {overloaded['cpu_ratio']:.2f}x)")

    # 4. replications
    say(f"\n[4] {size['replications']} replications of {size['rep_days']} days: serial, jobs={JOBS}, and "
        f"{JOBS} independent serial loops side by side; best of {size['rep_rounds']} alternating rounds")
    reps = bench_replications(size["rep_days"], size["rep_warmup_days"], size["replications"], JOBS,
                              size["rep_rounds"])
    say(f"    serial {reps['serial_seconds']:.2f}s, jobs={JOBS} {reps['parallel_seconds']:.2f}s -> "
        f"speed-up {reps['speedup']:.2f}x (per round: "
        + ", ".join(f"{r:.2f}x" for r in reps["speedup_per_round"])
        + f"; identical results: {reps['identical_results']})")
    say(f"    side by side {reps['side_by_side_seconds']:.2f}s -> this machine's {JOBS}-process ceiling "
        f"{reps['machine_ceiling']:.2f}x; the runner gets {reps['efficiency_vs_ceiling']:.0%} of it")
    say(f"    CPU seconds: serial {reps['serial_cpu_seconds']:.2f}, jobs={JOBS} {reps['parallel_cpu_seconds']:.2f}, "
        f"side by side {reps['side_by_side_cpu_seconds']:.2f}; "
        f"CPU share obtained by jobs={JOBS}: {reps['parallel_cpu_share']:.0%} of {JOBS} CPUs"
        + ("" if reps["others_cpu_seconds_during_parallel"] is None else
           f"; other processes used {reps['others_cpu_seconds_during_parallel']:.1f} CPU-s meanwhile"))

    cur = full_model["current"]
    targets = [
        check("model_vs_mm3", cur["model_vs_mm3"]),
        check("run_one_seconds", cur["run_one"]["seconds"]),
        check("peak_rss_mb", max(cur["model"]["peak_rss_mb"], cur["run_one"]["peak_rss_mb"])),
        check("event_log_ratio", event_log["current"]["ratio"]),
        check("overload_ratio", overloaded["ratio"]),
        check("parallel_speedup", reps["speedup"]),
    ]
    if mode == "quick":
        for t in targets:
            t["note"] = "quick mode: sizes too small for the targets to mean anything"

    total = time.perf_counter() - t0
    machine["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    say(f"\nSummary ({mode}; current config unless stated; {total:.0f}s in all)")
    say(f"  {'figure':<50} {'value':>10}   {'target':>10}  result")
    say("  " + "-" * 82)
    for t in targets:
        say(f"  {t['label']:<50} {t['value']:>10.2f}   {t['op'] + ' ' + format(t['limit'], 'g'):>10}  "
            f"{'PASS' if t['pass'] else 'FAIL'}")
    say("  " + "-" * 82)
    say(f"  {'bare M/M/3 customers/s':<50} {mm3['customers_per_s']:>10,.0f}")
    for name in ("current", "redesign"):
        f = full_model[name]
        say(f"  {name + ' model patients/s (run_one patients/s)':<50} {f['model']['patients_per_s']:>10,.0f}"
            f"   ({f['run_one']['patients_per_s']:,.0f})")
        say(f"  {name + ' run_one s / peak RSS MB (with events)':<50} {f['run_one']['seconds']:>10.2f}"
            f"   {f['run_one']['peak_rss_mb']:.0f} MB ({f['events']['seconds']:.2f}s, "
            f"{f['events']['peak_rss_mb']:.0f} MB)")
    say(f"  {'redesign event log cost (with / without)':<50} {event_log['redesign']['ratio']:>10.2f}")
    say(f"  {f'machine {JOBS}-process ceiling (independent loops)':<50} {reps['machine_ceiling']:>10.2f}"
        f"   runner gets {reps['efficiency_vs_ceiling']:.0%} of it")
    passed = sum(t["pass"] for t in targets)
    if busy_start is not None:
        say(f"  CPUs busy with other work at start: {busy_start:.0%}; "
            f"CPU share the {JOBS}-process run obtained: {reps['parallel_cpu_share']:.0%}")
    say(f"  {passed}/{len(targets)} targets met" + (" (quick mode: not meaningful)" if mode == "quick" else ""))

    data = {
        "schema": 1,
        "mode": mode,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "total_seconds": total,
        "machine": machine,
        "sizes": size,
        "mm3": mm3,
        "full_model": full_model,
        "event_log": event_log,
        "overloaded": overloaded,
        "replications": reps,
        "targets": targets,
        "targets_passed": passed,
        "targets_total": len(targets),
    }
    write_json_atomic(args.out, data)
    say(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
