"""The ``validate`` command: the model's figures against the paper's and public ones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .common import _check_memory, _load, _manifest, _output_folder, _resumable, _run_arms

if TYPE_CHECKING:  # imported when the command runs, so the command line starts fast
    import pandas as pd


def _runs_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every run's per-replication KPIs in one long table, the run named in its first column."""
    import pandas as pd

    runs = pd.concat([table.assign(run=label) for label, table in tables.items()], ignore_index=True)
    return runs[["run", *[c for c in runs.columns if c != "run"]]]


def cmd_validate(args) -> int:
    import time

    from ..experiments.runner import summary_table
    from ..experiments.validation import validate, validation_runs
    from ..outputs.output import ResultWriter

    runs = validation_runs(_load(args.current, args), _load(args.redesign, args))
    first = runs["current"]
    out = _output_folder(Path(args.out or Path("results") / "validation"))
    _check_memory(runs.values(), args)
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        runner, outcome = _run_arms(runs, args, checkpoints, "validation")
        tables = {label: summary_table(runner.results(label, outcome.replications)) for label in runs}
        table = validate(tables)
        writer.csv("validation.csv", table)
        writer.csv("summaries.csv", _runs_table(tables))
        writer.json("manifest.json", _manifest(args, runs, time.perf_counter() - start, checkpoints))
        writer.commit()
    if not args.quiet:
        print(f"Validation: {first.run.replications} paired replications x {first.run.days} days")

        def num(v: float) -> str:
            return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}"

        for _, row in table.iterrows():
            verdict = "within" if row["within"] else "OUTSIDE"
            print(
                f"  {verdict:<8} {row['target']}\n           model {num(row['model_mean'])} "
                f"(95% CI {num(row['model_ci_low'])} to {num(row['model_ci_high'])}); published "
                f"{row['published']}, range {num(row['range_low'])} to {num(row['range_high'])}; {row['source']}"
            )
        print(f"\n{int(table['within'].sum())} of {len(table)} figures within range. Results in {out}/")
    return 0
