"""Same-day appointment diaries: book the earliest free slot today, never overbook."""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from ..inputs.calendar import MIN_PER_DAY, MIN_PER_HOUR, weekday_of_day
from ..inputs.config import SlotDiary


class SlotBook:
    """One provider's same-day slots over the whole run.

    Each day's ``slots_per_day[weekday]`` appointments start at even intervals
    across the session (``start + k * session / n``). A booking made at time
    ``t`` takes the earliest free slot of the same day starting at or after
    ``t + booking_lead_min``, or fails.

    Parameters
    ----------
    spec : SlotDiary
        The provider's diary from the config.
    days : int
        Days in the run.
    start_weekday : int
        Weekday of day 0.
    name : str
        Provider name, for messages and KPIs.
    """

    def __init__(self, spec: SlotDiary, days: int, start_weekday: int, name: str):
        self.name = name
        self.lead = float(spec.booking_lead_min)
        self.appointment_min = float(spec.appointment_min)
        start = spec.session_start_hour * MIN_PER_HOUR
        length = (spec.session_end_hour - spec.session_start_hour) * MIN_PER_HOUR
        self.day_times: list[list[float]] = []
        self.day_last: list[float] = []
        for day in range(days):
            n = spec.slots_per_day[int(weekday_of_day(day, start_weekday))]
            if length <= 0:
                n = 0
            offsets = np.arange(n) * (length / n) if n else np.empty(0)
            self.day_times.append((day * MIN_PER_DAY + start + offsets).tolist())
            self.day_last.append(self.day_times[-1][-1] if n else -np.inf)
        self.booked = [np.zeros(len(times), dtype=bool) for times in self.day_times]
        self._next_free = [0] * days

    def book(self, t: float) -> float | None:
        """Book the earliest free slot today at or after ``t + lead``; its start time, or ``None``."""
        day = int(t // MIN_PER_DAY)
        if day >= len(self.day_times):
            return None
        times = self.day_times[day]
        i = max(self._next_free[day], bisect_left(times, t + self.lead))
        if i >= len(times):
            return None
        booked = self.booked[day]
        if booked[i]:
            raise RuntimeError(f"{self.name}: slot {times[i]} double-booked")
        booked[i] = True
        self._next_free[day] = i + 1
        return times[i]

    def is_open(self, t: float) -> bool:
        """Whether a booking made at ``t`` could still reach one of today's slot times.

        A failed booking while open means the slots ran out: a patient who wanted
        SDA and found no slot. Before the last slot time less the lead, a diary
        is open even if every slot is taken.
        """
        day = int(t // MIN_PER_DAY)
        return day < len(self.day_last) and t + self.lead <= self.day_last[day]

    def slot_times(self) -> np.ndarray:
        """Start times of every slot in the run."""
        return np.array([t for times in self.day_times for t in times], dtype=float)

    def booked_flags(self) -> np.ndarray:
        """Whether each slot (in ``slot_times`` order) was booked."""
        if not self.booked:
            return np.zeros(0, dtype=bool)
        return np.concatenate(self.booked)
