"""Benchmark of ``calibrate``: known inputs recovered over ten seeds, and its run time and memory on the defaults.

Run from the repository root::

    python benchmarks/bench_calibrate.py             # full (~15 minutes at one core on a quiet machine)
    python benchmarks/bench_calibrate.py --quick     # two seeds, one input, a week a run (a smoke test)

1. **Synthetic truth.** For each of ten seeds, known values of the four inputs
   the issue names (today's redirection propensity r, the IA/UTC split s, the
   UTC rota scale, the weekday 111 practice slots) are drawn from the middle
   60% of their ranges; the model at those values, on seeds of its own, makes
   the targets (each the model's mean over 20 replications, its range the
   published range's width around it); ``history_match`` then calibrates the
   four inputs to those targets on the calibration's own seeds. The check: the
   known values lie inside the accepted set, in at least 9 of the 10 seeds:
   no wave rules them out, and run as each member of the final check is run
   (same seeds, same replications) they meet every range as the final check
   judges it (each mean within its range, allowing two standard errors). Whether they also lie
   within the span of the few sets the final check simulated is reported too.
2. **Calibrate on the defaults.** ``run_sim.py calibrate configs/calibration.yaml
   --jobs 1`` as a command: wall time and the peak memory of its process
   (``os.wait4``), with the plausible set's size and summary.

Everything is written to ``benchmarks/results_calibrate.json`` (or ``--out``). The
script reports; it exits 0 whether or not the check passes.
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

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np
import pandas as pd

from sim.experiments.calibration import (
    CalibrationInput,
    FinalSettings,
    WaveSettings,
    history_match,
    inside_set,
    meets_every_range,
    model_simulator,
    synthetic_targets,
)
from sim.inputs.config import apply_overrides, load_config
from sim.inputs.targets import load_targets

TRUTH_SEED_OFFSET = 7919
SIZES = {
    "full": {"seeds": 10, "days": 14, "warmup": 2, "points": 12, "reps": 2, "waves": 2, "final": 30,
             "final_reps": 6, "budget": 228, "truth_reps": 10, "defaults": True},
    "quick": {"seeds": 2, "days": 7, "warmup": 1, "points": 8, "reps": 2, "waves": 2, "final": 10,
              "final_reps": 2, "budget": 60, "truth_reps": 4, "defaults": False},
}
FOUR = [
    CalibrationInput("calibration.current_redirection_propensity", "calibration.current_redirection_propensity",
                     0.4, 1.0),
    CalibrationInput("calibration.current_redirections_share_at_ia", "calibration.current_redirections_share_at_ia",
                     0.0, 1.0),
    CalibrationInput("utc_rota_scale", "utc.clinicians", 0.9, 1.12, scale=True),
    CalibrationInput("practice_111_weekday_scale", "slot_diaries.practice_111.slots_per_day", 0.8, 1.2, scale=True,
                     entries=(0, 1, 2, 3, 4)),
]
FOUR_TARGETS = ["front_door_redirections", "share_via_utc", "utc_4h", "nhs111_no_slot_weekday"]


def synthetic_check(size: dict, quick: bool, seeds: list[int] | None = None) -> dict:
    """Known inputs recovered from targets the model made, over several seeds."""
    inputs = FOUR[:1] if quick else FOUR
    names = ["front_door_redirections"] if quick else FOUR_TARGETS
    published = {t.name: t for t in load_targets(use="calibration")}
    targets = [published[n] for n in names]
    current = load_config(REPO / "configs" / "current.yaml")
    rows = []
    for k in seeds if seeds is not None else range(size["seeds"]):
        rng = np.random.default_rng([20250109, k])
        truth = {i.name: float(i.low + (0.2 + 0.6 * rng.random()) * (i.high - i.low)) for i in inputs}
        base = apply_overrides(current, replications=1, days=size["days"], warmup_days=size["warmup"],
                               seed=20250109 + 1000 * k)
        start = time.perf_counter()
        truth_sim = model_simulator(apply_overrides(base, seed=base.run.seed + TRUTH_SEED_OFFSET), inputs)
        made = synthetic_targets(targets, truth_sim, truth, size["truth_reps"])
        result = history_match(inputs, made, model_simulator(base, inputs),
                               WaveSettings(points=size["points"], replications=size["reps"],
                                            max_waves=size["waves"]),
                               FinalSettings(points=size["final"], replications=size["final_reps"]),
                               budget=size["budget"], seed=k)
        span = inside_set(result, truth)
        kept = result.not_ruled_out(truth, 3.0, size["final_reps"])
        # the known values run as a member of the final check is run: on the calibration's seeds
        at_truth = model_simulator(base, inputs)([truth], size["final_reps"])
        meets = meets_every_range(at_truth, made, FinalSettings().noise_allowance)
        strict = meets_every_range(at_truth, made, 0.0)  # the mean itself within every range: for comparison
        inside = kept and meets
        row = {"seed": k, "truth": truth, "inside_set": inside, "not_ruled_out": kept, "meets_every_range": meets,
               "meets_every_range_strictly": strict,
               "within_span_of_simulated_sets": span,
               "plausible_sets": len(result.plausible), "simulator_runs": result.simulator_runs,
               "waves": len(result.waves), "stopped": result.stopped, "seconds": time.perf_counter() - start,
               "set_span": {i.name: [float(result.plausible[i.name].min()), float(result.plausible[i.name].max())]
                            for i in inputs} if len(result.plausible) else {}}
        rows.append(row)
        print(f"  seed {k}: known values {'inside' if inside else 'OUTSIDE'} the accepted set "
              f"({'not ruled out' if kept else 'RULED OUT'}, {'meets every range' if meets else 'MISSES a range'} "
              f"when run like the final check; {'within' if span else 'outside'} the span of the {len(result.plausible)} "
              f"sets simulated); {result.simulator_runs} runs, {row['seconds']:.0f} s", flush=True)
    hits = sum(r["inside_set"] for r in rows)
    strictly = sum(r["not_ruled_out"] and r["meets_every_range_strictly"] for r in rows)
    return {"inputs": [i.name for i in inputs], "targets": names, "settings": size, "seeds": rows,
            "noise_allowance": FinalSettings().noise_allowance,
            "recovered": hits, "of": len(rows), "passes": hits >= int(np.ceil(0.9 * len(rows))),
            "recovered_with_no_allowance": strictly}


def calibrate_defaults(keep: Path | None) -> dict:
    """``run_sim.py calibrate`` on the shipped calibration file: wall time and the process's peak memory."""
    out = keep or Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_calibrate_{os.getpid()}"
    command = [sys.executable, str(REPO / "run_sim.py"), "calibrate", "configs/calibration.yaml", "--jobs", "1",
               "--out", str(out), "--quiet"]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    report = {"command": " ".join(command[1:]), "exit_code": code, "wall_seconds": seconds,
              "peak_rss_mb": usage.ru_maxrss / 1024.0, "cpu_seconds": usage.ru_utime + usage.ru_stime}
    if code != 0:
        report["stderr"] = stderr[-2000:]
        return report
    manifest = json.loads((out / "manifest.json").read_text())["calibration"]
    summary = pd.read_csv(out / "summary.csv")
    waves = pd.read_csv(out / "waves.csv")
    made = manifest["simulator_runs"] - int(waves["simulator_runs"].head(manifest["resumed_waves"]).sum())
    report.update(simulator_runs=manifest["simulator_runs"], plausible_sets=manifest["plausible_sets"],
                  resumed_waves=manifest["resumed_waves"], runs_made_by_this_process=made,
                  cpu_seconds_per_run_made=report["cpu_seconds"] / max(1, made),
                  stopped=manifest["stopped"], wall_seconds_per_run_made=seconds / max(1, made),
                  **{k: v for k, v in manifest.items() if k.startswith("shipped_")},
                  summary=summary.to_dict("records"),
                  waves=pd.read_csv(out / "waves.csv").to_dict("records"))
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two seeds, one input, a week a run")
    parser.add_argument("--out", default=None,
                        help="JSON report (default: benchmarks/results_calibrate.json; with --quick "
                             "benchmarks/results_calibrate_quick.json)")
    parser.add_argument("--part", choices=("all", "defaults", "seeds"), default="all",
                        help="run one part only; its figures are merged into the report (default: all)")
    parser.add_argument("--seeds", default=None, help="which seeds, e.g. 0-4 (default: all); reports of "
                                                      "several runs are merged seed by seed")
    parser.add_argument("--keep", default=None, help="keep the defaults' calibration results in this folder "
                                                     "(e.g. results/calibration, for the PSA's calibrated sets)")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    size = SIZES[mode]
    out = Path(args.out or REPO / "benchmarks" / f"results_calibrate{'_quick' if args.quick else ''}.json")
    report = {"mode": mode, "when": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform(), "load_average_at_start": os.getloadavg()}}
    if size["defaults"] and args.part in ("all", "defaults"):
        print("1. run_sim.py calibrate configs/calibration.yaml --jobs 1", flush=True)
        report["calibrate_defaults"] = calibrate_defaults(Path(args.keep) if args.keep else None)
        d = report["calibrate_defaults"]
        print(f"   {d['wall_seconds']:.0f} s wall, peak memory {d['peak_rss_mb']:.0f} MB, "
              f"{d.get('simulator_runs', '?')} runs, {d.get('plausible_sets', '?')} plausible sets", flush=True)
    if args.part in ("all", "seeds"):
        print(f"2. Synthetic truth: {size['seeds']} seeds", flush=True)
        chosen = None
        if args.seeds:
            first, _, last = args.seeds.partition("-")
            chosen = list(range(int(first), int(last or first) + 1))
        report["synthetic_truth"] = synthetic_check(size, args.quick, chosen)
        s = report["synthetic_truth"]
        print(f"   known values recovered in {s['recovered']} of {s['of']} seeds (target: at least 9 in 10): "
              f"{'PASS' if s['passes'] else 'FAIL'}; with no noise allowance in the final check "
              f"{s['recovered_with_no_allowance']} of {s['of']}", flush=True)
    if args.part != "all" and out.exists():  # one part: keep the other's figures
        kept = json.loads(out.read_text(encoding="utf-8"))
        if "synthetic_truth" in report and "synthetic_truth" in kept and args.seeds:
            new = report["synthetic_truth"]
            mine = {r["seed"] for r in new["seeds"]}
            rows = sorted([r for r in kept["synthetic_truth"]["seeds"] if r["seed"] not in mine] + new["seeds"],
                          key=lambda r: r["seed"])
            hits = sum(r["inside_set"] for r in rows)
            strictly = sum(r["not_ruled_out"] and r.get("meets_every_range_strictly", False) for r in rows)
            new.update(seeds=rows, recovered=hits, of=len(rows), passes=hits >= int(np.ceil(0.9 * len(rows))),
                       recovered_with_no_allowance=strictly)
        report = {**kept, **report, "when": {**(kept.get("when") if isinstance(kept.get("when"), dict) else {}),
                                              args.part: report["when"]}}
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    tmp.replace(out)
    print(f"Written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
