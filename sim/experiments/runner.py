"""Replications of a scenario, serial or in parallel processes, with identical results."""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from tqdm import tqdm

from ..inputs.config import Config
from ..analysis.invariants import check_kpis, check_model
from ..analysis.kpis import compute_kpis
from ..model.pathway import run_replication
from ..analysis.output_analysis import fill_route_columns
from .resources import check_fits

if TYPE_CHECKING:
    from .checkpoint import Checkpoint


@dataclass
class ReplicationResult:
    """KPIs (and optionally the event log) of one replication."""

    replication: int
    kpis: dict[str, float]
    events: pd.DataFrame | None = None


def run_one(cfg: Config, replication: int, events: bool = False) -> ReplicationResult:
    """Run, check and measure one replication."""
    model = run_replication(cfg, replication)
    check_model(model)
    kpis = compute_kpis(model)
    check_kpis(kpis, model)
    frame = None
    if events:
        frame = model.log.to_frame(model.patients.channel, model.patients.arrival)
        frame.insert(0, "replication", replication)
    return ReplicationResult(replication, kpis, frame)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that stop a run the way Ctrl-C does: replications in hand finish and are kept."""
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent(parent_pid: int) -> None:
    """Have the kernel kill this process when its parent dies, however the parent dies (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl in this libc
            pass
    if os.getppid() != parent_pid:  # the parent died before the request was made
        os._exit(1)


def _worker_setup(parent_pid: int) -> None:
    """A worker leaves stop signals to the main process (which lets in-hand replications
    finish and keeps them), and dies with it."""
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    _die_with_parent(parent_pid)


def write_event_part(events_dir: Path, result: ReplicationResult) -> None:
    """Write one replication's event log as ``events_dir/rep_NNNN.parquet`` and free it from memory."""
    if result.events is None:
        return
    result.events.to_parquet(Path(events_dir) / f"rep_{result.replication:04d}.parquet", index=False)
    result.events = None


def _progress(total: int, label: str, enabled: bool):
    return tqdm(total=total, desc=label, unit="rep", disable=not enabled, delay=2.0, file=sys.stderr, leave=False)


def run_replications(
    cfg: Config,
    jobs: int = 1,
    events: bool = False,
    progress: bool = True,
    label: str = "replications",
    checkpoint: Checkpoint | None = None,
    events_dir: Path | None = None,
) -> list[ReplicationResult]:
    """Run ``cfg.run.replications`` replications; results come back in replication order.

    Each replication draws only from its own named streams, so a parallel run
    gives exactly the numbers of a serial one. With a ``checkpoint``, the
    replications it already holds are taken from it and each new one is saved
    to it as soon as it finishes. With ``events_dir``, each replication's event
    log is written there (``rep_NNNN.parquet``) as it finishes and dropped from
    memory, so memory does not grow with the number of replications.
    """
    check_fits(cfg, jobs, events)
    reps = list(range(cfg.run.replications))
    results: dict[int, ReplicationResult] = checkpoint.load(reps) if checkpoint is not None else {}
    todo = [rep for rep in reps if rep not in results]
    if events_dir is not None:
        for result in results.values():
            write_event_part(events_dir, result)

    def finished(result: ReplicationResult) -> None:
        if checkpoint is not None:
            checkpoint.save(result)  # saved before it counts as done, so an interrupted save is retried
        if events_dir is not None:
            write_event_part(events_dir, result)
        results[result.replication] = result
        bar.update()

    with _progress(len(reps), label, progress) as bar:
        bar.update(len(results))
        if jobs <= 1 or len(todo) <= 1:
            for rep in todo:
                finished(run_one(cfg, rep, events))
        else:
            # keep the parent's objects out of the workers' garbage collections
            # (fewer copy-on-write page copies after fork)
            gc.freeze()
            pool = ProcessPoolExecutor(max_workers=min(jobs, len(todo)), initializer=_worker_setup, initargs=(os.getpid(),))
            futures = []
            try:
                futures = [pool.submit(run_one, cfg, rep, events) for rep in todo]
                for future in as_completed(futures):
                    finished(future.result())
            except BaseException:
                # On Ctrl-C or an error: cancel what has not started and wait only for
                # the replications in hand. Waiting here keeps the pool alive until its
                # manager thread has seen the cancellation; if the pool were freed first,
                # the thread would go on to run every remaining replication.
                try:
                    pool.shutdown(wait=True, cancel_futures=True)
                finally:
                    if checkpoint is not None:  # keep the replications that finished meanwhile
                        for future in futures:
                            if future.done() and not future.cancelled() and future.exception() is None:
                                result = future.result()
                                if result.replication not in results:
                                    finished(result)
                raise
            else:
                pool.shutdown()
            finally:
                gc.unfreeze()
    return [results[rep] for rep in reps]


def summary_table(results: list[ReplicationResult]) -> pd.DataFrame:
    """One row per replication, one column per KPI."""
    frame = pd.DataFrame([{"replication": r.replication, **r.kpis} for r in results])
    return fill_route_columns(frame)


def events_table(results: list[ReplicationResult]) -> pd.DataFrame | None:
    """All replications' event logs in one table, or ``None`` if none were kept."""
    frames = [r.events for r in results if r.events is not None]
    if not frames:
        return None
    return pd.concat(frames, ignore_index=True)
