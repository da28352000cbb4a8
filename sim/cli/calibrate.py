"""The ``calibrate`` command: the unmeasured inputs of today's pathway, history-matched to the published figures.

``python run_sim.py calibrate [CALIBRATION] [--budget N] [--days D] [--seed S]
[--jobs J | --scheduler ADDRESS|local] [--out DIR] [--truth NAME=VALUE ...]``

Writes, in ``--out`` (default ``results/calibration``): ``plausible_sets.csv``
and ``.parquet`` (every input set whose figures all fall in their published
ranges), ``summary.csv`` (each input's medoid and spread over the set, each
target's range and the set's figures), ``calibrated_defaults.yaml`` (the
medoid as a config snippet), ``input_sets.csv`` (every set run, with its
implausibility), ``waves.csv``, ``runs.parquet`` (every replication run) and
``manifest.json``. An interrupted calibration resumes from its last finished
wave (and the replications finished since) when run again.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

DEFAULT_SPEC = Path("configs") / "calibration.yaml"
TRUTH_SEED_OFFSET = 7919
"""Synthetic targets (``--truth``) are made on other seeds than the calibration's runs."""
TRUTH_REPLICATIONS = 20
"""Replications behind each synthetic target's figure."""


def add_parser(sub, positive_int, add_scheduler_option) -> None:
    """Register ``calibrate`` on the command line's subparsers."""
    from .options import add_output_options, add_run_settings

    p = sub.add_parser(
        "calibrate",
        help="calibrate today's unmeasured inputs to the published figures "
        "(history matching): a set of plausible inputs and calibrated defaults",
    )
    p.add_argument(
        "calibration",
        nargs="?",
        default=str(DEFAULT_SPEC),
        help=f"calibration file: inputs, ranges, waves, budget (default: {DEFAULT_SPEC})",
    )
    p.add_argument(
        "--budget",
        type=positive_int,
        default=None,
        help="most simulator runs (one replication of one input set); the waves stop early so the "
        "final check fits (default: budget in the calibration file)",
    )
    add_run_settings(
        p,
        positive_int,
        add_scheduler_option,
        days_default="the calibration file's, else the config's",
        seed_help="base seed of the random streams (default: as --days)",
    )
    p.add_argument(
        "--truth",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="verification: replace the published figures by the model's own at these input values "
        "(every input named once; on other seeds), then check the values are recovered "
        "(default: the published figures)",
    )
    add_output_options(
        p,
        default_out="results/calibration",
        resume_help="start afresh, discarding waves kept by an interrupted calibration",
    )


def _truth(assignments: list[str], names: list[str]) -> dict[str, float] | None:
    from ..inputs.config import ConfigError

    if not assignments:
        return None
    truth = {}
    for text in assignments:
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or name not in names:
            raise ConfigError(f"--truth {text!r}: give NAME=VALUE with NAME one of {', '.join(names)}")
        try:
            truth[name] = float(raw)
        except ValueError:
            raise ConfigError(f"--truth {text!r}: the value is not a number") from None
    missing = [n for n in names if n not in truth]
    if missing:
        raise ConfigError(f"--truth: give every input a value; missing {', '.join(missing)}")
    return truth


def cmd_calibrate(args) -> int:
    """Run the history matching and write the plausible set, its summary and the calibrated defaults."""
    # the heavy imports of this command, when it runs (the command line starts fast)
    from tqdm import tqdm

    from ..experiments.calibration import (
        CalibrationState,
        CountingExecutor,
        check_inputs,
        check_targets,
        defaults_snippet,
        history_match,
        inputs_from_spec,
        inside_set,
        load_calibration,
        meets_every_range,
        model_simulator,
        runs_needed,
        shipped_values,
        state_key,
        summary_table,
        synthetic_targets,
    )
    from ..experiments.resources import check_fits
    from ..inputs.config import ConfigError, apply_overrides, load_config
    from ..inputs.targets import load_targets
    from ..outputs.output import ResultWriter
    from .common import _manifest, _output_folder, _resumable, executor_for

    spec = load_calibration(args.calibration)
    folder = Path(args.calibration).parent
    base = load_config(folder / spec.baseline)
    run = {
        **spec.run.model_dump(exclude_none=True),
        **{
            k: v
            for k, v in {"days": args.days, "warmup_days": args.warmup_days, "seed": args.seed}.items()
            if v is not None
        },
    }
    base = apply_overrides(base, source=f"{args.calibration}: run", replications=1, **run)
    inputs = inputs_from_spec(spec)
    check_inputs(base, inputs, args.calibration)
    targets = load_targets(use="calibration")
    if spec.targets is not None:
        known = {t.name: t for t in targets}
        unknown = [n for n in spec.targets if n not in known]
        if unknown:
            raise ConfigError(
                f"{args.calibration}: targets: {unknown[0]} is not a calibration target in "
                f"configs/targets.yaml (known: {', '.join(known)})"
            )
        targets = [known[n] for n in spec.targets]
    check_targets(targets)
    truth = _truth(args.truth, [item.name for item in inputs])
    for item in inputs:
        if truth and not item.low <= truth[item.name] <= item.high:
            raise ConfigError(
                f"--truth {item.name}={truth[item.name]:g}: outside its range {item.low:g} to {item.high:g}"
            )
    budget = args.budget or spec.budget
    check_fits(base, 1 if args.scheduler else args.jobs)
    out = _output_folder(Path(args.out or Path("results") / "calibration"))
    state_dir = out.resolve().parent / f".{out.name}-calibration-waves"
    start = time.perf_counter()
    bar = tqdm(
        total=runs_needed(spec.model_copy(update={"budget": budget})),
        desc="calibrate",
        unit="run",
        disable=args.quiet or not sys.stderr.isatty(),
        file=sys.stderr,
        dynamic_ncols=True,
        delay=2.0,
    )
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints, executor_for(args) as executor:
        counted = CountingExecutor(executor, bar.update)
        if truth is not None:
            truth_base = apply_overrides(base, seed=base.run.seed + TRUTH_SEED_OFFSET)
            maker = model_simulator(truth_base, inputs, executor=counted, store=None)
            targets = synthetic_targets(targets, maker, truth, TRUTH_REPLICATIONS)
        key = state_key(spec, base, targets)
        state = CalibrationState(state_dir, key, resume=not args.no_resume)
        simulate = model_simulator(base, inputs, executor=counted, store=checkpoints)

        def plan(total: int) -> None:  # the known values' runs, or the shipped values' check, come on top
            bar.total = total + (TRUTH_REPLICATIONS if truth is not None else 0) + spec.final.replications
            bar.refresh()

        def counted_simulate(rows, replications):
            before = bar.n
            table = simulate(rows, replications)
            bar.update(max(0, len(rows) * replications - (bar.n - before)))  # kept runs count too
            return table

        try:
            result = history_match(
                inputs,
                targets,
                counted_simulate,
                spec.waves,
                spec.final,
                budget=budget,
                seed=spec.design_seed,
                state=state,
                on_plan=plan,
            )
            shipped = shipped_values(base, inputs)
            # the known values (a verification) or the shipped ones, run as a member of the final check is run
            checked = truth if truth is not None else shipped
            at_checked = counted_simulate([checked], spec.final.replications)
        finally:
            bar.close()
        verdict = {
            "not_ruled_out": result.not_ruled_out(checked, spec.waves.cutoff, spec.final.replications),
            "meets_every_range": meets_every_range(at_checked, targets, spec.final.noise_allowance),
        }
        verdict["accepted"] = verdict["not_ruled_out"] and verdict["meets_every_range"]
        if truth is not None:
            verdict["inside_set"] = inside_set(result, truth)
        summary = summary_table(result, shipped)
        writer.csv("plausible_sets.csv", result.plausible)
        writer.parquet("plausible_sets.parquet", result.plausible)
        writer.csv("summary.csv", summary)
        writer.csv("input_sets.csv", result.points)
        writer.csv("waves.csv", result.waves)
        writer.parquet("runs.parquet", result.runs)
        writer.csv("targets.csv", _targets_frame(targets))
        writer.bytes(
            "calibrated_defaults.yaml",
            defaults_snippet(result, base, f"run_sim.py calibrate {args.calibration}").encode(),
        )
        manifest = _manifest(args, {"baseline": base}, time.perf_counter() - start, checkpoints)
        manifest["calibration"] = {
            "file": str(args.calibration),
            **spec.model_dump(mode="json"),
            "budget": budget,
            "simulator_runs": result.simulator_runs,
            "stopped": result.stopped,
            "resumed_waves": state.resumed_waves,
            "plausible_sets": len(result.plausible),
            "truth": truth,
        }
        which = "truth" if truth is not None else "shipped"
        manifest["calibration"].update({f"{which}_{name}": value for name, value in verdict.items()})
        if truth is None:
            manifest["calibration"]["shipped_values"] = shipped
        writer.json("manifest.json", manifest)
        writer.commit()
    state.remove()
    if not args.quiet:
        _print(result, summary, truth, verdict, spec, out)
    if len(result.plausible) == 0:
        print(
            f"warning: no input set met every target's range, allowing {spec.final.noise_allowance:g} standard "
            f"errors ({result.stopped}); widen the input ranges in "
            f"{args.calibration} or raise --budget",
            file=sys.stderr,
        )
    return 0


def _targets_frame(targets):
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "target": t.name,
                "kpi": t.kpi,
                "value": t.value,
                "low": t.low,
                "high": t.high,
                "label": getattr(t, "label", t.name),
            }
            for t in targets
        ]
    )


def _print(result, summary, truth, verdict, spec, out: Path) -> None:
    import yaml

    print(
        f"calibrate: history matching of {len(result.inputs)} inputs to {len(result.targets)} targets; "
        f"{result.simulator_runs:,} simulator runs; {len(result.waves)} wave(s), stopped: {result.stopped}"
    )
    if len(result.waves):
        shown = result.waves[
            ["wave", "input_sets", "share_of_space_left_before", "share_of_space_left_after", "sets_within_every_range"]
        ]
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    n_final = int((result.points["stage"] == "final").sum()) if len(result.points) else 0
    print(
        f"\nPlausible input sets: {len(result.plausible)} of {n_final} run in the final check "
        f"({spec.final.replications} replications each), every figure within its range "
        f"(allowing {spec.final.noise_allowance:g} standard errors of its mean)"
    )
    inputs = summary[summary["kind"] == "input"]
    print("Inputs: shipped, medoid of the set, and the set's 5th-95th percentiles")
    for _, row in inputs.iterrows():
        print(
            f"  {row['name']:<48} {row['shipped']:>8.4g} {row['medoid']:>8.4g}  ({row['p5']:.4g} to {row['p95']:.4g})"
        )
    print("Targets: published range, and the set's figures (min to max)")
    for _, row in summary[summary["kind"] == "target"].iterrows():
        print(
            f"  {row['name']:<48} {row['low']:.4g} to {row['high']:.4g}: medoid {row['medoid']:.4g} "
            f"({row['set_min']:.4g} to {row['set_max']:.4g})"
        )
    ruled = "not ruled out" if verdict["not_ruled_out"] else "RULED OUT"
    meets = "meet every range" if verdict["meets_every_range"] else "MISS a range"
    run_like = f"run like a member of the final check ({spec.final.replications} replications)"
    if truth is not None:
        print(
            f"Known values {yaml.safe_dump(truth, default_flow_style=True).strip()}: "
            f"{ruled} by the waves; {run_like}, they {meets}; "
            f"{'within' if verdict['inside_set'] else 'NOT within'} the span of the plausible sets"
        )
    else:
        print(
            f"Shipped values: {ruled} by the waves; {run_like}, they {meets}: "
            f"{'accepted' if verdict['accepted'] else 'NOT accepted'} by this calibration"
        )
    print(f"\nCalibrated defaults (the medoid) in {out}/calibrated_defaults.yaml; results in {out}/")
