"""What one replication gives back, and the key its results are kept under.

The types and the key are shared by the modules that run replications (:mod:`.runner`), keep
them on disk (:mod:`.checkpoint`) or in memory (:mod:`.store`); they import nothing of those
modules, so imports among them run one way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from ..inputs.config import Config


SDA_DIARIES = ("gpcg_sda", "pcn_sda")
"""The SDA services whose slot use by weekday and hour a replication can keep (the app charts it)."""


@dataclass(frozen=True)
class SlotUse:
    """SDA slots and bookings by provider (``SDA_DIARIES``), weekday and hour, after the warm-up.

    ``slots`` and ``booked`` have shape (provider, weekday, hour).
    """

    slots: np.ndarray
    booked: np.ndarray


@dataclass
class ReplicationResult:
    """KPIs (and optionally the event log and the SDA slot use) of one replication."""

    replication: int
    kpis: dict[str, float]
    events: pd.DataFrame | None = None
    slot_use: SlotUse | None = None


def replication_key(cfg: Config, fingerprint: str = "") -> str:
    """The key of a replication's results: a hash of every parameter that sets its numbers.

    The name, description and number of replications are left out. ``fingerprint``
    (from :func:`sim.experiments.checkpoint.code_fingerprint`) adds the code the
    numbers depend on, for a store that outlives the program.
    """
    data = cfg.model_dump(mode="json", exclude={"name", "description"})
    data["run"].pop("replications", None)
    text = json.dumps(data, sort_keys=True) + fingerprint
    return hashlib.sha256(text.encode()).hexdigest()
