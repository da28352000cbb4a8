"""The ``run`` command (one scenario) and ``compare`` (two on common random numbers)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import (
    _check_memory,
    _load,
    _manifest,
    _output_folder,
    _resumable,
    _run_arms,
    _say_precision,
    _warn_single_replication,
)

if TYPE_CHECKING:  # imported when the command runs, so the command line starts fast
    import pandas as pd

HEADLINE_KPIS = (
    "arrivals_per_day",
    "utc_attendances_per_day",
    "ed_attendances_per_day",
    "sda_redirections_front_door_per_day",
    "sda_redirections_ia_per_day",
    "sda_redirections_utc_per_day",
    "sda_bookings_111_per_day",
    "sda_bookings_overflow_per_day",
    "sda_slot_utilisation_pct",
    "sda_no_slot_per_day",
    "ia_within_15min_pct",
    "utc_wait_mean_min",
    "utc_within_4h_pct",
    "ed_within_4h_pct",
    "redirected_time_to_slot_mean_min",
    "gp_reattendances_per_week",
    "cost_total_annual_gbp",
)


def _print_kpis(table: pd.DataFrame, title: str) -> None:
    rows = table.set_index("kpi").reindex([k for k in HEADLINE_KPIS if k in set(table["kpi"])])
    print(title)
    print(rows.to_string(float_format=lambda v: f"{v:,.2f}"))


def _instability_note(summary: pd.DataFrame, name: str) -> str | None:
    """A warning if some replications of ``name`` ended with queues that grew without bound."""
    if "unstable" not in summary or not summary["unstable"].any():
        return None
    n_bad, n = int(summary["unstable"].sum()), len(summary)
    return (
        f"warning: {name} is UNSTABLE in {n_bad} of {n} replications: "
        f"{summary['in_system_at_end'].mean():,.0f} patients still in the pathway at the end (mean); "
        "capacity is below demand somewhere, so its waits and costs are not a steady state"
    )


def _print_comparison(comparison: pd.DataFrame) -> None:
    rows = comparison.set_index("kpi").reindex([k for k in HEADLINE_KPIS if k in set(comparison["kpi"])])
    cols = ["baseline_mean", "scenario_mean", "diff_mean", "diff_ci_low", "diff_ci_high"]
    print(rows[cols].to_string(float_format=lambda v: f"{v:,.2f}"))
    by_kpi = comparison.set_index("kpi")
    total = by_kpi.loc["cost_total_annual_gbp"]
    print(
        f"\nRecurrent annual saving (baseline - scenario): GBP {total['saving_gbp_mean']:,.0f} "
        f"(95% CI {total['saving_gbp_ci_low']:,.0f} to {total['saving_gbp_ci_high']:,.0f}, "
        f"{int(total['n_reps'])} paired replications)"
    )
    if "gp_reattendance_hours_per_week" in by_kpi.index:
        hours, value = by_kpi.loc["gp_reattendance_hours_per_week"], by_kpi.loc["gp_reattendance_value_annual_gbp"]
        print(
            f"GP time freed (fewer reattendances at patients' own GPs; not cash, so not in the saving): "
            f"{-hours['diff_mean']:,.1f} hours a week (95% CI {-hours['diff_ci_high']:,.1f} to "
            f"{-hours['diff_ci_low']:,.1f}), worth GBP {-value['diff_mean']:,.0f} a year at the GP appointment cost"
        )


def cmd_run(args) -> int:
    import time

    from ..analysis.output_analysis import summarise
    from ..experiments.runner import summary_table
    from ..outputs.output import ResultWriter

    cfg = _load(args.config, args)
    out = _output_folder(Path(args.out or Path("results") / cfg.name))
    _check_memory([cfg], args, args.events)
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        runner, outcome = _run_arms(
            {"scenario": cfg},
            args,
            checkpoints,
            cfg.name,
            args.events,
            {"scenario": writer.folder("events")} if args.events else None,
        )
        results = runner.results("scenario", outcome.replications)
        summary = summary_table(results)
        kpis = summarise(summary)
        writer.csv("summary.csv", summary)
        writer.csv("kpis.csv", kpis)
        writer.json(
            "manifest.json", _manifest(args, {"scenario": cfg}, time.perf_counter() - start, checkpoints, outcome)
        )
        writer.commit()
    if not args.quiet:
        _say_precision(outcome, args)
        _print_kpis(kpis, f"{cfg.name}: {outcome.replications} replications x {cfg.run.days} days")
        print(f"\nResults in {out}/")
    note = _instability_note(summary, cfg.name)
    if note:
        print(note, file=sys.stderr)
    _warn_single_replication(cfg, args)
    return 0


def cmd_compare(args) -> int:
    # matplotlib is imported only by the commands that draw
    import time

    from ..analysis.output_analysis import paired_comparison, summarise
    from ..experiments.runner import summary_table
    from ..outputs.labels import with_labels
    from ..outputs.output import ResultWriter
    from ..outputs.report import cost_change_by_route_figure

    base = _load(args.baseline, args)
    scen = _load(args.scenario, args)
    # both arms share the baseline's run settings, so replication r sees the same patients
    scen = scen.model_copy(update={"run": base.run})
    out = _output_folder(Path(args.out or Path("results") / f"{base.name}_vs_{scen.name}"))
    _check_memory([base, scen], args, args.events)
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        runner, outcome = _run_arms(
            {"baseline": base, "scenario": scen},
            args,
            checkpoints,
            f"{base.name} vs {scen.name}",
            args.events,
            {r: writer.folder(f"{r}_events") for r in ("baseline", "scenario")} if args.events else None,
        )
        tables = {}
        for role in ("baseline", "scenario"):
            results = runner.results(role, outcome.replications)
            tables[role] = summary_table(results)
            writer.csv(f"{role}_summary.csv", tables[role])
            writer.csv(f"{role}_kpis.csv", summarise(tables[role]))
        comparison = paired_comparison(tables["baseline"], tables["scenario"])
        writer.csv("comparison.csv", with_labels(comparison))
        writer.figure("cost_change_by_route.png", cost_change_by_route_figure(comparison, base.name, scen.name))
        writer.json(
            "manifest.json",
            _manifest(args, {"baseline": base, "scenario": scen}, time.perf_counter() - start, checkpoints, outcome),
        )
        writer.commit()
    if not args.quiet:
        _say_precision(outcome, args)
        print(f"{base.name} vs {scen.name}: {outcome.replications} paired replications x {base.run.days} days")
        _print_comparison(comparison)
        print(f"\nResults in {out}/")
    notes = [
        n for n in (_instability_note(tables[r], c.name) for r, c in (("baseline", base), ("scenario", scen))) if n
    ]
    for note in notes:
        print(note, file=sys.stderr)
    if notes:
        print(
            "warning: the saving between these scenarios means nothing while one of them is unstable", file=sys.stderr
        )
    _warn_single_replication(base, args)
    return 0
