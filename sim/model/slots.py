"""Same-day appointment diaries: book the earliest free slot, never overbook.

A diary's slot times for a day come from ``slots_per_day`` spread evenly over the
session, or shared among clock hours by ``hour_weights``. A PCN diary may be
carved out into a pool for NHS 111 and a pool for practice overflow; otherwise
everyone books from one pool.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np

from ..inputs.calendar import MIN_PER_DAY, MIN_PER_HOUR, expand_weekly, type_of_day
from ..inputs.config import SlotDiary

POOLED = "all"
NHS111_POOL = "nhs111"
OVERFLOW_POOL = "overflow"


def slots_by_hour(n: int, weights: np.ndarray) -> np.ndarray:
    """Share ``n`` whole slots among 24 hours in proportion to ``weights`` (largest remainders).

    Ties in the remainders go to the earlier hour; the counts always sum to ``n``.
    """
    quota = n * weights / weights.sum()
    counts = np.floor(quota).astype(int)
    short = n - int(counts.sum())
    if short > 0:
        order = np.argsort(-(quota - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def day_slot_times(spec: SlotDiary, weekday: int) -> np.ndarray:
    """Start times (minutes from midnight) of one weekday's slots, in order."""
    n = spec.slots_per_day[weekday]
    start = spec.session_start_hour * MIN_PER_HOUR
    end = spec.session_end_hour * MIN_PER_HOUR
    if n == 0 or end <= start:
        return np.empty(0)
    if spec.hour_weights is None:
        return start + np.arange(n) * ((end - start) / n)
    weights = expand_weekly(spec.hour_weights).reshape(7, 24)[weekday]
    times = []
    for hour, k in enumerate(slots_by_hour(n, weights).tolist()):
        if k == 0:
            continue
        lo = max(hour * MIN_PER_HOUR, start)
        hi = min((hour + 1) * MIN_PER_HOUR, end)
        times.append(lo + np.arange(k) * ((hi - lo) / k))
    return np.concatenate(times)


def pool_of_slots(n: int, share: float) -> list[bool]:
    """Which of a day's ``n`` slots (in time order) belong to a carved-out share, spread evenly.

    Slot ``j`` belongs to the share when ``round((j + 1) * share)`` steps up, so the share
    holds ``round(n * share)`` slots (halves rounded up) interleaved through the day.
    """
    return [np.floor((j + 1) * share + 0.5) > np.floor(j * share + 0.5) for j in range(n)]


class _Pool:
    """The slots of one pool, day by day, with the earliest still-bookable slot of each day."""

    def __init__(self, day_times: list[list[float]]):
        self.day_times = day_times
        self.booked = [np.zeros(len(times), dtype=bool) for times in day_times]
        self.next_free = [0] * len(day_times)
        self.last = [times[-1] if times else -np.inf for times in day_times]
        self.refused: list[set[int]] = [set() for _ in day_times]

    def refused_while_unused(self, first_day: int, day_weight=None) -> float:
        """Patients refused on a day (from ``first_day``) on which a slot of this pool went unused.

        With ``day_weight`` (one weight per day from ``first_day``), each day's count is weighted.
        """
        days = range(first_day, len(self.day_times))
        if day_weight is None:
            return sum(len(self.refused[d]) for d in days if not self.booked[d].all())
        return float(sum(len(self.refused[d]) * day_weight[d - first_day] for d in days if not self.booked[d].all()))


class SlotBook:
    """One provider's slots over the whole run.

    A booking made at time ``t`` takes the earliest free slot of the same day
    starting at or after ``t + booking_lead_min``, or fails; ``book_next_day``
    takes the earliest free slot of the following day. Each failed booking is
    recorded by day, so that patients refused while slots of the same day went
    unused can be counted.

    Parameters
    ----------
    spec : SlotDiary
        The provider's diary from the config.
    days : int
        Days in the run.
    start_weekday : int or ndarray
        Weekday of day 0, or the weekday pattern each day follows.
    name : str
        Provider name, for messages and KPIs.
    """

    def __init__(self, spec: SlotDiary, days: int, start_weekday: int, name: str):
        self.name = name
        self.lead = float(spec.booking_lead_min)
        self.appointment_min = float(spec.appointment_min)
        by_weekday = [day_slot_times(spec, weekday).tolist() for weekday in range(7)]
        whole = [
            [day * MIN_PER_DAY + t for t in by_weekday[int(type_of_day(day, start_weekday))]] for day in range(days)
        ]
        if spec.carve_out is None:
            self.pools = {POOLED: _Pool(whole)}
        else:
            share = spec.carve_out.nhs111
            flags = [pool_of_slots(len(times), share) for times in whole]
            self.pools = {
                NHS111_POOL: _Pool([[t for t, f in zip(ts, fs) if f] for ts, fs in zip(whole, flags)]),
                OVERFLOW_POOL: _Pool([[t for t, f in zip(ts, fs) if not f] for ts, fs in zip(whole, flags)]),
            }
        self.days = days

    @property
    def day_times(self) -> list[list[float]]:
        """Each day's slot start times, all pools together, in time order."""
        return [sorted(t for p in self.pools.values() for t in p.day_times[d]) for d in range(self.days)]

    def _pool(self, pool: str | None) -> _Pool:
        """The pool to book from: the named share of a carved-out diary, or the only pool."""
        if POOLED in self.pools:
            return self.pools[POOLED]
        return self.pools[pool]

    def _take(self, p: _Pool, day: int, earliest: float) -> float | None:
        times = p.day_times[day]
        i = max(p.next_free[day], bisect_left(times, earliest))
        if i >= len(times):
            return None
        if p.booked[day][i]:
            raise RuntimeError(f"{self.name}: slot {times[i]} double-booked")
        p.booked[day][i] = True
        p.next_free[day] = i + 1
        return times[i]

    def earliest(self, t: float, pool: str | None = None) -> float | None:
        """Start of the slot ``book(t, pool)`` would take, without booking it; ``None`` if none is left."""
        day = int(t // MIN_PER_DAY)
        if day >= self.days:
            return None
        p = self._pool(pool)
        times = p.day_times[day]
        i = max(p.next_free[day], bisect_left(times, t + self.lead))
        return times[i] if i < len(times) else None

    def book(self, t: float, pool: str | None = None, who: int | None = None) -> float | None:
        """Book the earliest free slot today at or after ``t + lead``; its start time, or ``None``.

        ``pool`` names the carved-out share to book from (ignored by a pooled diary);
        ``who`` (a patient id) is recorded as refused if no slot is found.
        """
        day = int(t // MIN_PER_DAY)
        if day >= self.days:
            return None
        p = self._pool(pool)
        slot = self._take(p, day, t + self.lead)
        if slot is None and who is not None:
            p.refused[day].add(who)
        return slot

    def book_next_day(self, t: float, pool: str | None = None) -> float | None:
        """Book the earliest free slot of the day after ``t`` (lead time kept); its start, or ``None``."""
        day = int(t // MIN_PER_DAY) + 1
        if day >= self.days:
            return None
        return self._take(self._pool(pool), day, t + self.lead)

    def is_open(self, t: float, pool: str | None = None) -> bool:
        """Whether a booking made at ``t`` could still reach one of today's slot times.

        A failed booking while open means the slots ran out: a patient who wanted
        SDA and found no slot. Before the last slot time less the lead, a diary
        is open even if every slot is taken.
        """
        day = int(t // MIN_PER_DAY)
        p = self._pool(pool)
        return day < self.days and t + self.lead <= p.last[day]

    def slot_times(self) -> np.ndarray:
        """Start times of every slot in the run (pool by pool)."""
        return np.array([t for p in self.pools.values() for times in p.day_times for t in times], dtype=float)

    def booked_flags(self) -> np.ndarray:
        """Whether each slot (in ``slot_times`` order) was booked."""
        flags = [b for p in self.pools.values() for b in p.booked]
        return np.concatenate(flags) if flags else np.zeros(0, dtype=bool)

    def refused_while_unused(self, first_day: int = 0, day_weight=None) -> float:
        """Patients refused a slot on a day (from ``first_day``) while a slot of their pool went unused.

        The unused slot lay at another hour: earlier, or too soon to reach. With
        ``day_weight`` (a weight per day from ``first_day``) the days are weighted.
        """
        return sum(p.refused_while_unused(first_day, day_weight) for p in self.pools.values())
