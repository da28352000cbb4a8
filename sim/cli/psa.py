"""The ``psa`` command: the redesign's saving under the uncertainty of its assumed and calibrated inputs.

``python run_sim.py psa [PSA] [--budget N] [--days D] [--seed S]
[--jobs J | --scheduler ADDRESS|local] [--out DIR]``

Writes, in ``--out`` (default ``results/psa``): ``psa_summary.csv`` (central
value with its simulation interval, input-uncertainty interval, probability of
a positive saving, noise share), ``ranking.csv`` (each input's sensitivity
index and rank correlation), ``draws.csv`` (one row per draw),
``runs.parquet`` (one row per draw and replication), ``shipped_inputs.csv``
(the replications at the shipped inputs), ``inputs.csv`` (each input and its
distribution) and ``manifest.json``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when the command runs, so the command line starts fast
    import pandas as pd

    from ..inputs.config import Config

DEFAULT_SPEC = Path("configs") / "psa.yaml"


def add_parser(sub, positive_int, add_scheduler_option) -> None:
    """Register ``psa`` on the command line's subparsers."""
    from .options import add_output_options, add_run_settings

    p = sub.add_parser(
        "psa",
        help="probabilistic sensitivity analysis: the saving's distribution over the "
        "assumed and calibrated inputs, paired on common random numbers",
    )
    p.add_argument(
        "psa",
        nargs="?",
        default=str(DEFAULT_SPEC),
        help=f"PSA file: arms, samples, replications, inputs (default: {DEFAULT_SPEC})",
    )
    p.add_argument(
        "--budget",
        type=positive_int,
        default=None,
        help="most simulator runs (one replication of one arm); fewer draws are made to fit "
        "(default: budget in the PSA file)",
    )
    p.add_argument(
        "--calibrated-sets",
        default=None,
        metavar="CSV",
        help="a calibrate run's plausible_sets.csv: draw the calibrated inputs as whole plausible sets "
        "(default: the PSA file's calibrated_sets, else their registry distributions)",
    )
    add_run_settings(
        p,
        positive_int,
        add_scheduler_option,
        days_default="the PSA file's, else the config's",
        seed_help="base seed of the random streams and the draws (default: as --days)",
    )
    add_output_options(
        p,
        default_out="results/psa",
        resume_help="run every replication afresh, discarding any kept by an interrupted run",
    )


def _inputs_frame(setup) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for item in setup.inputs:
        dist = item.distribution.model_dump() if item.distribution is not None else {}
        rows.append(
            {
                "input": item.name,
                "kind": item.kind,
                "path": item.path,
                "source": item.source,
                "distribution": ", ".join(f"{k}: {v}" for k, v in dist.items()),
                "mean": getattr(item.distribution, "expected", float("nan")) if item.distribution else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def make_evaluator(executor, store):
    """``evaluate`` with the executor, the store and each design's parameter space bound."""
    from ..experiments.evaluate import evaluate
    from ..inputs.parameters import ParameterSpace

    def run(base: Config, designs, replications: int) -> pd.DataFrame:
        paths = list(dict.fromkeys(p for d in designs for p in d))
        space = ParameterSpace(paths) if paths else None
        return evaluate(base, designs, replications, space=space, executor=executor, store=store, progress=False)

    return run


def cmd_psa(args) -> int:
    """Run the PSA and write its tables."""
    from tqdm import tqdm

    from ..experiments.calibration import CountingExecutor
    from ..experiments.psa import run_psa, runs_planned, setup_psa
    from ..experiments.resources import check_fits
    from .common import _manifest, _output_folder, _resumable, executor_for

    setup = setup_psa(
        args.psa, args.budget, args.calibrated_sets, days=args.days, warmup_days=args.warmup_days, seed=args.seed
    )
    spec = setup.spec
    check_fits(setup.baseline, 1 if args.scheduler else args.jobs)
    out = _output_folder(Path(args.out or Path("results") / spec.name))
    start = time.perf_counter()
    total = runs_planned(spec.model_copy(update={"samples": setup.samples}), len(setup.inputs))
    bar = tqdm(
        total=total,
        desc="psa",
        unit="run",
        disable=args.quiet or not sys.stderr.isatty(),
        file=sys.stderr,
        dynamic_ncols=True,
        delay=2.0,
    )
    with _resumable(out, args) as checkpoints, executor_for(args) as executor:
        from ..outputs.output import ResultWriter

        evaluate_fn = make_evaluator(CountingExecutor(executor, bar.update), checkpoints)

        def counted(base, designs, replications):
            before = bar.n
            table = evaluate_fn(base, designs, replications)
            bar.update(max(0, len(designs) * replications - (bar.n - before)))
            return table

        try:
            result = run_psa(
                setup.baseline,
                setup.scenario,
                setup.inputs,
                setup.draws,
                spec.replications,
                spec.defaults_replications,
                counted,
                setup.calibrated,
                setup.calibration_inputs,
                net_saving=setup.net_saving,
                seed=setup.baseline.run.seed,
                ranking=spec.ranking,
                scenario_only=spec.scenario_only,
            )
        finally:
            bar.close()
        with ResultWriter(out) as writer:
            writer.csv("psa_summary.csv", result.summary)
            writer.csv("ranking.csv", result.ranking)
            writer.csv("draws.csv", result.draws)
            writer.parquet("runs.parquet", result.runs)
            writer.csv("shipped_inputs.csv", result.defaults)
            writer.csv("inputs.csv", _inputs_frame(setup))
            manifest = _manifest(
                args, {"baseline": setup.baseline, "scenario": setup.scenario}, time.perf_counter() - start, checkpoints
            )
            manifest["psa"] = {
                "file": str(args.psa),
                **spec.model_dump(mode="json"),
                "samples_drawn": setup.samples,
                "simulator_runs": result.simulator_runs,
            }
            writer.json("manifest.json", manifest)
            writer.commit()
    if not args.quiet:
        print_psa(result, setup, out)
    return 0


def print_psa(result, setup, out: Path) -> None:
    """The saving's distribution and the inputs that move it most, in words."""
    import pandas as pd

    s = result.summary.set_index("measure")
    spec = setup.spec

    def gbp(measure: str) -> str:
        return f"GBP {s.loc[measure, 'value']:,.0f}"

    print(
        f"psa: {setup.samples} draws of {len(setup.inputs)} inputs x {spec.replications} paired replications "
        f"x {setup.baseline.run.days} days ({setup.baseline.name} vs {setup.scenario.name}); "
        f"{result.simulator_runs:,} simulator runs"
    )
    c = s.loc["saving_at_shipped_inputs_gbp"]
    print(
        f"  Saving at the shipped inputs: GBP {c['value']:,.0f} a year; simulation 95% interval "
        f"GBP {c['ci_low']:,.0f} to {c['ci_high']:,.0f}"
    )
    print(
        f"  Input-uncertainty 95% interval: {gbp('saving_p2.5_gbp')} to {gbp('saving_p97.5_gbp')} "
        f"(median {gbp('saving_p50_gbp')}, mean {gbp('saving_mean_over_draws_gbp')})"
    )
    p = s.loc["probability_saving_positive"]
    print(f"  Probability the saving is positive: {p['value']:.0%} (bootstrap {p['ci_low']:.0%} to {p['ci_high']:.0%})")
    net = s.loc["probability_net_saving_positive"]
    if pd.notna(net["value"]):
        print(
            f"  Net saving (new SDA slots paid used or not, new services' costs; {spec.business_case}): "
            f"input-uncertainty 95% interval {gbp('net_saving_p2.5_gbp')} to {gbp('net_saving_p97.5_gbp')} "
            f"(mean {gbp('net_saving_mean_over_draws_gbp')})"
        )
        print(
            f"  Probability the net saving is positive: {net['value']:.0%} "
            f"(bootstrap {net['ci_low']:.0%} to {net['ci_high']:.0%})"
        )
    else:
        print("  Net saving: not computed (the PSA file names no business_case)")
    noise = s.loc["simulation_noise_share_of_spread", "value"]
    print(f"  Simulation noise is {noise:.0%} of the spread between draws")
    index = "ST" if "ST" in result.ranking else "S1"
    what = "Sobol total index" if index == "ST" else "first-order index, RBD-FAST"
    print(f"Inputs that move the saving most (Spearman's rho with the saving; {what}):")
    for _, row in result.ranking.head(10).iterrows():
        value = f"{row[index]:.2f}" if pd.notna(row.get(index)) else "n/a"
        rho = f"{row['spearman_rho']:+.2f}" if pd.notna(row["spearman_rho"]) else "  n/a"
        print(f"  {row['input']:<55} rho {rho}  {index} {value:>6}")
    if (result.ranking["input"] == "calibrated_set").any():
        print(
            "  (calibrated_set: which plausible set a draw ran; its S1 is the share of the saving's variance "
            "between sets, and its inputs are ranked through the set each draw ran)"
        )
    print(f"\nResults in {out}/")
