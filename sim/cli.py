"""Command line: ``run`` one scenario or ``compare`` two on common random numbers."""

from __future__ import annotations

import argparse
import platform
import signal
import sys
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

import pandas as pd

from .cli_business import add_parser as add_business_case_parser, cmd_business_case
from .experiments.attribution import attribute, resolve_order
from .experiments.checkpoint import CheckpointFolder
from .experiments.resources import check_fits
from .inputs.config import Config, ConfigError, apply_overrides, load_config
from .analysis.invariants import InvariantError
from .outputs.labels import with_labels
from .outputs.output import ResultWriter, check_output_folder
from .analysis.output_analysis import paired_comparison, summarise
from .experiments.runner import run_replications, summary_table
from .experiments.sweep import build_points, load_sweep, run_sweep, uncertainty_summary
from .experiments.validation import validate, validation_runs

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


def _add_run_options(p: argparse.ArgumentParser, events: bool = True) -> None:
    p.add_argument("--reps", type=int, help="replications (default: run.replications in the config)")
    p.add_argument("--days", type=int, help="simulated days per replication, warm-up included")
    p.add_argument("--warmup-days", type=int, help="days excluded from KPIs")
    p.add_argument("--seed", type=int, help="base seed of the random streams")
    p.add_argument("--jobs", type=_positive_int, default=1, help="parallel processes (results are identical)")
    p.add_argument("--out", default=None, help="output folder (default: results/<name>)")
    if events:
        p.add_argument("--events", action="store_true", help="also write the per-patient event log (parquet)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or report")
    p.add_argument("--no-resume", action="store_true",
                   help="run every replication afresh, discarding any kept by an interrupted run")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_sim.py",
        description="Tower Hamlets same-day urgent care pathway simulator.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one scenario")
    run.add_argument("config", help="scenario YAML, e.g. configs/current.yaml")
    _add_run_options(run)
    cmp_ = sub.add_parser("compare", help="run two scenarios on the same patients and compare them")
    cmp_.add_argument("baseline", help="baseline scenario YAML, e.g. configs/current.yaml")
    cmp_.add_argument("scenario", help="scenario YAML, e.g. configs/redesign.yaml")
    _add_run_options(cmp_)
    att = sub.add_parser(
        "attribute", help="split the saving of SCENARIO over BASELINE change by change (X1-X8)"
    )
    att.add_argument("baseline", help="baseline scenario YAML, e.g. configs/current.yaml")
    att.add_argument("scenario", help="scenario YAML, e.g. configs/redesign.yaml")
    att.add_argument("--order", default=None,
                     help="order the changes are switched on, e.g. x8,x5,x1 (the rest follow in number order)")
    _add_run_options(att)
    val = sub.add_parser("validate", help="the model's figures against the paper's and public ones")
    val.add_argument("current", nargs="?", default="configs/current.yaml", help="current pathway config")
    val.add_argument("redesign", nargs="?", default="configs/redesign.yaml", help="redesigned pathway config")
    _add_run_options(val, events=False)
    add_business_case_parser(sub, _add_run_options)
    swp = sub.add_parser("sweep", help="the saving over a grid of parameter values (a sweep file)")
    swp.add_argument("sweep", help="sweep YAML, e.g. configs/sweeps/ia_redirection.yaml")
    _add_run_options(swp, events=False)
    app = sub.add_parser("app", help="the web app: try inputs in the browser (Streamlit, on localhost)")
    app.add_argument("--port", type=_port, default=8501, help="port on localhost (default 8501)")
    return parser


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be at most 65535, got {value}")
    return value


def cmd_app(args) -> int:
    """Serve the web app on localhost with ``streamlit run`` until stopped (Ctrl-C)."""
    import subprocess

    script = Path(__file__).resolve().parent / "app" / "main.py"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "localhost",
               "--server.port", str(args.port), "--browser.gatherUsageStats", "false"]
    print(f"Web app on http://localhost:{args.port} (Ctrl-C to stop)", file=sys.stderr)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def _load(path: str, args) -> Config:
    cfg = load_config(path)
    return apply_overrides(
        cfg, replications=args.reps, days=args.days, warmup_days=args.warmup_days, seed=args.seed
    )


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM, SIGHUP) during a run; the message says what was kept."""

    def __init__(self, message: str, exit_code: int = EXIT_INTERRUPTED):
        super().__init__(message)
        self.exit_code = exit_code


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the run is, so it stops as on Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _exit_code(exc: KeyboardInterrupt) -> int:
    """128 + the signal's number, as a shell reports it: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


def _raise_stopped(signum, frame) -> None:
    raise Stopped(signum)


@contextmanager
def _stop_signals_like_ctrl_c():
    """While a command runs, SIGTERM and SIGHUP stop it the way Ctrl-C does (then the handlers are restored)."""
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {}
    try:
        for signum in wanted:
            previous[signum] = signal.signal(signum, _raise_stopped)
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def _resumable(out: Path, args):
    """The command's checkpoint folder; on Ctrl-C, say what it keeps; after success, remove it."""
    checkpoints = CheckpointFolder(out, resume=not args.no_resume)
    kept = checkpoints.kept()
    if kept and not args.quiet:
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


def _manifest(args, configs: dict[str, Config], seconds: float, checkpoints: CheckpointFolder) -> dict:
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
        "replications": first.run.replications,
        "days": first.run.days,
        "warmup_days": first.run.warmup_days,
        "jobs": args.jobs,
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
    total = comparison.set_index("kpi").loc["cost_total_annual_gbp"]
    print(
        f"\nRecurrent annual saving (baseline - scenario): GBP {total['saving_gbp_mean']:,.0f} "
        f"(95% CI {total['saving_gbp_ci_low']:,.0f} to {total['saving_gbp_ci_high']:,.0f}, "
        f"{int(total['n_reps'])} paired replications)"
    )


def _output_folder(path: Path) -> Path:
    """The output folder, refused before any work if results cannot or must not go there."""
    return check_output_folder(path)


def cmd_run(args) -> int:
    cfg = _load(args.config, args)
    out = _output_folder(Path(args.out or Path("results") / cfg.name))
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        results = run_replications(cfg, jobs=args.jobs, events=args.events, progress=not args.quiet, label=cfg.name,
                                   checkpoint=checkpoints.for_scenario(cfg, args.events),
                                   events_dir=writer.folder("events") if args.events else None)
        summary = summary_table(results)
        kpis = summarise(summary)
        writer.csv("summary.csv", summary)
        writer.csv("kpis.csv", kpis)
        writer.json("manifest.json", _manifest(args, {"scenario": cfg}, time.perf_counter() - start, checkpoints))
        writer.commit()
    if not args.quiet:
        _print_kpis(kpis, f"{cfg.name}: {cfg.run.replications} replications x {cfg.run.days} days")
        print(f"\nResults in {out}/")
    note = _instability_note(summary, cfg.name)
    if note:
        print(note, file=sys.stderr)
    return 0


def cmd_compare(args) -> int:
    # matplotlib is imported only by the commands that draw
    from .outputs.report import cost_change_by_route_figure

    base = _load(args.baseline, args)
    scen = _load(args.scenario, args)
    # both arms share the baseline's run settings, so replication r sees the same patients
    scen = scen.model_copy(update={"run": base.run})
    out = _output_folder(Path(args.out or Path("results") / f"{base.name}_vs_{scen.name}"))
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        tables = {}
        for role, cfg in (("baseline", base), ("scenario", scen)):
            results = run_replications(cfg, jobs=args.jobs, events=args.events, progress=not args.quiet,
                                       label=cfg.name, checkpoint=checkpoints.for_scenario(cfg, args.events),
                                       events_dir=writer.folder(f"{role}_events") if args.events else None)
            tables[role] = summary_table(results)
            writer.csv(f"{role}_summary.csv", tables[role])
            writer.csv(f"{role}_kpis.csv", summarise(tables[role]))
        comparison = paired_comparison(tables["baseline"], tables["scenario"])
        writer.csv("comparison.csv", with_labels(comparison))
        writer.figure("cost_change_by_route.png", cost_change_by_route_figure(comparison, base.name, scen.name))
        writer.json(
            "manifest.json",
            _manifest(args, {"baseline": base, "scenario": scen}, time.perf_counter() - start, checkpoints),
        )
        writer.commit()
    if not args.quiet:
        print(f"{base.name} vs {scen.name}: {base.run.replications} paired replications x {base.run.days} days")
        _print_comparison(comparison)
        print(f"\nResults in {out}/")
    notes = [n for n in (_instability_note(tables[r], c.name) for r, c in (("baseline", base), ("scenario", scen))) if n]
    for note in notes:
        print(note, file=sys.stderr)
    if notes:
        print("warning: the saving between these scenarios means nothing while one of them is unstable",
              file=sys.stderr)
    return 0


def cmd_attribute(args) -> int:
    from .outputs.report import attribution_figure

    base = _load(args.baseline, args)
    scen = _load(args.scenario, args)
    order = [x.strip() for x in args.order.split(",")] if args.order else None
    resolve_order(order)  # a bad --order stops here, before anything runs
    out = _output_folder(Path(args.out or Path("results") / f"{base.name}_vs_{scen.name}_attribution"))
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        table, summaries = attribute(base, scen, order=order, jobs=args.jobs, progress=not args.quiet,
                                     checkpoints=checkpoints)
        writer.csv("attribution.csv", table)
        writer.figure("attribution.png", attribution_figure(table))
        for label, summary in summaries.items():
            writer.csv(f"step_{label}_summary.csv", summary)
        writer.json("manifest.json", _manifest(args, {"baseline": base, "scenario": scen},
                                               time.perf_counter() - start, checkpoints))
        writer.commit()
    if not args.quiet:
        print(f"{base.name} -> {scen.name}: changes switched on one after another, "
              f"{base.run.replications} paired replications x {base.run.days} days")
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.1f}"))
        print(f"\nResults in {out}/")
    return 0


def _runs_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every run's per-replication KPIs in one long table, the run named in its first column."""
    runs = pd.concat([table.assign(run=label) for label, table in tables.items()], ignore_index=True)
    return runs[["run", *[c for c in runs.columns if c != "run"]]]


def cmd_validate(args) -> int:
    runs = validation_runs(_load(args.current, args), _load(args.redesign, args))
    first = runs["current"]
    out = _output_folder(Path(args.out or Path("results") / "validation"))
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        tables = {
            label: summary_table(run_replications(cfg, jobs=args.jobs, progress=not args.quiet, label=label,
                                                  checkpoint=checkpoints.for_scenario(cfg)))
            for label, cfg in runs.items()
        }
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


def cmd_sweep(args) -> int:
    from .outputs.report import sample_figure, sweep_figure

    spec = load_sweep(args.sweep)
    points = build_points(spec, args.sweep, replications=args.reps, days=args.days,
                          warmup_days=args.warmup_days, seed=args.seed)
    out = _output_folder(Path(args.out or Path("results") / f"sweep_{spec.name}"))
    for point in points:  # a point that cannot fit is refused before the first one runs
        check_fits(point.baseline, args.jobs)
        check_fits(point.scenario, args.jobs)
    run = points[0].baseline.run
    start = time.perf_counter()
    with ResultWriter(out) as writer, _resumable(out, args) as checkpoints:
        table, tables = run_sweep(spec, points, jobs=args.jobs, progress=not args.quiet, checkpoints=checkpoints)
        writer.csv("sweep.csv", table)
        varied, title = list(spec.vary), spec.description or spec.name
        uncertainty = None
        if spec.design == "sample":
            uncertainty = uncertainty_summary(table, varied, seed=run.seed)
            writer.csv("uncertainty.csv", uncertainty)
            writer.figure("sweep.png", sample_figure(table, varied, title))
        else:
            writer.figure("sweep.png", sweep_figure(table, varied, title))
        writer.csv("summaries.csv", _runs_table(tables))
        manifest = _manifest(args, {"baseline": points[0].baseline, "scenario": points[0].scenario},
                             time.perf_counter() - start, checkpoints)
        manifest["sweep"] = {"file": str(args.sweep), **spec.model_dump(mode="json"), "points": len(points)}
        writer.json("manifest.json", manifest)
        writer.commit()
    if not args.quiet:
        print(f"sweep {spec.name}: {len(points)} points ({spec.design}, varied in {spec.apply_to}), "
              f"{run.replications} paired replications x {run.days} days each")
        if uncertainty is not None:
            _print_uncertainty(uncertainty)
            print(f"\nResults in {out}/")
            return 0
        shown = ["point", *spec.vary, "saving_mean_gbp", "saving_ci_low_gbp", "saving_ci_high_gbp",
                 "utc_within_4h_pct", "sda_redirections_front_door_per_day"]
        money = {c: (lambda v: f"{v:,.0f}") for c in shown if c.startswith("saving_")}
        kpis = {c: (lambda v: f"{v:,.1f}") for c in shown[-2:]}
        print(table[[c for c in shown if c in table.columns]].to_string(
            index=False, formatters={**money, **kpis}))
        print(f"\nResults in {out}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    with _stop_signals_like_ctrl_c():
        return _dispatch(args)


def _dispatch(args) -> int:
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
        return cmd_compare(args)
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
