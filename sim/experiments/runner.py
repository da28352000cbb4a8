"""Replications of one or more scenarios, on any executor, with identical results.

Each replication draws only from its own named streams, so the numbers of
replication *r* of a scenario are the same whether it ran serially, in a pool
of local processes or on a Dask cluster, and in whatever order.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..inputs.calendar import MIN_PER_DAY, MIN_PER_HOUR
from ..inputs.config import Config
from ..analysis.invariants import check_kpis, check_model
from ..analysis.kpis import compute_kpis
from ..model.pathway import run_replication
from ..analysis.output_analysis import fill_route_columns
from .executors import Executor, SerialExecutor, executor_scope
from .replication import SDA_DIARIES, ReplicationResult, SlotUse
from .resources import check_fits

if TYPE_CHECKING:
    import pandas as pd

    from .checkpoint import Checkpoint


def sda_slot_use(model, cfg: Config) -> SlotUse:
    """Count one run's SDA slots and bookings by provider, weekday and hour (slots starting after the warm-up)."""
    warmup = cfg.run.warmup_days * MIN_PER_DAY
    slots = np.zeros((len(SDA_DIARIES), 7, 24), dtype=np.int64)
    booked = np.zeros_like(slots)
    for i, name in enumerate(SDA_DIARIES):
        diary = getattr(model, name)
        times, flags = diary.slot_times(), diary.booked_flags()
        keep = times >= warmup
        times, flags = times[keep], flags[keep]
        weekday = ((times // MIN_PER_DAY).astype(np.int64) + cfg.run.start_weekday) % 7
        hour = np.minimum(((times % MIN_PER_DAY) // MIN_PER_HOUR).astype(np.int64), 23)
        np.add.at(slots[i], (weekday, hour), 1)
        np.add.at(booked[i], (weekday[flags], hour[flags]), 1)
    return SlotUse(slots, booked)


def run_one(cfg: Config, replication: int, events: bool = False, slot_use: bool = False) -> ReplicationResult:
    """Run, check and measure one replication; the model is freed before returning.

    With ``events`` the result keeps the event log, with ``slot_use`` the SDA slot use.
    """
    model = run_replication(cfg, replication)
    try:
        check_model(model)
        kpis = compute_kpis(model)
        check_kpis(kpis, model)
        frame = None
        if events:
            frame = model.log.to_frame(model.patients.channel, model.patients.arrival)
            frame.insert(0, "replication", replication)
        use = sda_slot_use(model, cfg) if slot_use else None
    finally:
        model.release()
        del model
        # The queued patients' generators and the SimPy environment still form a cycle
        # holding the run's per-patient lists; collect it now, so a worker's memory stays
        # flat however many replications it runs.
        gc.collect()
    return ReplicationResult(replication, kpis, frame, use)


def write_event_part(events_dir: Path, result: ReplicationResult) -> None:
    """Write one replication's event log as ``events_dir/rep_NNNN.parquet`` and free it from memory."""
    if result.events is None:
        return
    result.events.to_parquet(Path(events_dir) / f"rep_{result.replication:04d}.parquet", index=False)
    result.events = None


class ReplicationRunner:
    """The replications of several scenarios, run through one executor under one progress bar.

    Parameters
    ----------
    executor : Executor
        Where the replications run.
    events : bool
        Keep each replication's event log.
    progress : bool
        Show a progress bar (only on a terminal, and only for runs longer than two seconds).
    label : str
        The bar's label.
    slot_use : bool
        Keep each replication's SDA slot use.
    on_progress : callable, optional
        Called as ``on_progress(done, total)`` as replications finish or are found kept
        (the web app's progress bar).

    Add each scenario with :meth:`add`, then ask for replications with
    :meth:`run`; :meth:`results` gives them back in replication order.
    """

    def __init__(
        self,
        executor: Executor,
        events: bool = False,
        progress: bool = True,
        label: str = "replications",
        slot_use: bool = False,
        on_progress=None,
    ):
        self.executor = executor
        self.events = events
        self.slot_use = slot_use
        self._on_progress = on_progress
        self._configs: dict[Hashable, Config] = {}
        self._stores: dict[Hashable, Checkpoint | None] = {}
        self._events_dirs: dict[Hashable, Path | None] = {}
        self._results: dict[Hashable, dict[int, ReplicationResult]] = {}
        self._done = 0
        self._total = 0
        self._bar = None
        if progress and sys.stderr.isatty():  # tqdm is imported only when a bar is drawn (start-up stays fast)
            from tqdm.std import tqdm

            self._bar = tqdm(
                total=0, desc=label, unit="rep", delay=2.0, file=sys.stderr, leave=False, dynamic_ncols=True
            )

    def add(
        self, key: Hashable, cfg: Config, checkpoint: Checkpoint | None = None, events_dir: Path | None = None
    ) -> None:
        """Register a scenario under ``key``; with a ``checkpoint``, its kept replications are reused.

        With ``events_dir`` (and ``events``), each replication's event log is
        written there as it finishes and dropped from memory.
        """
        self._configs[key] = cfg
        self._stores[key] = checkpoint
        self._events_dirs[key] = events_dir
        self._results[key] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._configs

    def _expect(self, n: int) -> None:
        """``n`` more replications to count (kept or to run)."""
        self._total += n
        if self._bar is not None:
            self._bar.total = self._total
            self._bar.refresh()

    def _advance(self, n: int = 1) -> None:
        self._done += n
        if self._bar is not None:
            self._bar.update(n)
        if self._on_progress is not None:
            self._on_progress(self._done, self._total)

    def done(self, key: Hashable) -> int:
        """How many leading replications (0, 1, ...) of ``key`` are finished."""
        have = self._results[key]
        n = 0
        while n in have:
            n += 1
        return n

    def run(self, wanted: dict[Hashable, int]) -> None:
        """Make sure replications ``0 .. n-1`` of each ``key: n`` are finished (one executor call)."""
        calls: list[tuple[Hashable, int]] = []
        for key, n in wanted.items():
            have = self._results[key]
            missing = [rep for rep in range(n) if rep not in have]
            store = self._stores[key]
            if store is not None and missing:
                found = store.load(missing)
                if self._events_dirs[key] is not None:
                    for result in found.values():
                        write_event_part(self._events_dirs[key], result)
                have.update(found)
                self._expect(len(found))
                self._advance(len(found))
                missing = [rep for rep in missing if rep not in found]
            calls += [(key, rep) for rep in missing]
        if not calls:
            return
        self._expect(len(calls))

        def finished(i: int, result: ReplicationResult) -> None:
            key = calls[i][0]
            store = self._stores[key]
            if store is not None:
                store.save(result)  # saved before it counts as done, so an interrupted save is retried
            if self._events_dirs[key] is not None:
                write_event_part(self._events_dirs[key], result)
            self._results[key][result.replication] = result
            self._advance()

        self.executor.run(
            run_one, [(self._configs[key], rep, self.events, self.slot_use) for key, rep in calls], finished
        )

    def results(self, key: Hashable, n: int | None = None) -> list[ReplicationResult]:
        """Replications ``0 .. n-1`` of ``key`` (all finished leading ones when ``n`` is None)."""
        n = self.done(key) if n is None else n
        return [self._results[key][rep] for rep in range(n)]

    def close(self) -> None:
        """Remove the progress bar."""
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> ReplicationRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_replications(
    cfg: Config,
    jobs: int = 1,
    events: bool = False,
    progress: bool = True,
    label: str = "replications",
    checkpoint: Checkpoint | None = None,
    executor: Executor | None = None,
    events_dir: Path | None = None,
) -> list[ReplicationResult]:
    """Run ``cfg.run.replications`` replications; results come back in replication order.

    With a ``checkpoint``, the replications it already holds are taken from it
    and each new one is saved to it as soon as it finishes. With
    ``events_dir``, each replication's event log is written there
    (``rep_NNNN.parquet``) as it finishes and dropped from memory, so memory
    does not grow with the number of replications. ``executor`` (if given) is
    used instead of one made for ``jobs``; it is left open.
    """
    check_fits(cfg, jobs if executor is None else 1, events)
    with executor_scope(executor, jobs) as ex, ReplicationRunner(ex, events, progress, label) as runner:
        runner.add(cfg.name, cfg, checkpoint, events_dir)
        runner.run({cfg.name: cfg.run.replications})
        return runner.results(cfg.name, cfg.run.replications)


def summary_table(results: list[ReplicationResult]) -> pd.DataFrame:
    """One row per replication, one column per KPI."""
    import pandas as pd  # here, so a run starts fast

    frame = pd.DataFrame([{"replication": r.replication, **r.kpis} for r in results])
    return fill_route_columns(frame)


def events_table(results: list[ReplicationResult]) -> pd.DataFrame | None:
    """All replications' event logs in one table, or ``None`` if none were kept."""
    frames = [r.events for r in results if r.events is not None]
    if not frames:
        return None
    import pandas as pd

    return pd.concat(frames, ignore_index=True)


__all__ = [
    "ReplicationResult",
    "ReplicationRunner",
    "SerialExecutor",
    "events_table",
    "run_one",
    "run_replications",
    "summary_table",
]
