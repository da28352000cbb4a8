"""The ``sweep`` command: the saving over a grid or a sample of parameter values (a sweep file)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import (
    _check_memory,
    _check_precision_kpis,
    _manifest,
    _output_folder,
    _resumable,
    _warn_single_replication,
    executor_for,
    precision_for,
)

if TYPE_CHECKING:  # imported when the command runs, so the command line starts fast
    import pandas as pd


def _print_uncertainty(summary: pd.DataFrame) -> None:
    overall = summary[summary["parameter"] == ""].set_index("measure")

    def gbp(measure: str) -> str:
        row = overall.loc[measure]
        return f"GBP {row['value']:,.0f} ({row['ci_low']:,.0f} to {row['ci_high']:,.0f})"

    print(
        f"Saving over {int(overall.loc['points', 'value'])} draws of the inputs "
        "(each figure with its bootstrap 95% interval):"
    )
    print(f"  median {gbp('saving_p50_gbp')}")
    print(f"  95% of draws between {gbp('saving_p2.5_gbp')} and {gbp('saving_p97.5_gbp')}")
    share = overall.loc["share_saving_above_zero"]
    print(f"  saving above zero in {share['value']:.0%} of draws ({share['ci_low']:.0%} to {share['ci_high']:.0%})")
    print("Rank correlation of each input with the saving (bootstrap 95% interval):")
    rho = summary[summary["parameter"] != ""]
    for _, row in rho.reindex(rho["value"].abs().sort_values(ascending=False).index).iterrows():
        print(f"  {row['parameter']:<55} {row['value']:+.2f} ({row['ci_low']:+.2f} to {row['ci_high']:+.2f})")


def _looks_like_scenario(path: str) -> bool:
    from ..inputs.config import ConfigError, read_yaml_mapping

    try:
        data = read_yaml_mapping(Path(path), "sweep")
    except ConfigError:
        return False
    return "vary" not in data and ("extends" in data or "changes" in data or "run" in data)


def _print_sobol(indices: pd.DataFrame) -> None:
    print("Sobol indices of the saving (95% interval): first-order S1 (alone), total ST (with interactions)")
    for _, row in indices.sort_values("ST", ascending=False).iterrows():
        print(
            f"  {row['parameter']:<55} S1 {row['S1']:+.2f} ({row['S1_ci_low']:+.2f} to {row['S1_ci_high']:+.2f})"
            f"  ST {row['ST']:+.2f} ({row['ST_ci_low']:+.2f} to {row['ST_ci_high']:+.2f})"
        )


def cmd_sweep(args) -> int:
    import time

    from ..experiments.sweep import (
        build_points,
        load_sweep,
        point_summary,
        replications_table,
        run_sweep,
        runs_table,
        sobol_indices,
        uncertainty_summary,
    )
    from ..inputs.config import ConfigError
    from ..outputs.output import ResultWriter
    from ..outputs.report import sample_figure, sweep_figure

    try:
        spec = load_sweep(args.sweep)
    except ConfigError:
        if _looks_like_scenario(args.sweep):
            raise ConfigError(
                f"{args.sweep}: this is a scenario config, not a sweep file: run it with "
                f"`run_sim.py run {args.sweep}` (or compare it with another)"
            ) from None
        raise
    points = build_points(
        spec, args.sweep, replications=args.reps, days=args.days, warmup_days=args.warmup_days, seed=args.seed
    )
    out = _output_folder(Path(args.out or Path("results") / f"sweep_{spec.name}"))
    _check_precision_kpis(points[0].baseline, args)
    for point in points:  # a point that cannot fit is refused before the first one runs
        _check_memory([point.baseline, point.scenario], args)
    run = points[0].baseline.run
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        with executor_for(args) as executor:
            result = run_sweep(
                spec,
                points,
                progress=not args.quiet,
                checkpoints=checkpoints,
                executor=executor,
                precision=precision_for(args),
            )
        table = result.table
        writer.csv("sweep.csv", table)
        tidy = replications_table(spec, points, result)
        writer.csv("replications.csv", tidy)
        writer.parquet("replications.parquet", tidy)
        writer.csv("point_summary.csv", point_summary(spec, points, result))
        varied, title = list(spec.vary), spec.description or spec.name
        uncertainty = indices = None
        if spec.design in ("sample", "latin_hypercube"):
            uncertainty = uncertainty_summary(table, varied, seed=run.seed)
            writer.csv("uncertainty.csv", uncertainty)
            writer.figure("sweep.png", sample_figure(table, varied, title))
        elif spec.design == "sobol":
            indices = sobol_indices(spec, table, seed=run.seed)
            writer.csv("sobol.csv", indices)
            writer.figure("sweep.png", sample_figure(table, varied, title))
        else:
            writer.figure("sweep.png", sweep_figure(table, varied, title))
        writer.csv("summaries.csv", runs_table(spec, points, result))
        manifest = _manifest(
            args,
            {"baseline": points[0].baseline, "scenario": points[0].scenario},
            time.perf_counter() - start,
            checkpoints,
        )
        manifest["replications"] = max(o.replications for o in result.outcomes.values())
        manifest["replications_by_point"] = {str(k): o.replications for k, o in result.outcomes.items()}
        manifest["sweep"] = {"file": str(args.sweep), **spec.model_dump(mode="json"), "points": len(points)}
        writer.json("manifest.json", manifest)
        writer.commit()
    if not args.quiet:
        used = sorted({o.replications for o in result.outcomes.values()})
        reps = str(used[0]) if len(used) == 1 else f"{used[0]}-{used[-1]}"
        print(
            f"sweep {spec.name}: {len(points)} points ({spec.design}, varied in {spec.apply_to}), "
            f"{reps} paired replications x {run.days} days each"
        )
        if precision_for(args) is not None:
            short = sum(1 for o in result.outcomes.values() if not o.reached)
            if short:
                print(
                    f"warning: {short} point(s) did not reach +/-{args.precision:.0%} within {args.max_reps} "
                    "replications (see precision_reached in sweep.csv)",
                    file=sys.stderr,
                )
        if uncertainty is not None:
            _print_uncertainty(uncertainty)
            print(f"\nResults in {out}/")
            _warn_single_replication(points[0].baseline, args)
            return 0
        if indices is not None:
            _print_sobol(indices)
            print(f"\nResults in {out}/")
            _warn_single_replication(points[0].baseline, args)
            return 0
        shown = [
            "point",
            *spec.vary,
            "saving_mean_gbp",
            "saving_ci_low_gbp",
            "saving_ci_high_gbp",
            "utc_within_4h_pct",
            "sda_redirections_front_door_per_day",
        ]
        money = {c: (lambda v: f"{v:,.0f}") for c in shown if c.startswith("saving_")}
        kpis = {c: (lambda v: f"{v:,.1f}") for c in shown[-2:]}
        print(table[[c for c in shown if c in table.columns]].to_string(index=False, formatters={**money, **kpis}))
        print(f"\nResults in {out}/")
    _warn_single_replication(points[0].baseline, args)
    return 0
