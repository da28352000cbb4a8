"""Benchmark of the capacity planner: a known answer found for a quarter of the exhaustive budget, and its cost.

Run from the repository root::

    python benchmarks/bench_planner.py            # full benchmark (~6 minutes on 2 free cores)
    python benchmarks/bench_planner.py --quick    # tiny sizes, a smoke test (writes nothing)

It measures, in one run on one machine:

1. **Known answer.** The toy plan ``configs/plans/toy.yaml`` (3 variables x 4 levels = 64 plans
   on a toy pathway: a quarter of the demand, 8 days) is simulated exhaustively, every plan on
   the same 30 replications; the reference answer is the cheapest plan whose means meet every
   target. The planner then runs with 10 search seeds, each with a budget of a quarter of the
   exhaustive one (64 x 30 / 4 = 480 replications). Targets: the planner returns the reference's
   plan in at least 9 of 10 seeds; no run spends more than the quarter.
2. **The shipped example.** ``run_sim.py plan configs/plans/gpcg_sda_next_year.yaml`` with a
   small budget (``--budget``, default 200 replications of 35 days), on ``--jobs 2`` and on a
   Dask local cluster of 2 workers: wall time and the peak memory of the largest process.

Everything is printed and written to ``benchmarks/results_planner.json`` (or ``--out``). The
script reports; it exits 0 whether or not the targets are met.
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SIZES = {
    "full": {"reference_reps": 30, "seeds": 10, "example_budget": 200, "example_days": None, "dask": True},
    "quick": {"reference_reps": 25, "seeds": 2, "example_budget": 30, "example_days": 10, "dask": False},
}


def known_answer(reference_reps: int, seeds: int, quick: bool) -> dict:
    """The planner against the exhaustive reference on the toy plan."""
    from sim.experiments.executors import ProcessExecutor
    from sim.experiments.planner import exhaustive, resolve, run_plan
    from sim.inputs.plan import load_plan

    plan, folder = load_plan(REPO / "configs" / "plans" / "toy.yaml")
    if quick:  # 16 plans
        variables = dict(plan.variables)
        variables["utc_daytime_clinicians"] = variables["utc_daytime_clinicians"].model_copy(update={"upper": 1})
        plan = plan.model_copy(update={"variables": variables,
                                       "search": plan.search.model_copy(update={"trials": 12}),
                                       "selection": plan.selection.model_copy(update={"candidates": 3})})
    scenario, baseline, case = resolve(plan, folder)
    start = time.perf_counter()
    with ProcessExecutor(2) as executor:
        table, best = exhaustive(plan, scenario, baseline, case, reference_reps, executor)
        reference_seconds = time.perf_counter() - start
        exhaustive_budget = len(table) * reference_reps
        quarter = exhaustive_budget // 4
        runs = []
        for seed in range(1, seeds + 1):
            seeded = plan.model_copy(update={"search": plan.search.model_copy(update={"seed": seed})})
            t0 = time.perf_counter()
            result = run_plan(seeded, scenario, baseline, case, budget=quarter, executor=executor, progress=False)
            runs.append({"seed": seed, "chosen": result.selection.chosen, "correct": result.selection.chosen == best,
                         "guaranteed": result.selection.guaranteed, "replications": result.evaluator.spent,
                         "plans_tried": len(result.evaluator.plans), "seconds": round(time.perf_counter() - t0, 2)})
            print(f"  seed {seed}: {'right' if runs[-1]['correct'] else 'WRONG'} plan, "
                  f"{runs[-1]['replications']} replications, {runs[-1]['plans_tried']} plans tried")
    best_row = table[table["plan"] == best].iloc[0].to_dict() if best is not None else None
    correct = sum(r["correct"] for r in runs)
    return {
        "plans": len(table), "reference_replications_per_plan": reference_reps,
        "exhaustive_budget": exhaustive_budget, "planner_budget": quarter,
        "reference_best": best_row, "reference_seconds": round(reference_seconds, 1),
        "runs": runs, "correct": correct, "seeds": seeds,
        "max_replications": max(r["replications"] for r in runs),
        "mean_replications": sum(r["replications"] for r in runs) / len(runs),
        "target_correct": f">= {int(0.9 * seeds)} of {seeds}", "met_correct": correct >= 0.9 * seeds,
        "target_budget": f"<= {quarter} (a quarter of {exhaustive_budget})",
        "met_budget": max(r["replications"] for r in runs) <= quarter,
    }


def example_run(budget: int, days: int | None, scheduler: str | None) -> dict:
    """Wall time and peak memory of the shipped example through the command line, in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan"
        command = [sys.executable, str(REPO / "run_sim.py"), "plan", str(REPO / "configs/plans/gpcg_sda_next_year.yaml"),
                   "--budget", str(budget), "--out", str(out), "--quiet"]
        command += ["--scheduler", scheduler] if scheduler else ["--jobs", "2"]
        if days:
            command += ["--days", str(days)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, check=False, cwd=REPO, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        manifest = json.loads((out / "manifest.json").read_text()) if done.returncode == 0 else {}
    plan = manifest.get("plan", {})
    return {"how": f"Dask local cluster ({scheduler})" if scheduler else "--jobs 2", "budget": budget,
            "days": days or 35, "exit_code": done.returncode, "wall_seconds": round(wall, 1),
            "cpu_seconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
            "peak_rss_mb_largest_process": round(after.ru_maxrss / 1024.0, 1),
            "replications": plan.get("budget_used"), "plans_tried": plan.get("plans_tried"),
            "chosen": plan.get("chosen"), "guaranteed": plan.get("guaranteed"),
            "error": done.stderr.strip().splitlines()[-1] if done.returncode else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test; writes nothing)")
    parser.add_argument("--out", default=None, help="results file (default: benchmarks/results_planner.json)")
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    print("1. Known answer: the toy plan, exhaustive reference against the planner on a quarter of its budget")
    answer = known_answer(size["reference_reps"], size["seeds"], args.quick)
    print(f"   right plan in {answer['correct']} of {answer['seeds']} seeds (target {answer['target_correct']}); "
          f"at most {answer['max_replications']} replications (target {answer['target_budget']})")
    print("2. The shipped example (configs/plans/gpcg_sda_next_year.yaml)")
    runs = [example_run(size["example_budget"], size["example_days"], None)]
    if size["dask"]:
        runs.append(example_run(size["example_budget"], size["example_days"], "local"))
    for r in runs:
        print(f"   {r['how']}: {r['wall_seconds']} s wall, {r['peak_rss_mb_largest_process']} MB peak (largest "
              f"process), {r['replications']} replications, exit {r['exit_code']}")
    report = {
        "when": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "load_average_at_end": os.getloadavg()},
        "known_answer": answer, "shipped_example": runs,
        "note": ("The shipped example runs with a small budget (see 'budget'), not the plan file's 600, to keep "
                 "the benchmark short; its time grows in proportion to the replications. The machine was shared "
                 "with other work, so times are upper bounds."),
    }
    if args.quick:
        print("(quick: nothing written)")
        return 0
    path = Path(args.out) if args.out else REPO / "benchmarks" / "results_planner.json"
    path.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
