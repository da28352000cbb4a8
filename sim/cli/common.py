"""What the commands share: loading scenarios, the output folder, the manifest, resumable
checkpoints, the executor for ``--jobs``/``--scheduler``, the memory check and the warnings they print.

Everything here imports its heavy libraries when called, so the command line starts fast. No command
module imports another; each imports what it shares from here.
"""

from __future__ import annotations

import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line starts fast: each command imports what it uses, when it runs
    from ..experiments.checkpoint import CheckpointFolder
    from ..experiments.executors import Executor
    from ..experiments.precision import Outcome, Precision
    from ..experiments.runner import ReplicationRunner
    from ..inputs.config import Config

EXIT_BAD_INPUT = 2
EXIT_MODEL_ERROR = 3
EXIT_INTERRUPTED = 130


def executor_for(args) -> Executor:
    """The executor for ``--jobs`` / ``--scheduler`` (the scheduler wins)."""
    from ..experiments.executors import make_executor

    return make_executor(args.jobs, getattr(args, "scheduler", None))


def precision_for(args) -> Precision | None:
    """The ``--precision`` asked for, or ``None``."""
    from ..experiments.precision import Precision

    if getattr(args, "precision", None) is None:
        return None
    return Precision(args.precision, args.precision_kpis, args.max_reps)


def _load_scenario(path: str) -> Config:
    """A scenario config; a sweep file given instead is named as one."""
    from ..inputs.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError:
        if _looks_like_sweep(path):
            raise ConfigError(
                f"{path}: this is a sweep file, not a scenario: run it with `run_sim.py sweep {path}`"
            ) from None
        raise


def _looks_like_sweep(path: str) -> bool:
    from ..inputs.config import ConfigError, read_yaml_mapping

    try:
        data = read_yaml_mapping(Path(path), "config")
    except ConfigError:
        return False
    return "vary" in data and "scenario" in data


def _load(path: str, args) -> Config:
    from ..inputs.config import apply_overrides

    cfg = _load_scenario(path)
    cfg = apply_overrides(cfg, replications=args.reps, days=args.days, warmup_days=args.warmup_days, seed=args.seed)
    assignments = getattr(args, "assignments", [])
    if assignments:
        from ..inputs.overrides import set_parameters  # not the sweeps' module, which brings pandas

        cfg = set_parameters(cfg, assignments)
    _check_precision_kpis(cfg, args)
    return cfg


def kpi_names(cfg: Config) -> set[str]:
    """The KPIs a replication of ``cfg`` reports, from a one-day replication (a fraction of a second)."""
    from ..analysis.kpis import compute_kpis
    from ..inputs.config import apply_overrides
    from ..model.pathway import run_replication

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

    from ..analysis.output_analysis import ZERO_FILL_PREFIXES
    from ..inputs.config import ConfigError

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
        print(
            "warning: 1 replication gives no confidence interval (the interval columns are left "
            "empty); use --reps 2 or more",
            file=sys.stderr,
        )


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
    from ..experiments.checkpoint import CheckpointFolder

    checkpoints = CheckpointFolder(out, resume=not args.no_resume)
    kept = checkpoints.kept()
    if kept and not args.quiet and not args.no_resume:
        print(
            f"resuming: {kept} finished replication(s) from an interrupted run are kept in "
            f"{checkpoints.path}; those of this scenario are reused (--no-resume to run them again)",
            file=sys.stderr,
        )
    try:
        yield checkpoints
    except KeyboardInterrupt as exc:
        kept = checkpoints.kept()
        if not kept:
            raise
        raise Interrupted(
            f"no results were written; {kept} finished replication(s) are kept in {checkpoints.path}: "
            "run the same command again to continue from them",
            _exit_code(exc),
        ) from None
    if checkpoints.resumed() and not args.quiet:
        print(f"reused {checkpoints.resumed()} replication(s) kept from an interrupted run", file=sys.stderr)
    checkpoints.remove()


def _manifest(
    args, configs: dict[str, Config], seconds: float, checkpoints: CheckpointFolder, outcome: Outcome | None = None
) -> dict:
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
        "precision": None
        if getattr(args, "precision", None) is None
        else {
            "relative_half_width": args.precision,
            "kpis": list(args.precision_kpis),
            "max_replications": args.max_reps,
            "method": "Hoad, Robinson and Davies (2010), look-ahead 5",
            "reached": None if outcome is None else outcome.reached,
        },
        "run_seconds": round(seconds, 3),
        "resumed_replications": checkpoints.resumed(),
        "versions": versions,
        "configs": {role: cfg.model_dump(mode="json") for role, cfg in configs.items()},
    }


def _output_folder(path: Path) -> Path:
    """The output folder, refused before any work if results cannot or must not go there."""
    from ..outputs.output import check_output_folder

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
    from ..experiments.resources import check_fits

    for cfg in configs:
        check_fits(cfg, _processes(args), events, kept_event_logs=kept_event_logs)


def _run_arms(
    arms: dict[str, Config],
    args,
    checkpoints: CheckpointFolder,
    label: str,
    events: bool = False,
    events_dirs: dict[str, Path] | None = None,
) -> tuple[ReplicationRunner, Outcome]:
    """Run the arms of a command (paired: they use the same replications) through one executor.

    With ``events_dirs``, each arm's event logs are written to its folder as replications finish.
    """
    from ..experiments.precision import run_groups
    from ..experiments.runner import ReplicationRunner

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
        print(
            f"warning: +/-{args.precision:.0%} on {kpis} not reached within {args.max_reps} replications "
            f"(--max-reps); results use {outcome.replications}",
            file=sys.stderr,
        )


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[: limit // 2]}...{text[-limit // 2 :]}"


def _stop_requested() -> int | None:
    """The stop signal this process has received, if any."""
    from ..experiments.stop_signals import active_stop_signals

    stops = active_stop_signals()
    return None if stops is None else stops.first
