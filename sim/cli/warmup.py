"""The ``warmup`` command: the warm-up a scenario needs, from its daily KPIs (MSER-5)."""

from __future__ import annotations

from pathlib import Path

from .common import _check_memory, _load_scenario, _output_folder, executor_for

WARMUP_MIN_DAYS = 20
"""Shortest run ``warmup`` accepts: four MSER-5 batches of 5 days, enough to place a cut at all."""


def cmd_warmup(args) -> int:
    import pandas as pd

    from ..analysis.warmup import daily_kpis, warmup_table
    from ..experiments.runner import run_replications
    from ..inputs.config import ConfigError, apply_overrides, load_config
    from ..outputs.output import ResultWriter

    cfg = _load_scenario(args.config)
    configured = cfg.run.warmup_days
    cfg = apply_overrides(cfg, replications=args.reps, days=args.days, warmup_days=0, seed=args.seed)
    if cfg.run.days < WARMUP_MIN_DAYS:
        raise ConfigError(
            f"--days {cfg.run.days}: too short to find a warm-up; MSER-5 needs at least "
            f"{WARMUP_MIN_DAYS} days (the config's warm-up is {configured}), e.g. --days 56"
        )
    out = _output_folder(Path(args.out or Path("results") / f"warmup_{cfg.name}"))
    _check_memory([cfg], args, events=True, kept_event_logs=True)  # every daily event log is kept
    with executor_for(args) as executor:
        results = run_replications(
            cfg, events=True, progress=not args.quiet, label=f"warm-up {cfg.name}", executor=executor
        )
    daily = pd.concat(
        [daily_kpis(r.events, cfg.run.days).assign(replication=r.replication) for r in results], ignore_index=True
    )
    daily = daily[["replication", *[c for c in daily.columns if c != "replication"]]]
    table = warmup_table(daily)
    with ResultWriter(out) as writer:
        writer.csv("daily_kpis.csv", daily)
        writer.csv("warmup.csv", table)
        writer.commit()
    if not args.quiet:
        print(
            f"{cfg.name}: {cfg.run.replications} replications x {cfg.run.days} days from empty; "
            "MSER-5 truncation of the daily means"
        )
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
        trusted = table[~table["at_search_limit"]]
        shaky = ", ".join(table.loc[table["at_search_limit"], "kpi"])
        print(
            f"\nWarm-up needed: {int(trusted['warmup_days'].max()) if len(trusted) else 'unknown'} days "
            f"(largest over the KPIs; the config uses {load_config(args.config).run.warmup_days})."
            + (
                f" No truncation to trust for {shaky} (at the end of the search: noise or no steady state)."
                if shaky
                else ""
            )
            + f" Results in {out}/"
        )
    return 0
