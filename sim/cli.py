"""Command line: ``run`` one scenario or ``compare`` two on common random numbers."""

from __future__ import annotations

import argparse
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .cli_business import add_parser as add_business_case_parser
from .cli_calibrate import add_parser as add_calibrate_parser
from .cli_plan import add_parser as add_plan_parser
from .cli_psa import add_parser as add_psa_parser

if TYPE_CHECKING:  # the command line starts fast: each command imports what it uses, when it runs
    import pandas as pd

    from .experiments.checkpoint import CheckpointFolder
    from .experiments.executors import Executor
    from .experiments.precision import Outcome, Precision
    from .experiments.runner import ReplicationRunner
    from .inputs.config import Config

EXIT_BAD_INPUT = 2
EXIT_MODEL_ERROR = 3
EXIT_INTERRUPTED = 130

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
    p.add_argument("--scheduler", metavar="ADDRESS|local", default=None,
                   help="run replications on a Dask cluster: the address of a running scheduler "
                        "(e.g. tcp://10.0.0.5:8786) or 'local' for one worker per core on this machine; "
                        "results are identical (default: not used; --jobs decides)")


def add_precision_options(p: argparse.ArgumentParser) -> None:
    """``--precision``, ``--precision-kpis``, ``--max-reps``: replications chosen by a target precision."""
    p.add_argument("--precision", type=_fraction, default=None, metavar="FRACTION",
                   help="choose the number of replications so that the 95%% interval of each "
                        "--precision-kpis KPI is within +/- FRACTION of its mean (Hoad, Robinson and "
                        "Davies' replications algorithm; default: not used, --reps decides)")
    p.add_argument("--precision-kpis", type=_kpi_list, default=("cost_total_annual_gbp",), metavar="KPI,KPI",
                   help="KPIs the precision applies to (default: cost_total_annual_gbp)")
    p.add_argument("--max-reps", type=_positive_int, default=200,
                   help="most replications --precision may use (default: 200)")


def executor_for(args) -> Executor:
    """The executor for ``--jobs`` / ``--scheduler`` (the scheduler wins)."""
    from .experiments.executors import make_executor

    return make_executor(args.jobs, getattr(args, "scheduler", None))


def precision_for(args) -> Precision | None:
    """The ``--precision`` asked for, or ``None``."""
    from .experiments.precision import Precision

    if getattr(args, "precision", None) is None:
        return None
    return Precision(args.precision, args.precision_kpis, args.max_reps)


def _add_run_options(p: argparse.ArgumentParser, out: str = "results/<name>", events: bool = True,
                     precision: bool = True, scheduler: bool = True) -> None:
    p.add_argument("--reps", type=int,
                   help="replications (default: run.replications in the config)")
    p.add_argument("--days", type=int,
                   help="simulated days per replication, warm-up included (default: run.days in the config)")
    p.add_argument("--warmup-days", type=int,
                   help="days excluded from KPIs (default: run.warmup_days in the config)")
    p.add_argument("--seed", type=int, help="base seed of the random streams (default: run.seed in the config)")
    p.add_argument("--jobs", type=_positive_int, default=1,
                   help="parallel processes on this machine; results are identical (default: 1)")
    if scheduler:
        add_scheduler_option(p)
    if precision:
        add_precision_options(p)
    p.add_argument("--out", default=None, help=f"output folder (default: {out})")
    if events:
        p.add_argument("--events", action="store_true",
                       help="also write the per-patient event log (parquet) (default: off)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or report (default: off)")
    p.add_argument("--no-resume", action="store_true",
                   help="run every replication afresh, discarding any kept by an interrupted run (default: off)")


def _add_set_option(p: argparse.ArgumentParser, which: str) -> None:
    p.add_argument("--set", dest="assignments", action="append", default=[], metavar="PATH=VALUE",
                   help=f"change one parameter of {which} without writing a file, e.g. "
                        "--set patients.sda_eligible=0.75 or --set utc.clinicians.0=4 (repeatable; "
                        "checked like a config; default: none)")


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
    att = sub.add_parser(
        "attribute", help="split the saving of SCENARIO over BASELINE change by change (X1-X8)"
    )
    att.add_argument("baseline", help="baseline scenario YAML, e.g. configs/current.yaml")
    att.add_argument("scenario", help="scenario YAML, e.g. configs/redesign.yaml")
    att.add_argument("--order", default=None,
                     help="order the changes are switched on, e.g. x8,x5,x1 (the rest follow in number "
                          "order; each change at most once; default: the business case's attribution_order in "
                          "configs/business_case.yaml, as the web app and the workbook use)")
    _add_run_options(att, "results/<baseline name>_vs_<scenario name>_attribution, "
                          "e.g. results/current_vs_redesign_attribution")
    val = sub.add_parser("validate", help="the model's figures against the paper's and public ones")
    val.add_argument("current", nargs="?", default="configs/current.yaml",
                     help="current pathway config (default: configs/current.yaml)")
    val.add_argument("redesign", nargs="?", default="configs/redesign.yaml",
                     help="redesigned pathway config (default: configs/redesign.yaml)")
    _add_run_options(val, "results/validation", events=False, precision=False)
    add_business_case_parser(sub, lambda p, **kw: _add_run_options(p, "results/business_case", **kw))
    swp = sub.add_parser("sweep", help="the saving over a grid of parameter values (a sweep file)")
    swp.add_argument("sweep", help="sweep YAML, e.g. configs/sweeps/ia_redirection.yaml")
    _add_run_options(swp, "results/sweep_<the sweep's name>, e.g. results/sweep_ia_redirection", events=False)
    wup = sub.add_parser("warmup", help="the warm-up a scenario needs, from its daily KPIs (MSER-5)")
    wup.add_argument("config", help="scenario YAML, e.g. configs/current.yaml")
    wup.add_argument("--reps", type=_positive_int, default=5, help="replications (default: 5)")
    wup.add_argument("--days", type=_positive_int, default=56,
                     help="simulated days per replication, from an empty system (default: 56)")
    wup.add_argument("--seed", type=int, help="base seed of the random streams (default: run.seed in the config)")
    wup.add_argument("--jobs", type=_positive_int, default=1,
                     help="parallel processes on this machine; results are identical (default: 1)")
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


def cmd_app(args) -> int:
    """Serve the web app on localhost with ``streamlit run`` until stopped (Ctrl-C)."""
    import importlib.util
    import socket
    import subprocess

    from .inputs.config import ConfigError

    for library in ("streamlit", "altair"):  # checked here: the app runs in a process of its own
        if importlib.util.find_spec(library) is None:
            raise ConfigError(f"app needs {library}, which comes with the [app] extra: pip install -e '.[app]'")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("localhost", args.port))
        except OSError:
            raise ConfigError(f"--port {args.port}: already in use on this machine; choose another, "
                              "e.g. --port 8502") from None
    script = Path(__file__).resolve().parent / "app" / "main.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "localhost",
               "--server.port", str(args.port), "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "minimal"]  # no Deploy button
    print(f"Web app on http://localhost:{args.port} (Ctrl-C to stop)", file=sys.stderr)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def _load_scenario(path: str) -> Config:
    """A scenario config; a sweep file given instead is named as one."""
    from .inputs.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError:
        if _looks_like_sweep(path):
            raise ConfigError(f"{path}: this is a sweep file, not a scenario: run it with "
                              f"`run_sim.py sweep {path}`") from None
        raise


def _looks_like_sweep(path: str) -> bool:
    from .inputs.config import ConfigError, read_yaml_mapping

    try:
        data = read_yaml_mapping(Path(path), "config")
    except ConfigError:
        return False
    return "vary" in data and "scenario" in data


def _load(path: str, args) -> Config:
    from .inputs.config import apply_overrides

    cfg = _load_scenario(path)
    cfg = apply_overrides(
        cfg, replications=args.reps, days=args.days, warmup_days=args.warmup_days, seed=args.seed
    )
    assignments = getattr(args, "assignments", [])
    if assignments:
        from .experiments.sweep import set_parameters

        cfg = set_parameters(cfg, assignments)
    _check_precision_kpis(cfg, args)
    return cfg


def kpi_names(cfg: Config) -> set[str]:
    """The KPIs a replication of ``cfg`` reports, from a one-day replication (a fraction of a second)."""
    from .analysis.kpis import compute_kpis
    from .inputs.config import apply_overrides
    from .model.pathway import run_replication

    model = run_replication(apply_overrides(cfg, days=1, warmup_days=0, replications=1), 0)
    try:
        return set(compute_kpis(model))
    finally:
        model.release()


def _check_precision_kpis(cfg: Config, args) -> None:
    """A misspelled ``--precision-kpis`` name is refused before anything runs (once per command)."""
    if getattr(args, "precision", None) is None or getattr(args, "precision_kpis_checked", False):
        return
    import difflib

    from .analysis.output_analysis import ZERO_FILL_PREFIXES
    from .inputs.config import ConfigError

    known = kpi_names(cfg)
    for name in args.precision_kpis:
        if name not in known and not name.startswith(ZERO_FILL_PREFIXES):  # a route seen in some runs only
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else "; e.g. cost_total_annual_gbp"
            raise ConfigError(f"--precision-kpis: no KPI named {_shorten(repr(name), 80)}{hint}")
    args.precision_kpis_checked = True


def _warn_single_replication(cfg: Config, args) -> None:
    """One replication has no spread, so no interval: say so instead of leaving NaNs unexplained."""
    if cfg.run.replications < 2 and getattr(args, "precision", None) is None:
        print("warning: 1 replication gives no confidence interval (the interval columns are left "
              "empty); use --reps 2 or more", file=sys.stderr)


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM, SIGHUP) during a run; the message says what was kept."""

    def __init__(self, message: str, exit_code: int = EXIT_INTERRUPTED):
        super().__init__(message)
        self.exit_code = exit_code


def _exit_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal's number, as a shell reports it: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


@contextmanager
def _resumable(out: Path, args):
    """The command's checkpoint folder; on Ctrl-C, say what it keeps; after success, remove it."""
    from .experiments.checkpoint import CheckpointFolder

    checkpoints = CheckpointFolder(out, resume=not args.no_resume)
    kept = checkpoints.kept()
    if kept and not args.quiet and not args.no_resume:
        print(f"resuming: {kept} finished replication(s) from an interrupted run are kept in "
              f"{checkpoints.path}; those of this scenario are reused (--no-resume to run them again)",
              file=sys.stderr)
    try:
        yield checkpoints
    except KeyboardInterrupt as exc:
        kept = checkpoints.kept()
        if not kept:
            raise
        raise Interrupted(
            f"no results were written; {kept} finished replication(s) are kept in {checkpoints.path}: "
            "run the same command again to continue from them", _exit_code(exc)
        ) from None
    if checkpoints.resumed() and not args.quiet:
        print(f"reused {checkpoints.resumed()} replication(s) kept from an interrupted run", file=sys.stderr)
    checkpoints.remove()


def _manifest(args, configs: dict[str, Config], seconds: float, checkpoints: CheckpointFolder,
              outcome: Outcome | None = None) -> dict:
    import platform
    from importlib import metadata

    versions = {}
    for pkg in ("simpy", "numpy", "pandas", "scipy", "pydantic", "pyarrow", "sim-pathway"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    versions["python"] = platform.python_version()
    first = next(iter(configs.values()))
    return {
        "command": " ".join(sys.argv),
        "seed": first.run.seed,
        "replications": outcome.replications if outcome is not None else first.run.replications,
        "days": first.run.days,
        "warmup_days": first.run.warmup_days,
        "jobs": args.jobs,
        "scheduler": getattr(args, "scheduler", None),
        "precision": None if getattr(args, "precision", None) is None else {
            "relative_half_width": args.precision, "kpis": list(args.precision_kpis),
            "max_replications": args.max_reps, "method": "Hoad, Robinson and Davies (2010), look-ahead 5",
            "reached": None if outcome is None else outcome.reached},
        "run_seconds": round(seconds, 3),
        "resumed_replications": checkpoints.resumed(),
        "versions": versions,
        "configs": {role: cfg.model_dump(mode="json") for role, cfg in configs.items()},
    }


def _print_kpis(table: pd.DataFrame, title: str) -> None:
    rows = table.set_index("kpi").reindex([k for k in HEADLINE_KPIS if k in set(table["kpi"])])
    print(title)
    print(rows.to_string(float_format=lambda v: f"{v:,.2f}"))


def _instability_note(summary: pd.DataFrame, name: str) -> str | None:
    """A warning if some replications of ``name`` ended with queues that grew without bound."""
    if "unstable" not in summary or not summary["unstable"].any():
        return None
    n_bad, n = int(summary["unstable"].sum()), len(summary)
    return (f"warning: {name} is UNSTABLE in {n_bad} of {n} replications: "
            f"{summary['in_system_at_end'].mean():,.0f} patients still in the pathway at the end (mean); "
            "capacity is below demand somewhere, so its waits and costs are not a steady state")


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


def _output_folder(path: Path) -> Path:
    """The output folder, refused before any work if results cannot or must not go there."""
    from .outputs.output import check_output_folder

    return check_output_folder(path)


def _processes(args) -> int:
    """Processes on this machine that hold a replication at once: --jobs, or one per core for
    --scheduler local, or none but this one for a remote scheduler."""
    scheduler = getattr(args, "scheduler", None)
    if scheduler == "local":
        import os

        return os.cpu_count() or 1
    return 1 if scheduler else args.jobs


def _check_memory(configs, args, events: bool = False, kept_event_logs: bool = False) -> None:
    """Refuse, before anything is locked or run, a command whose replications would not fit in memory."""
    from .experiments.resources import check_fits

    for cfg in configs:
        check_fits(cfg, _processes(args), events, kept_event_logs=kept_event_logs)


def _run_arms(arms: dict[str, Config], args, checkpoints: CheckpointFolder, label: str,
              events: bool = False, events_dirs: dict[str, Path] | None = None) -> tuple[ReplicationRunner, Outcome]:
    """Run the arms of a command (paired: they use the same replications) through one executor.

    With ``events_dirs``, each arm's event logs are written to its folder as replications finish.
    """
    from .experiments.precision import run_groups
    from .experiments.runner import ReplicationRunner

    _check_memory(arms.values(), args, events)  # checked by the commands before they lock; again here
    with executor_for(args) as executor, ReplicationRunner(executor, events, not args.quiet, label) as runner:
        for role, cfg in arms.items():
            runner.add(role, cfg, checkpoints.for_scenario(cfg, events), (events_dirs or {}).get(role))
        first = next(iter(arms.values()))
        outcome = run_groups(runner, {"arms": list(arms)}, first.run.replications, precision_for(args))["arms"]
    return runner, outcome


def _say_precision(outcome: Outcome, args) -> None:
    if outcome.reached is None or args.quiet:
        return
    kpis = ", ".join(args.precision_kpis)
    if outcome.reached:
        print(f"{outcome.replications} replications give +/-{args.precision:.0%} on {kpis}")
    else:
        print(f"warning: +/-{args.precision:.0%} on {kpis} not reached within {args.max_reps} replications "
              f"(--max-reps); results use {outcome.replications}", file=sys.stderr)


def cmd_run(args) -> int:
    import time

    from .analysis.output_analysis import summarise
    from .experiments.runner import summary_table
    from .outputs.output import ResultWriter

    cfg = _load(args.config, args)
    out = _output_folder(Path(args.out or Path("results") / cfg.name))
    _check_memory([cfg], args, args.events)
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        runner, outcome = _run_arms({"scenario": cfg}, args, checkpoints, cfg.name, args.events,
                                    {"scenario": writer.folder("events")} if args.events else None)
        results = runner.results("scenario", outcome.replications)
        summary = summary_table(results)
        kpis = summarise(summary)
        writer.csv("summary.csv", summary)
        writer.csv("kpis.csv", kpis)
        writer.json("manifest.json", _manifest(args, {"scenario": cfg}, time.perf_counter() - start, checkpoints,
                                               outcome))
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

    from .analysis.output_analysis import paired_comparison, summarise
    from .experiments.runner import summary_table
    from .outputs.labels import with_labels
    from .outputs.output import ResultWriter

    from .outputs.report import cost_change_by_route_figure

    base = _load(args.baseline, args)
    scen = _load(args.scenario, args)
    # both arms share the baseline's run settings, so replication r sees the same patients
    scen = scen.model_copy(update={"run": base.run})
    out = _output_folder(Path(args.out or Path("results") / f"{base.name}_vs_{scen.name}"))
    _check_memory([base, scen], args, args.events)
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        runner, outcome = _run_arms({"baseline": base, "scenario": scen}, args, checkpoints,
                                    f"{base.name} vs {scen.name}", args.events,
                                    {r: writer.folder(f"{r}_events") for r in ("baseline", "scenario")}
                                    if args.events else None)
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
            _manifest(args, {"baseline": base, "scenario": scen}, time.perf_counter() - start, checkpoints,
                      outcome),
        )
        writer.commit()
    if not args.quiet:
        _say_precision(outcome, args)
        print(f"{base.name} vs {scen.name}: {outcome.replications} paired replications x {base.run.days} days")
        _print_comparison(comparison)
        print(f"\nResults in {out}/")
    notes = [n for n in (_instability_note(tables[r], c.name) for r, c in (("baseline", base), ("scenario", scen))) if n]
    for note in notes:
        print(note, file=sys.stderr)
    if notes:
        print("warning: the saving between these scenarios means nothing while one of them is unstable",
              file=sys.stderr)
    _warn_single_replication(base, args)
    return 0


def cmd_attribute(args) -> int:
    import time

    from .experiments.attribution import attribute, build_steps, resolve_order
    from .experiments.precision import Outcome
    from .outputs.output import ResultWriter

    from .outputs.report import attribution_figure

    base = _load(args.baseline, args)
    scen = _load(args.scenario, args)
    if args.order:
        order = [x.strip() for x in args.order.split(",")]
    else:  # one order for the command line, the web app and the business-case workbook
        from .inputs.business_case import load_business_case
        from .inputs.config import SHIPPED_CONFIGS
        order = list(load_business_case(SHIPPED_CONFIGS / "business_case.yaml").attribution_order)
    resolve_order(order)  # a bad --order stops here, before anything runs
    out = _output_folder(Path(args.out or Path("results") / f"{base.name}_vs_{scen.name}_attribution"))
    _check_memory([step.cfg for step in build_steps(base, scen, order)], args)
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        with executor_for(args) as executor:
            table, summaries = attribute(base, scen, order=order, progress=not args.quiet,
                                         checkpoints=checkpoints, executor=executor,
                                         precision=precision_for(args))
        n_used = int(next(iter(summaries.values()))["replication"].size)
        writer.csv("attribution.csv", table)
        writer.figure("attribution.png", attribution_figure(table))
        for label, summary in summaries.items():
            writer.csv(f"step_{label}_summary.csv", summary)
        writer.json("manifest.json", _manifest(args, {"baseline": base, "scenario": scen},
                                               time.perf_counter() - start, checkpoints, Outcome(n_used)))
        writer.commit()
    if not args.quiet:
        print(f"{base.name} -> {scen.name}: changes switched on one after another (order: "
              f"{', '.join(o.split('_', 1)[0].upper() for o in resolve_order(order))}), "
              f"{n_used} paired replications x {base.run.days} days")
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
        print(f"\nResults in {out}/")
    _warn_single_replication(base, args)
    return 0


def _runs_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every run's per-replication KPIs in one long table, the run named in its first column."""
    import pandas as pd

    runs = pd.concat([table.assign(run=label) for label, table in tables.items()], ignore_index=True)
    return runs[["run", *[c for c in runs.columns if c != "run"]]]


def cmd_validate(args) -> int:
    import time

    from .experiments.runner import summary_table
    from .experiments.validation import validate, validation_runs
    from .outputs.output import ResultWriter

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
            print(f"  {verdict:<8} {row['target']}\n           model {num(row['model_mean'])} "
                  f"(95% CI {num(row['model_ci_low'])} to {num(row['model_ci_high'])}); published "
                  f"{row['published']}, range {num(row['range_low'])} to {num(row['range_high'])}; {row['source']}")
        print(f"\n{int(table['within'].sum())} of {len(table)} figures within range. Results in {out}/")
    return 0


def _print_uncertainty(summary: pd.DataFrame) -> None:
    overall = summary[summary["parameter"] == ""].set_index("measure")

    def gbp(measure: str) -> str:
        row = overall.loc[measure]
        return f"GBP {row['value']:,.0f} ({row['ci_low']:,.0f} to {row['ci_high']:,.0f})"

    print(f"Saving over {int(overall.loc['points', 'value'])} draws of the inputs "
          "(each figure with its bootstrap 95% interval):")
    print(f"  median {gbp('saving_p50_gbp')}")
    print(f"  95% of draws between {gbp('saving_p2.5_gbp')} and {gbp('saving_p97.5_gbp')}")
    share = overall.loc["share_saving_above_zero"]
    print(f"  saving above zero in {share['value']:.0%} of draws ({share['ci_low']:.0%} to {share['ci_high']:.0%})")
    print("Rank correlation of each input with the saving (bootstrap 95% interval):")
    rho = summary[summary["parameter"] != ""]
    for _, row in rho.reindex(rho["value"].abs().sort_values(ascending=False).index).iterrows():
        print(f"  {row['parameter']:<55} {row['value']:+.2f} ({row['ci_low']:+.2f} to {row['ci_high']:+.2f})")


def _looks_like_scenario(path: str) -> bool:
    from .inputs.config import ConfigError, read_yaml_mapping

    try:
        data = read_yaml_mapping(Path(path), "sweep")
    except ConfigError:
        return False
    return "vary" not in data and ("extends" in data or "changes" in data or "run" in data)


def _print_sobol(indices: pd.DataFrame) -> None:
    print("Sobol indices of the saving (95% interval): first-order S1 (alone), total ST (with interactions)")
    for _, row in indices.sort_values("ST", ascending=False).iterrows():
        print(f"  {row['parameter']:<55} S1 {row['S1']:+.2f} ({row['S1_ci_low']:+.2f} to {row['S1_ci_high']:+.2f})"
              f"  ST {row['ST']:+.2f} ({row['ST_ci_low']:+.2f} to {row['ST_ci_high']:+.2f})")


def cmd_sweep(args) -> int:
    import time

    from .experiments.sweep import (build_points, load_sweep, point_summary, replications_table, run_sweep, runs_table,
                                     sobol_indices, uncertainty_summary)
    from .inputs.config import ConfigError
    from .outputs.output import ResultWriter

    from .outputs.report import sample_figure, sweep_figure

    try:
        spec = load_sweep(args.sweep)
    except ConfigError:
        if _looks_like_scenario(args.sweep):
            raise ConfigError(f"{args.sweep}: this is a scenario config, not a sweep file: run it with "
                              f"`run_sim.py run {args.sweep}` (or compare it with another)") from None
        raise
    points = build_points(spec, args.sweep, replications=args.reps, days=args.days,
                          warmup_days=args.warmup_days, seed=args.seed)
    out = _output_folder(Path(args.out or Path("results") / f"sweep_{spec.name}"))
    _check_precision_kpis(points[0].baseline, args)
    for point in points:  # a point that cannot fit is refused before the first one runs
        _check_memory([point.baseline, point.scenario], args)
    run = points[0].baseline.run
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        with executor_for(args) as executor:
            result = run_sweep(spec, points, progress=not args.quiet, checkpoints=checkpoints,
                               executor=executor, precision=precision_for(args))
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
        manifest = _manifest(args, {"baseline": points[0].baseline, "scenario": points[0].scenario},
                             time.perf_counter() - start, checkpoints)
        manifest["replications"] = max(o.replications for o in result.outcomes.values())
        manifest["replications_by_point"] = {str(k): o.replications for k, o in result.outcomes.items()}
        manifest["sweep"] = {"file": str(args.sweep), **spec.model_dump(mode="json"), "points": len(points)}
        writer.json("manifest.json", manifest)
        writer.commit()
    if not args.quiet:
        used = sorted({o.replications for o in result.outcomes.values()})
        reps = str(used[0]) if len(used) == 1 else f"{used[0]}-{used[-1]}"
        print(f"sweep {spec.name}: {len(points)} points ({spec.design}, varied in {spec.apply_to}), "
              f"{reps} paired replications x {run.days} days each")
        if precision_for(args) is not None:
            short = sum(1 for o in result.outcomes.values() if not o.reached)
            if short:
                print(f"warning: {short} point(s) did not reach +/-{args.precision:.0%} within {args.max_reps} "
                      "replications (see precision_reached in sweep.csv)", file=sys.stderr)
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
        shown = ["point", *spec.vary, "saving_mean_gbp", "saving_ci_low_gbp", "saving_ci_high_gbp",
                 "utc_within_4h_pct", "sda_redirections_front_door_per_day"]
        money = {c: (lambda v: f"{v:,.0f}") for c in shown if c.startswith("saving_")}
        kpis = {c: (lambda v: f"{v:,.1f}") for c in shown[-2:]}
        print(table[[c for c in shown if c in table.columns]].to_string(
            index=False, formatters={**money, **kpis}))
        print(f"\nResults in {out}/")
    _warn_single_replication(points[0].baseline, args)
    return 0


WARMUP_MIN_DAYS = 20
"""Shortest run ``warmup`` accepts: four MSER-5 batches of 5 days, enough to place a cut at all."""


def cmd_warmup(args) -> int:
    import pandas as pd

    from .experiments.runner import run_replications
    from .inputs.config import ConfigError, apply_overrides, load_config
    from .outputs.output import ResultWriter

    from .analysis.warmup import daily_kpis, warmup_table

    cfg = _load_scenario(args.config)
    configured = cfg.run.warmup_days
    cfg = apply_overrides(cfg, replications=args.reps, days=args.days, warmup_days=0, seed=args.seed)
    if cfg.run.days < WARMUP_MIN_DAYS:
        raise ConfigError(f"--days {cfg.run.days}: too short to find a warm-up; MSER-5 needs at least "
                          f"{WARMUP_MIN_DAYS} days (the config's warm-up is {configured}), e.g. --days 56")
    out = _output_folder(Path(args.out or Path("results") / f"warmup_{cfg.name}"))
    _check_memory([cfg], args, events=True, kept_event_logs=True)  # every daily event log is kept
    with executor_for(args) as executor:
        results = run_replications(cfg, events=True, progress=not args.quiet, label=f"warm-up {cfg.name}",
                                   executor=executor)
    daily = pd.concat([daily_kpis(r.events, cfg.run.days).assign(replication=r.replication) for r in results],
                      ignore_index=True)
    daily = daily[["replication", *[c for c in daily.columns if c != "replication"]]]
    table = warmup_table(daily)
    with ResultWriter(out) as writer:
        writer.csv("daily_kpis.csv", daily)
        writer.csv("warmup.csv", table)
        writer.commit()
    if not args.quiet:
        print(f"{cfg.name}: {cfg.run.replications} replications x {cfg.run.days} days from empty; "
              "MSER-5 truncation of the daily means")
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
        trusted = table[~table["at_search_limit"]]
        shaky = ", ".join(table.loc[table["at_search_limit"], "kpi"])
        print(f"\nWarm-up needed: {int(trusted['warmup_days'].max()) if len(trusted) else 'unknown'} days "
              f"(largest over the KPIs; the config uses {load_config(args.config).run.warmup_days})."
              + (f" No truncation to trust for {shaky} (at the end of the search: noise or no steady state)."
                 if shaky else "") + f" Results in {out}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code.

    While it runs, Ctrl-C, SIGTERM and SIGHUP stop the command once, however many arrive
    (:class:`~sim.experiments.executors.StopSignals`); the handlers found are put back at the end.
    """
    from .experiments.stop_signals import StopSignals, active_stop_signals

    stops = None if active_stop_signals() is not None else StopSignals().install()
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except KeyboardInterrupt as exc:  # before the command started (reading the command line)
        print("interrupted: no results were written", file=sys.stderr)
        return _exit_code(exc)
    except Exception:
        signum = _stop_requested()
        if signum is None:
            raise
        print("interrupted: no results were written", file=sys.stderr)
        return 128 + signum
    finally:
        if stops is not None:
            stops.restore()


def script() -> None:
    """``run_sim.py`` and the ``run-sim`` command: :func:`main`, then exit with its code.

    The stop signals are handled from here to the process's end, so a Ctrl-C at any moment is one
    line and exit 130 (143 for SIGTERM), never a traceback; after the command has finished, a
    signal changes nothing.
    """
    stops = None
    try:
        from .experiments.stop_signals import STOP_SIGNALS, StopSignals

        stops = StopSignals().install()
        code = main()
        stops.finishing()
    except KeyboardInterrupt as exc:
        print("interrupted: no results were written", file=sys.stderr)
        code = _exit_code(exc)
    # the command is over: a signal from now on changes nothing. Ignored, not handled, because
    # Python puts its handled signals back to their default (death) while it shuts down
    for signum in STOP_SIGNALS:
        if isinstance(signal.getsignal(signum), StopSignals):
            signal.signal(signum, signal.SIG_IGN)
    sys.exit(code)


MISSING_EXTRAS = {"streamlit": "app", "altair": "app", "dask": "dask", "distributed": "dask",
                  "SALib": "sensitivity", "sklearn": "calibrate", "optuna": "plan"}
"""Libraries that come with an extra of the package (``pip install -e '.[EXTRA]'``), not with the core."""


def _missing_extra(exc: ImportError) -> str | None:
    """The extra to install for a library that is missing, or ``None`` if it is not one of theirs."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    return MISSING_EXTRAS.get(name)


def _stop_requested() -> int | None:
    """The stop signal this process has received, if any."""
    from .experiments.stop_signals import active_stop_signals

    stops = active_stop_signals()
    return None if stops is None else stops.first


def _command(args) -> int:
    """Run the command; an error that follows a stop signal is the stop's doing, and reported as it.

    A library interrupted in the middle of its own code may turn the ``KeyboardInterrupt`` into an
    error of its own (an import turned into ``ImportError``, say); the user pressed Ctrl-C.
    """
    from .experiments.stop_signals import stop_exception

    try:
        if args.command == "run":
            return cmd_run(args)
        if args.command == "attribute":
            return cmd_attribute(args)
        if args.command == "sweep":
            return cmd_sweep(args)
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "app":
            return cmd_app(args)
        if args.command == "business-case":
            return cmd_business_case(args)
        if args.command == "warmup":
            return cmd_warmup(args)
        if args.command == "calibrate":
            return cmd_calibrate(args)
        if args.command == "psa":
            return cmd_psa(args)
        if args.command == "plan":
            return cmd_plan(args)
        return cmd_compare(args)
    except (KeyboardInterrupt, Interrupted):
        raise
    except Exception:
        signum = _stop_requested()
        if signum is None:
            raise
        raise stop_exception(signum) from None


def _dispatch(args) -> int:
    from .analysis.invariants import InvariantError
    from .inputs.config import ConfigError

    try:
        return _command(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InvariantError as exc:
        print(f"model error: {exc}", file=sys.stderr)
        return EXIT_MODEL_ERROR
    except Interrupted as exc:
        print(f"interrupted: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        print("interrupted: no results were written", file=sys.stderr)
        return _exit_code(exc)
    except OSError as exc:  # the machine, not the input: a full disk, a folder made read-only mid-run
        where = f" {_shorten(str(exc.filename))}" if exc.filename else ""
        print(f"error: cannot write{where} ({exc.strerror or type(exc).__name__}); nothing was published and "
              "earlier results, and replications already kept, are untouched", file=sys.stderr)
        return EXIT_BAD_INPUT
    except MemoryError:
        print(f"error: {args.command} ran out of memory although its estimate fitted; shorten run.days, "
              "lower demand or use fewer --jobs (no results were written)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ModuleNotFoundError as exc:
        extra = _missing_extra(exc)
        if extra is None:
            raise
        print(f"error: {args.command} needs {exc.name}, which comes with the [{extra}] extra: "
              f"pip install -e '.[{extra}]'", file=sys.stderr)
        return EXIT_BAD_INPUT


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit // 2]}...{text[-limit // 2:]}"


def cmd_calibrate(args) -> int:
    """``calibrate`` (its code, and the heavy libraries it needs, are imported when it runs)."""
    from .cli_calibrate import cmd_calibrate as calibrate

    return calibrate(args)


def cmd_psa(args) -> int:
    """``psa`` (its code, and the heavy libraries it needs, are imported when it runs)."""
    from .cli_psa import cmd_psa as psa

    return psa(args)


def cmd_plan(args) -> int:
    """``plan`` (its code, and the heavy libraries it needs, are imported when it runs)."""
    from .cli_plan import cmd_plan as plan

    return plan(args)


def cmd_business_case(args) -> int:
    """``business-case`` (its code, and the heavy libraries it needs, are imported when it runs)."""
    from .cli_business import cmd_business_case as business_case

    return business_case(args)
