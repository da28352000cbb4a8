"""Runs that are not lost: started by Run, resumed after any rerun, cancelled by a button, timed.

A run asked for is kept in ``st.session_state`` as pending until every replication
of its configs is in the results store; any rerun of the page (an input moved
mid-run, a tab clicked) resumes it where it stopped, because finished replications
are kept. Cancel drops the pending run and keeps what finished. The store is shared
by the server's sessions and keyed by the whole config (``replication_key``): the
same config always gives the same numbers, so a reload reuses finished replications.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from ..analysis.invariants import InvariantError
from ..experiments.store import SessionStore
from ..inputs.config import Config
from .simulate import run_all, session_store

PENDING = "pending"  # session_state key: the run asked for and not finished
SPEED = "seconds_per_rep_day"  # session_state key: measured seconds per replication-day
SECONDS_PER_REPLICATION_DAY = 0.022
"""First guess of one simulated day of one replication on one core, before this session has measured its own."""


@st.cache_resource(show_spinner=False)
def _shared_results() -> dict:
    """The server's finished replications, keyed by config: what a reload or another tab reuses."""
    return {}


def store() -> SessionStore:
    """The finished replications (kept across reloads; the same config always gives the same numbers)."""
    return session_store(_shared_results())


@dataclass
class Pending:
    """A run asked for: its configs, by label, and what to do once they are all in the store."""

    what: str
    configs: list[tuple[str, Config]]
    on_done: Callable[[], None] = field(repr=False)


def replication_days(configs: list[tuple[str, Config]]) -> tuple[int, int]:
    """Replications still to run and their simulated days (configs shared between labels counted once)."""
    seen, reps, days = set(), 0, 0
    kept = store()
    for _label, cfg in configs:
        key = cfg.model_dump_json(exclude={"name", "description"})
        if key in seen:
            continue
        seen.add(key)
        missing = len(kept.missing(cfg))
        reps += missing
        days += missing * cfg.run.days
    return reps, days


def rough_time(seconds: float) -> str:
    """``about 40 seconds``, ``about 3 minutes``."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} seconds"
    return f"about {round(seconds / 60):.0f} minutes"


def estimate(configs: list[tuple[str, Config]]) -> str:
    """What a run would take: replications to run and the time, or that every result is kept."""
    reps, days = replication_days(configs)
    if reps == 0:
        return "Every replication is already run: the results show at once."
    speed = st.session_state.get(SPEED, SECONDS_PER_REPLICATION_DAY)
    return f"{reps} replications to run, {rough_time(days * speed)} on one core."


def start(what: str, configs: list[tuple[str, Config]], on_done: Callable[[], None]) -> None:
    """Ask for a run (it starts in this script run, in :func:`resume`)."""
    st.session_state[PENDING] = Pending(what, configs, on_done)


def resume() -> bool:
    """Run what is pending, with a progress bar, the time left and a Cancel button; True once it finished.

    Any rerun interrupts the loop; the next script run resumes it with the replications kept.
    """
    pending: Pending | None = st.session_state.get(PENDING)
    if pending is None:
        return False
    if st.button("Cancel the run", key="cancel", help="Stops the run; replications already finished are kept."):
        del st.session_state[PENDING]
        st.info(f"Cancelled: {pending.what}. Replications already finished are kept; Run again to finish it.")
        return False
    reps, days = replication_days(pending.configs)
    bar = st.progress(0.0, text=f"Running {pending.what}: {reps} replications to run")
    started = time.monotonic()

    def progress(done: int, total: int, label: str) -> None:
        elapsed = time.monotonic() - started
        if done and total:
            left = elapsed / done * (total - done)
            st.session_state[SPEED] = elapsed / max(1.0, days * done / total)
            text = f"Running {pending.what}: {done} of {total} replications; {rough_time(left)} left"
        else:
            text = f"Running {pending.what}: 0 of {total} replications"
        bar.progress(done / total if total else 1.0, text=text)

    try:
        run_all(pending.configs, store(), progress)
    except InvariantError as exc:
        del st.session_state[PENDING]
        bar.empty()
        st.error(f"The model stopped: {exc}")
        return False
    bar.empty()
    del st.session_state[PENDING]
    pending.on_done()
    return True
