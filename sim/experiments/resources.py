"""Will a run fit in memory? An estimate from the config, made before anything runs.

A replication holds every simulated patient in memory (their drawn attributes,
their event-log row and, while they are in the pathway, a SimPy process), so
its memory grows with the number of patients it expects, on every demand
channel (walk-ins, NHS 111, practice overflow, induced demand, and any channel
the config adds). Measured on this machine (``tests/functional/test_reliability_memory.py``
checks the estimate against measured peaks on three sizes): a process with the
model's libraries loaded holds about 135 MB; each patient about 1.1 kB when
patients flow through, 1.9 kB when most of them queue (an overloaded run).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..inputs.config import ArrivalProfile, Config, ConfigError
from ..model.arrivals import hourly_rates

BYTES_PER_PATIENT = 2_000
"""Memory of one simulated patient, kept or queued (measured: 1.1-1.9 kB)."""
EVENT_BYTES_PER_PATIENT = 300
"""Extra memory of one patient's event-log row while it is written out (measured: ~120 B)."""
KEPT_EVENT_BYTES_PER_PATIENT = 150
"""Memory of one patient's row in an event-log table kept until the end of the run (``warmup``)."""
BYTES_PER_PROCESS = 200_000_000
"""A Python process with the model's libraries loaded (measured: 135 MB before the costing table, the
KPI registry and the parameter space; the measured peaks of short runs now call for about 200 MB)."""


def demand_channels(cfg: Config) -> dict[str, ArrivalProfile]:
    """Every demand channel of the config by name, whatever channels it has."""
    return {
        name: getattr(cfg.demand, name)
        for name in type(cfg.demand).model_fields
        if isinstance(getattr(cfg.demand, name), ArrivalProfile)
    }


def expected_patients(cfg: Config) -> float:
    """Expected patients of one replication: every channel's mean rate over the whole run."""
    per_week = sum(float(hourly_rates(profile).sum()) for profile in demand_channels(cfg).values())
    return per_week / 7.0 * cfg.run.days


def estimated_bytes(cfg: Config, jobs: int = 1, events: bool = False, kept_event_logs: bool = False) -> int:
    """Memory the run needs at its peak: ``jobs`` replications at once (each in its own process).

    ``kept_event_logs``: every replication's event log stays in memory until the run ends
    (the ``warmup`` command), rather than being written out as each replication finishes.
    """
    per_patient = BYTES_PER_PATIENT + (EVENT_BYTES_PER_PATIENT if events else 0)
    processes = max(1, min(jobs, cfg.run.replications))
    workers = processes if processes > 1 else 0
    kept = cfg.run.replications * expected_patients(cfg) * KEPT_EVENT_BYTES_PER_PATIENT if kept_event_logs else 0
    return int(BYTES_PER_PROCESS * (1 + workers) + processes * expected_patients(cfg) * per_patient + kept)


def available_bytes() -> int:
    """Memory available to new processes (``MemAvailable`` on Linux, else all physical memory)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not a POSIX system
        return 2**63 - 1


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB"


def check_fits(
    cfg: Config, jobs: int = 1, events: bool = False, available: int | None = None, kept_event_logs: bool = False
) -> None:
    """Refuse, in one line, a run whose estimated memory exceeds what this machine has free."""
    need = estimated_bytes(cfg, jobs, events, kept_event_logs)
    have = available_bytes() if available is None else available
    if need > have:
        patients = expected_patients(cfg)
        processes = max(1, min(jobs, cfg.run.replications))
        raise ConfigError(
            f"{cfg.name}: needs about {_gb(need)} of memory ({patients:,.0f} patients per replication x "
            f"{(BYTES_PER_PATIENT + (EVENT_BYTES_PER_PATIENT if events else 0)) / 1000:g} kB, "
            f"{processes} at once) but {_gb(have)} is available: shorten run.days, lower demand "
            "or use fewer --jobs"
        )
