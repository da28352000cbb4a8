"""A staffed place where patients queue first-come first-served: reception, IA, UTC, ED.

Staffing follows an hourly weekly rota. A member of staff who goes off duty
finishes the patient in hand (no pre-emption). The waiting line is a deque, so
the cost of a request does not grow with the queue (unlike
``simpy.PriorityResource``, which re-sorts its queue on every request).

A patient who has to queue waits on a :class:`Ticket`. When a server takes
them, the station calls the patient back at once, where a SimPy event would be
scheduled and processed later in the same instant: about a fifth of a year's events
saved. The patient called back only starts their service (or, at a station
they leave when their patience runs out, records that they had left), so the
order in which things happen within the instant changes no result.
"""

from __future__ import annotations

from collections import deque

import numpy as np
import simpy

from ..inputs.calendar import HOURS_PER_DAY, HOURS_PER_WEEK, MIN_PER_HOUR, hour_of_pattern


class Ticket:
    """A patient's place in a station's queue, to be yielded by the patient's process like a SimPy event.

    The station calls the ``callbacks`` (the waiting process's resume) with the
    ticket when a server takes the patient (``value`` True) or finds they had
    left (False). It has what a SimPy process reads from an event it waits on.
    """

    __slots__ = ("callbacks", "_ok", "_value", "deadline", "pid")

    def __init__(self, deadline: float = float("inf"), pid: int = -1):
        self.callbacks: list | None = []
        self._ok = True
        self._value = None
        self.deadline = deadline
        self.pid = pid

    @property
    def value(self):
        return self._value

    def call(self, value: bool) -> None:
        """Resume the waiting patient now, with ``value`` (taken by a server, or had left)."""
        self._value = value
        callbacks, self.callbacks = self.callbacks, None
        for callback in callbacks:
            callback(self)


class Station:
    """FIFO multi-server queue whose number of servers follows an hourly rota.

    Parameters
    ----------
    env : simpy.Environment
    rota : ndarray of shape (168,)
        Servers on duty in each hour of the week, Monday 00:00 first.
    start_weekday : int or ndarray
        Weekday of simulation time 0, or the weekday pattern each day follows.
    name : str
        For messages.
    """

    def __init__(self, env: simpy.Environment, rota: np.ndarray, start_weekday: int, name: str):
        self.env = env
        self.name = name
        self.rota = np.asarray(rota, dtype=np.int64)
        self.start_weekday = start_weekday
        self.capacity = int(self.rota[hour_of_pattern(0.0, start_weekday)])
        self.busy = 0
        self.queue: deque[Ticket] = deque()
        self.served = 0
        if np.any(self.rota != self.rota[0]):
            env.process(self._follow_rota())

    def request(self) -> Ticket | None:
        """Join the queue. Returns ``None`` when a server is free now, else a ticket to wait on."""
        if self.busy < self.capacity and not self.queue:
            self.busy += 1
            return None
        ticket = Ticket()
        self.queue.append(ticket)
        return ticket

    def release(self) -> None:
        """A server finishes with its patient and takes the next one if still on duty."""
        self.busy -= 1
        self.served += 1
        if self.queue:
            self._start_waiting()

    def _start_waiting(self) -> None:
        queue = self.queue
        while queue and self.busy < self.capacity:
            self.busy += 1
            queue.popleft().call(True)

    def on_duty(self, hour: int) -> int:
        """Servers the rota puts on duty in hour ``hour`` of the run (hour 0 starts at time 0)."""
        return int(self.rota[hour_of_pattern(hour * MIN_PER_HOUR, self.start_weekday)])

    def next_change(self, hour: int) -> int | None:
        """The first hour after ``hour`` whose number on duty differs from that of ``hour``; ``None`` if none does.

        A weekly rota repeats every week; a pattern of day types (bank holidays)
        keeps its last day's type after its end, so repeats every day from then.
        """
        if isinstance(self.start_weekday, (int, np.integer)):
            last = hour + HOURS_PER_WEEK
        else:
            last = max(hour, len(self.start_weekday) * HOURS_PER_DAY) + HOURS_PER_DAY
        now = self.on_duty(hour)
        for later in range(hour + 1, last + 1):
            if self.on_duty(later) != now:
                return later
        return None

    def _follow_rota(self):
        """Change the number on duty at each hour the rota changes it.

        The process wakes only at those hours: waking at every hour, as it
        once did, cost two events in three for nothing.
        """
        env = self.env
        hour = int(env.now // MIN_PER_HOUR)
        while True:
            hour = self.next_change(hour)
            if hour is None:
                return
            yield env.timeout(hour * MIN_PER_HOUR - env.now)
            self.capacity = self.on_duty(hour)
            self._start_waiting()


class ImpatientStation(Station):
    """A ``Station`` whose waiting patients leave once their patience runs out (left without being seen).

    ``request(deadline, pid)`` queues a patient who will wait until ``deadline``
    at most. The ticket a patient waits on gives ``True`` when a server takes
    them, or ``False`` when they had left. Leaving is found out when a
    server comes free (or at the end of the run, :meth:`still_waiting`), not at
    the deadline itself: in a first-come first-served queue that changes nobody
    else's service, since a patient who left would never have taken a server, and
    the patient's record carries the deadline as the time they left.
    """

    def __init__(self, env: simpy.Environment, rota: np.ndarray, start_weekday, name: str):
        super().__init__(env, rota, start_weekday, name)
        self.left = 0

    def request(self, deadline: float = float("inf"), pid: int = -1) -> Ticket | None:
        """Join the queue until ``deadline``; ``None`` when a server is free now, else a ticket to wait on."""
        if self.busy < self.capacity and not self.queue:
            self.busy += 1
            return None
        ticket = Ticket(deadline, pid)
        self.queue.append(ticket)
        return ticket

    def _start_waiting(self) -> None:
        queue, now = self.queue, self.env.now
        while queue and self.busy < self.capacity:
            ticket = queue.popleft()
            if ticket.deadline < now:  # gave up before a server came free
                self.left += 1
                ticket.call(False)
                continue
            self.busy += 1
            ticket.call(True)

    def still_waiting(self) -> list[tuple[int, float]]:
        """``(patient id, deadline)`` of everyone still in the queue (at the end of a run)."""
        return [(ticket.pid, ticket.deadline) for ticket in self.queue]
