"""Command line: ``run`` one scenario or ``compare`` two on common random numbers, and the other commands.

The parser is in :mod:`.parser`, what the commands share in :mod:`.common`, and each command in a
module of its own (:mod:`.run` for ``run`` and ``compare``, :mod:`.attribute`, :mod:`.sweep`,
:mod:`.validate`, :mod:`.warmup`, :mod:`.app`, :mod:`.business_case`, :mod:`.calibrate`,
:mod:`.psa`, :mod:`.plan`), imported only when it runs. No command imports another or this module.
"""

from __future__ import annotations

import signal
import sys

from .common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_MODEL_ERROR,
    Interrupted,
    _exit_code,
    _shorten,
    _stop_requested,
)
from .parser import build_parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code.

    While it runs, Ctrl-C, SIGTERM and SIGHUP stop the command once, however many arrive
    (:class:`~sim.experiments.executors.StopSignals`); the handlers found are put back at the end.
    """
    from ..experiments.stop_signals import StopSignals, active_stop_signals

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
        from ..experiments.stop_signals import STOP_SIGNALS, StopSignals

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


MISSING_EXTRAS = {
    "streamlit": "app",
    "altair": "app",
    "dask": "dask",
    "distributed": "dask",
    "SALib": "sensitivity",
    "sklearn": "calibrate",
    "optuna": "plan",
}
"""Libraries that come with an extra of the package (``pip install -e '.[EXTRA]'``), not with the core."""


def _missing_extra(exc: ImportError) -> str | None:
    """The extra to install for a library that is missing, or ``None`` if it is not one of theirs."""
    name = (getattr(exc, "name", None) or "").split(".")[0]
    return MISSING_EXTRAS.get(name)


def _command(args) -> int:
    """Run the command; an error that follows a stop signal is the stop's doing, and reported as it.

    A library interrupted in the middle of its own code may turn the ``KeyboardInterrupt`` into an
    error of its own (an import turned into ``ImportError``, say); the user pressed Ctrl-C. Each
    command's module (and the heavy libraries it needs) is imported when it runs.
    """
    from ..experiments.stop_signals import stop_exception

    try:
        if args.command == "run":
            from .run import cmd_run

            return cmd_run(args)
        if args.command == "attribute":
            from .attribute import cmd_attribute

            return cmd_attribute(args)
        if args.command == "sweep":
            from .sweep import cmd_sweep

            return cmd_sweep(args)
        if args.command == "validate":
            from .validate import cmd_validate

            return cmd_validate(args)
        if args.command == "app":
            from .app import cmd_app

            return cmd_app(args)
        if args.command == "business-case":
            from .business_case import cmd_business_case

            return cmd_business_case(args)
        if args.command == "warmup":
            from .warmup import cmd_warmup

            return cmd_warmup(args)
        if args.command == "calibrate":
            from .calibrate import cmd_calibrate

            return cmd_calibrate(args)
        if args.command == "psa":
            from .psa import cmd_psa

            return cmd_psa(args)
        if args.command == "plan":
            from .plan import cmd_plan

            return cmd_plan(args)
        from .run import cmd_compare

        return cmd_compare(args)
    except (KeyboardInterrupt, Interrupted):
        raise
    except Exception:
        signum = _stop_requested()
        if signum is None:
            raise
        raise stop_exception(signum) from None


def _dispatch(args) -> int:
    from ..analysis.invariants import InvariantError
    from ..inputs.config import ConfigError

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
        print(
            f"error: cannot write{where} ({exc.strerror or type(exc).__name__}); nothing was published and "
            "earlier results, and replications already kept, are untouched",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except MemoryError:
        print(
            f"error: {args.command} ran out of memory although its estimate fitted; shorten run.days, "
            "lower demand or use fewer --jobs (no results were written)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    except ModuleNotFoundError as exc:
        extra = _missing_extra(exc)
        if extra is None:
            raise
        print(
            f"error: {args.command} needs {exc.name}, which comes with the [{extra}] extra: "
            f"pip install -e '.[{extra}]'",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT


__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_MODEL_ERROR", "Interrupted", "build_parser", "main", "script"]
