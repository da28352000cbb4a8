"""Ctrl-C, SIGTERM and SIGHUP: how a command stops, once, however many signals arrive and whenever.

Kept apart from the executors (and light: the standard library only) so the command line can
handle these signals from its first line, before it imports anything heavy.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that stop a run the way Ctrl-C does: replications in hand finish and are kept."""
RERAISE_AFTER_SECONDS = 0.05
"""Delay before a swallowed stop is raised again (see :meth:`StopSignals._unraisable`)."""
FORCE_AFTER_SECONDS = 10.0
"""A stop signal this long after the first one ends the process at once (workers die with it)."""


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the run is, so it stops as on Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def stop_exception(signum: int) -> KeyboardInterrupt:
    """What a stop signal raises: ``KeyboardInterrupt`` for Ctrl-C, :class:`Stopped` for the others."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Stopped(signum)


class StopSignals:
    """The process's handler of Ctrl-C, SIGTERM and SIGHUP while a command runs: one stop, however many signals.

    The first signal raises where the main thread is (``KeyboardInterrupt`` or :class:`Stopped`), so
    the run stops as on Ctrl-C: replications in hand finish and are kept, the rest are cancelled.
    Further signals do not interrupt that clean-up (an exception inside it would leave a pool's
    threads waiting on idle workers): they end a process pool's workers at once instead, giving up
    the replications in hand (see :meth:`hurried_by`); one arriving ``FORCE_AFTER_SECONDS`` after
    the first ends the process at once, and its workers die with it. A first stop swallowed where
    Python cannot raise (a weak reference's callback) is raised again a moment later. Inside :meth:`held` the first signal waits for the
    end of the block; after :meth:`finishing` (results published) signals change nothing. A signal
    ignored when the handler is installed stays ignored (``nohup``, a shell's background job).
    """

    def __init__(self):
        self.first: int | None = None
        self._when = 0.0
        self._held = 0
        self._pending: int | None = None
        self._finishing = False
        self._previous: dict[int, Any] = {}
        self._hurry: list[Callable[[], None]] = []
        self._swallowed = False
        self._previous_hook: Any = None

    def install(self) -> StopSignals:
        """Handle the stop signals in this process (main thread only; elsewhere nothing changes)."""
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) == signal.SIG_IGN:
                continue  # ignored by whoever started us (nohup): keep it so
            self._previous[signum] = signal.signal(signum, self)
        self._previous_hook, sys.unraisablehook = sys.unraisablehook, self._unraisable
        return self

    def _unraisable(self, unraisable) -> None:
        """A stop raised where Python cannot raise (a ``__del__``, a weak reference's callback) is
        swallowed there: have it raised again as soon as the main thread runs its own code."""
        if isinstance(unraisable.exc_value, KeyboardInterrupt) and self.first is not None:
            self._swallowed = True
            # sent again a moment later, from another thread: the handler then runs in the main
            # thread's own code, not in this hook
            timer = threading.Timer(RERAISE_AFTER_SECONDS, os.kill, args=(os.getpid(), self.first))
            timer.daemon = True
            timer.start()
            return
        (self._previous_hook or sys.__unraisablehook__)(unraisable)

    def restore(self) -> None:
        """Put back the handlers found by :meth:`install`."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
        if self._previous_hook is not None and sys.unraisablehook == self._unraisable:
            sys.unraisablehook = self._previous_hook
        self._previous_hook = None

    def __call__(self, signum, frame) -> None:
        if self._finishing:
            return
        if self._swallowed:  # the first stop was swallowed where it was raised: raise it again
            self._swallowed = False
            if self._held:
                self._pending = self.first
                return
            raise stop_exception(self.first)
        if self.first is None:
            self.first, self._when = signum, time.monotonic()
            if self._held:
                self._pending = signum
                return
            raise stop_exception(signum)
        for hurry in list(self._hurry):  # Ctrl-C again: do not wait for the replications in hand
            hurry()
        if time.monotonic() - self._when > FORCE_AFTER_SECONDS:
            # the clean-up of the first stop is taking too long: end now (workers die with us)
            sys.stderr.write("interrupted: stopped at once; no results were written\n")
            os._exit(128 + self.first)

    @contextmanager
    def held(self):
        """A block a first stop signal does not interrupt: it is raised when the block ends."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._pending is not None and not self._finishing:
                signum, self._pending = self._pending, None
                raise stop_exception(signum)

    @contextmanager
    def hurried_by(self, hurry: Callable[[], None]):
        """While the block runs, a further stop signal calls ``hurry`` (e.g. to end the workers at once)."""
        self._hurry.append(hurry)
        try:
            yield
        finally:
            self._hurry.remove(hurry)

    def finishing(self) -> None:
        """The results are published: from now on a stop signal changes nothing."""
        self._finishing = True


def active_stop_signals() -> StopSignals | None:
    """The :class:`StopSignals` handling Ctrl-C in this process, if one is installed."""
    for signum in STOP_SIGNALS:
        handler = signal.getsignal(signum)
        if isinstance(handler, StopSignals):
            return handler
    return None


@contextmanager
def hurried_by(hurry: Callable[[], None]):
    """While the block runs, a further stop signal calls ``hurry``, if :class:`StopSignals` is installed."""
    stops = active_stop_signals()
    if stops is None:
        yield
        return
    with stops.hurried_by(hurry):
        yield


@contextmanager
def stop_signals_held():
    """A block that a first stop signal does not interrupt (it is raised at the block's end), if
    :class:`StopSignals` is installed; otherwise nothing changes."""
    stops = active_stop_signals()
    if stops is None:
        yield
        return
    with stops.held():
        yield


@contextmanager
def stop_signals_blocked(signals=STOP_SIGNALS):
    """Processes started in this block begin with ``signals`` blocked (a child inherits the mask of
    the thread that starts it), so a Ctrl-C to the process group before a worker has set itself to
    ignore it cannot interrupt its start (a traceback from every worker). A signal that reaches this
    process meanwhile is handled when the block ends. Main thread only; elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
