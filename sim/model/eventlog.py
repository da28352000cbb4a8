"""Per-patient record of one replication, kept in preallocated column arrays.

Times are minutes from the start of the run; ``NaN`` means the step did not
happen. ``activities`` is a bit mask of the services a patient used; together
with the channel it names the patient's route and prices it.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import numpy as np

from ..inputs.activities import ACTIVITIES
from .patients import CHANNELS

if TYPE_CHECKING:  # pandas is imported where a table is made, so a run starts fast
    import pandas as pd

# Services a patient can use, in route order (sim/inputs/activities.py). The bit is 1 << position.
BIT = {name: 1 << i for i, name in enumerate(ACTIVITIES)}
REATTEND_MASK = BIT["gp_reattend"] | BIT["gp_reattend_utc"]
"""Reattendances at the patient's own GP, after SDA and after a UTC visit."""
ROUTE_MASK = sum(BIT.values()) & ~REATTEND_MASK  # a reattendance is priced, not part of the route name

OUTCOMES = ("in_system", "ed", "utc", "sda", "gp_practice", "pharmacy", "self_care", "ambulance")
OUT = {name: i for i, name in enumerate(OUTCOMES)}

TIME_COLUMNS = (
    "door_arrival",
    "ia_start",
    "ia_end",
    "utc_join",
    "utc_start",
    "utc_end",
    "ed_join",
    "ed_start",
    "ed_end",
    "sda_booked_at",
    "sda_slot",
    "left_unseen",
    "end",
)
"""``left_unseen``: when a patient waiting for the UTC clinician or an ED cubicle gave up and left."""


def route_name(channel: int, activities: int) -> str:
    """Readable route, e.g. ``walk_in:ia>utc>sda_gpcg``."""
    steps = [name for name in ACTIVITIES if activities & ROUTE_MASK & BIT[name]]
    return f"{CHANNELS[channel]}:" + (">".join(steps) if steps else "none")


class EventLog:
    """Columns for ``n`` patients; filled in by the model as patients move.

    The model writes single entries millions of times a year, which numpy
    arrays take slowly, so while it runs the times are kept in ``array.array``
    columns of doubles and the rest in Python lists (both take an entry
    several times faster). :meth:`close` turns them into numpy arrays once, at
    the end of the run; everything after the run reads the numpy arrays.
    """

    def __init__(self, n: int):
        self.n = n
        for name in TIME_COLUMNS:
            setattr(self, name, array("d", [np.nan]) * n)
        self.activities = [0] * n
        self.outcome = [0] * n
        self.sda_no_slot = [False] * n

    def close(self) -> None:
        """Turn the columns written during the run into numpy arrays (times in float64)."""
        for name in TIME_COLUMNS:
            setattr(self, name, np.array(getattr(self, name), dtype=float))
        self.activities = np.array(self.activities, dtype=np.int32)
        self.outcome = np.array(self.outcome, dtype=np.int8)
        self.sda_no_slot = np.array(self.sda_no_slot, dtype=bool)

    def to_frame(self, channel: np.ndarray, arrival: np.ndarray) -> pd.DataFrame:
        """The log as a table: one row per patient with route, outcome and step times."""
        import pandas as pd

        routes = np.array([route_name(c, a) for c, a in zip(channel.tolist(), self.activities.tolist())])
        frame = pd.DataFrame(
            {
                "patient_id": np.arange(self.n, dtype=np.int64),
                "channel": pd.Categorical.from_codes(channel, CHANNELS),
                "route": pd.Categorical(routes),
                "outcome": pd.Categorical.from_codes(self.outcome, OUTCOMES),
                "arrival": arrival,
            }
        )
        for name in TIME_COLUMNS:
            frame[name] = getattr(self, name)
        frame["sda_no_slot"] = self.sda_no_slot
        frame["gp_reattend"] = (self.activities & BIT["gp_reattend"]) != 0
        frame["gp_reattend_utc"] = (self.activities & BIT["gp_reattend_utc"]) != 0
        return frame
