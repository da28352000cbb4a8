"""Will a run fit in memory? An estimate from the config, made before anything runs.

A replication holds every simulated patient in memory (their drawn attributes,
their event-log row and, while they are in the pathway, a SimPy process), so
its memory grows with the number of patients it expects. Measured on the
shipped current pathway: about 1.2 kB per patient, 2.8 kB per patient still
queued at the end of an overloaded run. The estimate takes the larger figure.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..inputs.config import Config, ConfigError
from ..model.arrivals import hourly_rates

BYTES_PER_PATIENT = 3_000
"""Memory of one simulated patient, kept or queued (measured: 1.2-2.8 kB)."""
EVENT_BYTES_PER_PATIENT = 300
"""Extra memory of one patient's event-log row while it is written out (measured: ~120 B)."""
BYTES_PER_PROCESS = 300_000_000
"""A Python process with the model's libraries loaded."""


def expected_patients(cfg: Config) -> float:
    """Expected patients of one replication: every channel's mean rate over the whole run."""
    per_week = sum(float(hourly_rates(profile).sum()) for profile in
                   (cfg.demand.walk_in, cfg.demand.nhs111, cfg.demand.practice_overflow))
    return per_week / 7.0 * cfg.run.days


def estimated_bytes(cfg: Config, jobs: int = 1, events: bool = False) -> int:
    """Memory the run needs at its peak: ``jobs`` replications at once (each in its own process)."""
    per_patient = BYTES_PER_PATIENT + (EVENT_BYTES_PER_PATIENT if events else 0)
    processes = max(1, min(jobs, cfg.run.replications))
    workers = processes if processes > 1 else 0
    return int(BYTES_PER_PROCESS * (1 + workers) + processes * expected_patients(cfg) * per_patient)


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


def check_fits(cfg: Config, jobs: int = 1, events: bool = False, available: int | None = None) -> None:
    """Refuse, in one line, a run whose estimated memory exceeds what this machine has free."""
    need = estimated_bytes(cfg, jobs, events)
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
