"""The command line's parser: every command, its arguments and the options commands share.

Only ``argparse`` and the commands' own ``add_parser`` functions are imported, so ``--help`` and
``--version`` start fast and load no heavy library.
"""

from __future__ import annotations

import argparse

from .business_case import add_parser as add_business_case_parser
from .calibrate import add_parser as add_calibrate_parser
from .plan import add_parser as add_plan_parser
from .psa import add_parser as add_psa_parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.05, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (e.g. 0.05 for +/-5%), got {value}")
    return value


def _kpi_list(text: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in text.split(",") if k.strip())


def add_scheduler_option(p: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS|local``: run the replications on a Dask cluster (any command that runs them)."""
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS|local",
        default=None,
        help="run replications on a Dask cluster: the address of a running scheduler "
        "(e.g. tcp://10.0.0.5:8786) or 'local' for one worker per core on this machine; "
        "results are identical (default: not used; --jobs decides)",
    )


def add_precision_options(p: argparse.ArgumentParser) -> None:
    """``--precision``, ``--precision-kpis``, ``--max-reps``: replications chosen by a target precision."""
    p.add_argument(
        "--precision",
        type=_fraction,
        default=None,
        metavar="FRACTION",
        help="choose the number of replications so that the 95%% interval of each "
        "--precision-kpis KPI is within +/- FRACTION of its mean (Hoad, Robinson and "
        "Davies' replications algorithm; default: not used, --reps decides)",
    )
    p.add_argument(
        "--precision-kpis",
        type=_kpi_list,
        default=("cost_total_annual_gbp",),
        metavar="KPI,KPI",
        help="KPIs the precision applies to (default: cost_total_annual_gbp)",
    )
    p.add_argument(
        "--max-reps", type=_positive_int, default=200, help="most replications --precision may use (default: 200)"
    )


def _add_run_options(
    p: argparse.ArgumentParser,
    out: str = "results/<name>",
    events: bool = True,
    precision: bool = True,
    scheduler: bool = True,
) -> None:
    p.add_argument("--reps", type=int, help="replications (default: run.replications in the config)")
    p.add_argument(
        "--days", type=int, help="simulated days per replication, warm-up included (default: run.days in the config)"
    )
    p.add_argument("--warmup-days", type=int, help="days excluded from KPIs (default: run.warmup_days in the config)")
    p.add_argument("--seed", type=int, help="base seed of the random streams (default: run.seed in the config)")
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        help="parallel processes on this machine; results are identical (default: 1)",
    )
    if scheduler:
        add_scheduler_option(p)
    if precision:
        add_precision_options(p)
    p.add_argument("--out", default=None, help=f"output folder (default: {out})")
    if events:
        p.add_argument(
            "--events", action="store_true", help="also write the per-patient event log (parquet) (default: off)"
        )
    p.add_argument("--quiet", action="store_true", help="no progress bar or report (default: off)")
    p.add_argument(
        "--no-resume",
        action="store_true",
        help="run every replication afresh, discarding any kept by an interrupted run (default: off)",
    )


def _add_set_option(p: argparse.ArgumentParser, which: str) -> None:
    p.add_argument(
        "--set",
        dest="assignments",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=f"change one parameter of {which} without writing a file, e.g. "
        "--set patients.sda_eligible=0.75 or --set utc.clinicians.0=4 (repeatable; "
        "checked like a config; default: none)",
    )


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("sim-pathway")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return "unknown"


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (start-up stays fast)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} {_version()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_sim.py",
        description="Tower Hamlets same-day urgent care pathway simulator.",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one scenario")
    run.add_argument("config", help="scenario YAML, e.g. configs/current.yaml")
    _add_run_options(run, "results/<the config's name>, e.g. results/current")
    _add_set_option(run, "the scenario")
    cmp_ = sub.add_parser("compare", help="run two scenarios on the same patients and compare them")
    cmp_.add_argument("baseline", help="baseline scenario YAML, e.g. configs/current.yaml")
    cmp_.add_argument("scenario", help="scenario YAML, e.g. configs/redesign.yaml")
    _add_run_options(cmp_, "results/<baseline name>_vs_<scenario name>, e.g. results/current_vs_redesign")
    _add_set_option(cmp_, "both scenarios (a fact about the world, the same in both arms)")
    att = sub.add_parser("attribute", help="split the saving of SCENARIO over BASELINE change by change (X1-X8)")
    att.add_argument("baseline", help="baseline scenario YAML, e.g. configs/current.yaml")
    att.add_argument("scenario", help="scenario YAML, e.g. configs/redesign.yaml")
    att.add_argument(
        "--order",
        default=None,
        help="order the changes are switched on, e.g. x8,x5,x1 (the rest follow in number "
        "order; each change at most once; default: the business case's attribution_order in "
        "configs/business_case.yaml, as the web app and the workbook use)",
    )
    _add_run_options(
        att, "results/<baseline name>_vs_<scenario name>_attribution, e.g. results/current_vs_redesign_attribution"
    )
    val = sub.add_parser("validate", help="the model's figures against the paper's and public ones")
    val.add_argument(
        "current",
        nargs="?",
        default="configs/current.yaml",
        help="current pathway config (default: configs/current.yaml)",
    )
    val.add_argument(
        "redesign",
        nargs="?",
        default="configs/redesign.yaml",
        help="redesigned pathway config (default: configs/redesign.yaml)",
    )
    _add_run_options(val, "results/validation", events=False, precision=False)
    add_business_case_parser(sub, lambda p, **kw: _add_run_options(p, "results/business_case", **kw))
    swp = sub.add_parser("sweep", help="the saving over a grid of parameter values (a sweep file)")
    swp.add_argument("sweep", help="sweep YAML, e.g. configs/sweeps/ia_redirection.yaml")
    _add_run_options(swp, "results/sweep_<the sweep's name>, e.g. results/sweep_ia_redirection", events=False)
    wup = sub.add_parser("warmup", help="the warm-up a scenario needs, from its daily KPIs (MSER-5)")
    wup.add_argument("config", help="scenario YAML, e.g. configs/current.yaml")
    wup.add_argument("--reps", type=_positive_int, default=5, help="replications (default: 5)")
    wup.add_argument(
        "--days",
        type=_positive_int,
        default=56,
        help="simulated days per replication, from an empty system (default: 56)",
    )
    wup.add_argument("--seed", type=int, help="base seed of the random streams (default: run.seed in the config)")
    wup.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        help="parallel processes on this machine; results are identical (default: 1)",
    )
    add_scheduler_option(wup)
    wup.add_argument("--out", default=None, help="output folder (default: results/warmup_<the config's name>)")
    wup.add_argument("--quiet", action="store_true", help="no progress bar or report (default: off)")
    add_calibrate_parser(sub, _positive_int, add_scheduler_option)
    add_psa_parser(sub, _positive_int, add_scheduler_option)
    add_plan_parser(sub, _positive_int, add_scheduler_option)
    app = sub.add_parser("app", help="the web app: try inputs in the browser (Streamlit, on localhost)")
    app.add_argument("--port", type=_port, default=8501, help="port on localhost (default: 8501)")
    return parser


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be at most 65535, got {value}")
    return value
