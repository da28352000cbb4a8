"""Options the study commands (``calibrate``, ``psa``, ``plan``) share: run settings and where results go.

Each command words its own defaults (which file a default comes from, what an interrupted run
keeps); the options, their types and their order are the same everywhere.
"""

from __future__ import annotations


def add_run_settings(
    p, positive_int, add_scheduler_option, *, days_default: str, seed_help: str, warmup: bool = True
) -> None:
    """``--days`` [``--warmup-days``] ``--seed --jobs`` and the scheduler options."""
    p.add_argument(
        "--days",
        type=positive_int,
        default=None,
        help=f"simulated days per replication, warm-up included (default: {days_default})",
    )
    if warmup:
        p.add_argument("--warmup-days", type=int, help="days excluded from KPIs (default: as --days)")
    p.add_argument("--seed", type=int, default=None, help=seed_help)
    p.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="parallel processes on this machine; results are identical (default: 1)",
    )
    add_scheduler_option(p)


def add_output_options(p, *, default_out: str, resume_help: str) -> None:
    """``--out --quiet --no-resume``."""
    p.add_argument("--out", default=None, help=f"output folder (default: {default_out})")
    p.add_argument("--quiet", action="store_true", help="no progress bar or report (default: off)")
    p.add_argument("--no-resume", action="store_true", help=f"{resume_help} (default: off)")
