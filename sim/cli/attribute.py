"""The ``attribute`` command: the saving of a scenario over a baseline, split change by change (X1-X8)."""

from __future__ import annotations

from pathlib import Path

from .common import (
    _check_memory,
    _load,
    _manifest,
    _output_folder,
    _resumable,
    _warn_single_replication,
    executor_for,
    precision_for,
)


def cmd_attribute(args) -> int:
    import time

    from ..experiments.attribution import attribute, build_steps, resolve_order
    from ..experiments.precision import Outcome
    from ..outputs.output import ResultWriter
    from ..outputs.report import attribution_figure

    base = _load(args.baseline, args)
    scen = _load(args.scenario, args)
    if args.order:
        order = [x.strip() for x in args.order.split(",")]
    else:  # one order for the command line, the web app and the business-case workbook
        from ..inputs.business_case import load_business_case
        from ..inputs.config import SHIPPED_CONFIGS

        order = list(load_business_case(SHIPPED_CONFIGS / "business_case.yaml").attribution_order)
    resolve_order(order)  # a bad --order stops here, before anything runs
    out = _output_folder(Path(args.out or Path("results") / f"{base.name}_vs_{scen.name}_attribution"))
    _check_memory([step.cfg for step in build_steps(base, scen, order)], args)
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        with executor_for(args) as executor:
            table, summaries = attribute(
                base,
                scen,
                order=order,
                progress=not args.quiet,
                checkpoints=checkpoints,
                executor=executor,
                precision=precision_for(args),
            )
        n_used = int(next(iter(summaries.values()))["replication"].size)
        writer.csv("attribution.csv", table)
        writer.figure("attribution.png", attribution_figure(table))
        for label, summary in summaries.items():
            writer.csv(f"step_{label}_summary.csv", summary)
        writer.json(
            "manifest.json",
            _manifest(
                args, {"baseline": base, "scenario": scen}, time.perf_counter() - start, checkpoints, Outcome(n_used)
            ),
        )
        writer.commit()
    if not args.quiet:
        print(
            f"{base.name} -> {scen.name}: changes switched on one after another (order: "
            f"{', '.join(o.split('_', 1)[0].upper() for o in resolve_order(order))}), "
            f"{n_used} paired replications x {base.run.days} days"
        )
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
        print(f"\nResults in {out}/")
    _warn_single_replication(base, args)
    return 0
