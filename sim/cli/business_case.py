"""The ``business-case`` command: the workbook, the HTML report and the charts a finance lead uses.

``python run_sim.py business-case [CURRENT] [REDESIGN] [--case FILE] [--reconciliation FILE] [--psa FOLDER]
[--reps N | --precision F] [--days D] [--jobs J | --scheduler ADDRESS|local] [--out DIR]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when the command runs, so the command line starts fast
    from ..experiments.business_case import BusinessCaseResult
    from ..inputs.config import Config

CONFIGS = Path("configs")
DEFAULT_CASE = CONFIGS / "business_case.yaml"
DEFAULT_RECONCILIATION = CONFIGS / "reconciliation.yaml"


def add_parser(sub, add_run_options) -> None:
    """Register ``business-case`` on the command line's subparsers."""
    p = sub.add_parser(
        "business-case",
        help="the business case: three savings, reconciliation with the paper, "
        "economic summary, workbook, report and charts",
    )
    p.add_argument("current", nargs="?", default=str(CONFIGS / "current.yaml"), help="current pathway config")
    p.add_argument("redesign", nargs="?", default=str(CONFIGS / "redesign.yaml"), help="redesigned pathway config")
    p.add_argument(
        "--case",
        default=str(DEFAULT_CASE),
        help="business case inputs (costing bases, new services, economics, switching values)",
    )
    p.add_argument(
        "--reconciliation",
        default=str(DEFAULT_RECONCILIATION),
        help="the paper's arithmetic: unit costs, volumes and figures",
    )
    p.add_argument(
        "--psa",
        default=None,
        metavar="FOLDER",
        help="a `psa` run's output folder: the Summary adds each saving's input-uncertainty interval "
        "and the probability it is positive (default: none; the intervals cover simulation noise only)",
    )
    add_run_options(p, events=False)


def read_psa_folder(folder: str | Path):
    """A ``psa`` run's headline rows (:func:`sim.analysis.business_case.input_uncertainty_rows`), or a one-line
    ``ConfigError`` naming the folder if it holds no PSA summary."""
    import json

    import pandas as pd

    from ..analysis.business_case import input_uncertainty_rows
    from ..inputs.config import ConfigError

    folder = Path(folder)
    summary_path = folder / "psa_summary.csv"
    if not summary_path.is_file():
        raise ConfigError(f"--psa = {folder}: no psa_summary.csv there (run `python run_sim.py psa` first)")
    try:
        summary = pd.read_csv(summary_path)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        psa = manifest["psa"]
        inputs = len(pd.read_csv(folder / "inputs.csv"))
        covers = (
            f"{int(psa['samples_drawn'])} draws of {inputs} inputs by Latin hypercube, each "
            f"{int(psa['replications'])} paired replications x {int(manifest['days'])} "
            f"days; {folder}"
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ConfigError(f"--psa = {folder}: not a complete psa output folder ({type(err).__name__}: {err})") from None
    if "measure" not in summary.columns or "value" not in summary.columns:
        raise ConfigError(f"--psa = {folder}: psa_summary.csv has no measure and value columns")
    return input_uncertainty_rows(summary, covers)


def cmd_business_case(args) -> int:
    """Run the business case and write the workbook, the report, the charts and the CSV tables."""
    from ..analysis.business_case import costing_mismatch
    from ..experiments.business_case import check_switching_inputs, run_business_case
    from ..experiments.precision import Outcome
    from ..experiments.resources import check_fits
    from ..inputs.business_case import load_business_case
    from ..inputs.reconciliation import load_reconciliation
    from ..outputs.business_case_files import business_case_files
    from ..outputs.output import ResultWriter
    from .common import (
        _load,
        _manifest,
        _output_folder,
        _resumable,
        _say_precision,
        _warn_single_replication,
        executor_for,
        precision_for,
    )

    case = load_business_case(args.case)
    rec = load_reconciliation(args.reconciliation)
    uncertainty = read_psa_folder(args.psa) if args.psa else None
    current, redesign = _load(args.current, args), _load(args.redesign, args)
    redesign = redesign.model_copy(update={"run": current.run})
    check_switching_inputs(case, current, redesign)
    out = _output_folder(Path(args.out or Path("results") / "business_case"))
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        check_fits(current, 1 if args.scheduler else args.jobs)
        with executor_for(args) as executor:
            result = run_business_case(
                current,
                redesign,
                case,
                rec,
                progress=not args.quiet,
                checkpoints=checkpoints,
                executor=executor,
                precision=precision_for(args),
            )
        if uncertainty is not None and len(uncertainty):
            import dataclasses

            import pandas as pd

            result = dataclasses.replace(result, headline=pd.concat([result.headline, uncertainty], ignore_index=True))
        mismatch = costing_mismatch(result.headline, result.comparison)
        made = business_case_files(result, current, redesign, case, rec, args.reconciliation, caveat=mismatch)
        for csv_name, table in made.tables.items():
            writer.csv(csv_name, table)
        for name, data in made.files.items():
            writer.bytes(name, data)
        outcome = Outcome(result.replications, result.precision_reached)
        writer.json(
            "manifest.json",
            _manifest(
                args, {"current": current, "redesign": redesign}, time.perf_counter() - start, checkpoints, outcome
            ),
        )
        writer.commit()
    if not args.quiet:
        _say_precision(outcome, args)
        print_summary(result, current)
        print(f"\nResults in {out}/ (business_case.xlsx, business_case.html, charts and CSV tables)")
    _warn_single_replication(current, args)
    if mismatch:
        print(mismatch, file=sys.stderr)
    return 0


def _gbp(value: float) -> str:
    """GBP with separators and the sign first: ``-GBP 1,612,273``; pence under GBP 1,000."""
    if value != value:  # not a number
        return "n/a"
    if value is None:
        return "n/a"
    text = f"GBP {abs(value):,.0f}" if abs(value) >= 1000 else f"GBP {abs(value):,.2f}"
    return ("-" if value < 0 else "") + text


def print_summary(result: BusinessCaseResult, current: Config) -> None:
    """The headline figures and the reconciliation, one line each; a saving is positive."""
    import pandas as pd

    print(f"Business case: {result.replications} paired replications x {current.run.days} days")
    for _, row in result.headline.iterrows():
        covers = "simulation noise only" if row["interval_covers"].startswith("simulation") else "input uncertainty"
        if row["unit"] == "share":
            print(
                f"  {row['label']}: {row['mean']:.0%} (bootstrap 95% interval {row['ci_low']:.0%} to "
                f"{row['ci_high']:.0%})"
            )
        elif "GBP" in row["unit"]:
            print(
                f"  {row['label']}: {_gbp(row['mean'])} a year (95% interval {_gbp(row['ci_low'])} to "
                f"{_gbp(row['ci_high'])}; {covers})"
            )
        else:
            print(
                f"  {row['label']}: {row['mean']:,.1f} {row['unit']} (95% CI {row['ci_low']:,.1f} to "
                f"{row['ci_high']:,.1f})"
            )
    print("Reconciliation with the paper (calculated from the paper's inputs; model, gross basis):")
    for _, row in result.reconciliation.iterrows():
        implied = f", implies {row['implied_per_day']:.1f} a day" if pd.notna(row["implied_per_day"]) else ""
        paper = (
            f"paper {_gbp(row['paper_gbp'])}, calculated {_gbp(row['calculated_gbp'])} "
            f"({row['difference_pct']:+.1f}%{implied})"
            if pd.notna(row["paper_gbp"])
            else f"calculated {_gbp(row['calculated_gbp'])}"
        )
        print(
            f"  {row['label']}: {paper}; model {_gbp(row['model_gbp'])} "
            f"({_gbp(row['model_ci_low_gbp'])} to {_gbp(row['model_ci_high_gbp'])})"
        )
