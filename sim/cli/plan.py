"""The ``plan`` command: the cheapest capacity plan that meets the KPI targets of a plan file.

``python run_sim.py plan PLAN.yaml [--budget N] [--days D] [--seed S] [--jobs J | --scheduler ADDRESS|local]
[--out DIR] [--quiet] [--no-resume]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _budget(text: str) -> int:
    from ..inputs.plan import MAX_BUDGET  # the plan schema (pydantic) only when a budget is given

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of replications, got {text!r}") from None
    if not 10 <= value <= MAX_BUDGET:
        raise argparse.ArgumentTypeError(f"must be between 10 and {MAX_BUDGET:,}, got {value}")
    return value


def add_parser(sub, positive_int, add_scheduler_option) -> None:
    """Register ``plan`` on the command line's subparsers."""
    from .options import add_output_options, add_run_settings

    p = sub.add_parser("plan", help="the cheapest slots and staffing that meet KPI targets (a plan file)")
    p.add_argument("plan", help="plan YAML, e.g. configs/plans/gpcg_sda_next_year.yaml")
    p.add_argument(
        "--budget",
        type=_budget,
        default=None,
        help="most simulator replications the plan may spend, plans and today's pathway together "
        "(default: budget in the plan file)",
    )
    add_run_settings(
        p,
        positive_int,
        add_scheduler_option,
        days_default="the plan file's run.days, else the scenario's",
        warmup=False,
        seed_help="base seed of the random streams (default: the plan file's run.seed, else the scenario's)",
    )
    add_output_options(
        p,
        default_out="results/plan_<the plan's name>",
        resume_help="search afresh, discarding the study and replications kept by an interrupted run",
    )


def cmd_plan(args) -> int:
    """Search, select, and write the chosen plan, its comparison with today, the trade-off and the search."""
    from ..experiments.planner import (
        evaluations_table,
        pareto_table,
        plans_table,
        resolve,
        run_plan,
    )
    from ..experiments.resources import check_fits
    from ..inputs.plan import load_plan
    from ..outputs.output import ResultWriter
    from ..outputs.plan_files import (
        with_target_labels,
        chosen_config_yaml,
        comparison_in_words,
        search_figure,
        summary_lines,
    )
    from .common import _manifest, _output_folder, _resumable, executor_for

    plan, folder = load_plan(args.plan)
    plan = with_target_labels(plan)
    scenario, baseline, case = resolve(plan, folder, days=args.days, seed=args.seed)
    out = _output_folder(Path(args.out or Path("results") / f"plan_{plan.name}"))
    check_fits(scenario, 1 if args.scheduler else args.jobs)
    say = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr))
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        checkpoints.path.mkdir(parents=True, exist_ok=True)
        study = checkpoints.path / f"study-{plan.name}.db"
        if args.no_resume:
            study.unlink(missing_ok=True)
        with executor_for(args) as executor:
            result = run_plan(
                plan,
                scenario,
                baseline,
                case,
                budget=args.budget,
                executor=executor,
                checkpoints=checkpoints,
                storage=f"sqlite:///{study}",
                progress=not args.quiet,
                say=say,
            )
        text = chosen_config_yaml(result, args.plan)
        if text is not None:
            writer.bytes("chosen_plan.yaml", text.encode())
            writer.csv("comparison.csv", comparison_in_words(result))
        writer.csv("plans.csv", plans_table(result))
        writer.csv("pareto.csv", pareto_table(result))
        writer.parquet("evaluations.parquet", evaluations_table(result))
        writer.figure("search.png", search_figure(result))
        writer.bytes("study.db", study.read_bytes())
        manifest = _manifest(
            args, {"scenario": scenario, "baseline": baseline}, time.perf_counter() - start, checkpoints
        )
        manifest["replications"] = result.evaluator.spent
        manifest["plan"] = {
            "file": str(args.plan),
            **plan.model_dump(mode="json"),
            "budget_used": result.evaluator.spent,
            "budget": result.budget,
            "plans_tried": len(result.evaluator.plans),
            "candidates": result.candidates,
            "chosen": result.selection.chosen,
            "guaranteed": result.selection.guaranteed,
            "binding": result.selection.binding,
        }
        writer.json("manifest.json", manifest)
        writer.commit()
        study.unlink(missing_ok=True)
    if not args.quiet:
        for line in summary_lines(result):
            print(line)
        print(f"\nResults in {out}/")
    return 0
