"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Every executor has one method that matters, :meth:`Executor.run`: call a
function on each of a list of arguments and hand each result back as soon as it
comes in (in any order). A replication's numbers depend only on its scenario
and its number, so every executor gives the same results; only the speed
differs.

On an error or Ctrl-C an executor stops starting new work, hands back the
results that finished meanwhile (so a checkpoint keeps them), and re-raises.

Dask is imported only when a :class:`DaskExecutor` is made, so the other
commands do not pay for it.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .stop_signals import STOP_SIGNALS, hurried_by, stop_signals_blocked, stop_signals_held

if TYPE_CHECKING:  # the pool's machinery (multiprocessing) is imported when a pool is made, so a serial run starts fast
    from concurrent.futures import ProcessPoolExecutor

Finished = Callable[[int, Any], None]
"""Called with the position of the call in the list and its result."""


class Executor:
    """Runs calls of one function; subclasses decide where. Use as a context manager."""

    workers = 1
    description = "serial"

    def run(self, fn: Callable, calls: Sequence[tuple], finished: Finished) -> None:
        """Call ``fn(*args)`` for each ``args`` in ``calls``; ``finished(i, result)`` as each completes."""
        raise NotImplementedError

    def close(self) -> None:
        """Free the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SerialExecutor(Executor):
    """Every call in this process, one after another."""

    def run(self, fn: Callable, calls: Sequence[tuple], finished: Finished) -> None:
        # what this process holds already is kept out of the collections that follow each
        # replication, so each collection looks only at what the replication made
        gc.freeze()
        try:
            for i, args in enumerate(calls):
                finished(i, fn(*args))
        finally:
            gc.unfreeze()


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Kill a pool's worker processes (a second Ctrl-C: the replications in hand are given up)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, ValueError):
            pass


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
MAX_WORKER_LOSSES = 3
"""Pools lost in a row (a worker died before any replication came back) before a run gives up,
as a Dask scheduler gives up on a task after 3 workers died running it."""


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
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # started blocked: see stop_signals_blocked
    _die_with_parent(parent_pid)


class ProcessExecutor(Executor):
    """Calls spread over ``jobs`` local processes (one pool for the executor's whole life).

    Parameters
    ----------
    jobs : int
        Number of worker processes.
    """

    def __init__(self, jobs: int):
        self.workers = jobs
        self.description = f"{jobs} local processes"
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self, calls: int) -> ProcessPoolExecutor:
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(
            max_workers=min(self.workers, calls), initializer=_worker_setup, initargs=(os.getpid(),)
        )

    def run(self, fn: Callable, calls: Sequence[tuple], finished: Finished) -> None:
        if len(calls) <= 1 and self._pool is None:
            SerialExecutor().run(fn, calls, finished)
            return
        from concurrent.futures.process import BrokenProcessPool

        # keep the parent's objects out of the workers' garbage collections
        # (fewer copy-on-write page copies after fork)
        gc.freeze()
        delivered: set[int] = set()
        lost_in_a_row = 0
        try:
            while True:
                if self._pool is None:
                    self._pool = self._new_pool(len(calls))
                before = len(delivered)
                try:
                    self._run_round(fn, calls, finished, delivered)
                    return
                except BrokenProcessPool:
                    # a worker died (killed, out of memory): its pool is unusable; as a Dask
                    # cluster does, rerun the replications not yet back on a fresh pool
                    # (a replication's numbers depend only on its scenario and number)
                    lost_in_a_row = 1 if len(delivered) > before else lost_in_a_row + 1
                    with stop_signals_held():
                        pool, self._pool = self._pool, None
                        pool.shutdown(wait=True, cancel_futures=True)
                    if lost_in_a_row > MAX_WORKER_LOSSES:
                        from ..inputs.config import ConfigError

                        raise ConfigError(
                            f"a worker process died {lost_in_a_row} times in a row before a replication came "
                            "back (killed, or out of memory?): use fewer --jobs or a shorter run"
                        ) from None
                    print(
                        f"warning: a worker process died; its replications run again on new workers "
                        f"({len(calls) - len(delivered)} still to come)",
                        file=sys.stderr,
                    )
        finally:
            gc.unfreeze()

    def _run_round(self, fn: Callable, calls: Sequence[tuple], finished: Finished, delivered: set[int]) -> None:
        """Submit the calls not yet delivered to the pool and deliver each as it completes."""
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        futures = {}
        try:
            with stop_signals_blocked():  # workers are started by the first submissions
                futures = {self._pool.submit(fn, *args): i for i, args in enumerate(calls) if i not in delivered}
            for future in as_completed(futures):
                if future.exception() is not None and isinstance(future.exception(), BrokenProcessPool):
                    raise future.exception()
                finished(futures[future], future.result())
                delivered.add(futures[future])
        except BrokenProcessPool:
            # keep what finished before the worker died, then let the caller start a fresh pool
            for future, i in futures.items():
                if i not in delivered and future.done() and not future.cancelled() and future.exception() is None:
                    finished(i, future.result())
                    delivered.add(i)
            raise
        except BaseException:
            # On Ctrl-C or an error: cancel what has not started and wait only for
            # the calls in hand. Waiting here keeps the pool alive until its
            # manager thread has seen the cancellation; if the pool were freed first,
            # the thread would go on to run every remaining call. A second stop
            # signal does not interrupt this wait (it is held); it ends the workers at once,
            # giving up the replications in hand.
            with stop_signals_held():
                pool, self._pool = self._pool, None
                try:
                    if pool is not None:
                        with hurried_by(lambda: _end_workers(pool)):
                            pool.shutdown(wait=True, cancel_futures=True)
                finally:
                    for future, i in futures.items():
                        if (
                            i not in delivered
                            and future.done()
                            and not future.cancelled()
                            and future.exception() is None
                        ):
                            finished(i, future.result())
                            delivered.add(i)
            raise

    def close(self) -> None:
        if self._pool is not None:
            with stop_signals_held():
                pool, self._pool = self._pool, None
                pool.shutdown()


LOCAL = "local"
"""``--scheduler local``: a Dask cluster on this machine, one single-threaded worker per core."""
LOCAL_CLUSTER_SETTINGS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""Dask settings for a local cluster, chosen so the workers' replications get the cores.

By default each worker samples its own stack every 10 ms (a profile nothing here reads),
and the scheduler, nannies and workers wake every 20-500 ms to watch their event loops,
CPU and memory. On a machine with as many workers as cores, every such wake-up takes a
core (and the worker's interpreter lock) from a replication. Workers started by hand on
other machines take the same settings from environment variables (see the README)."""


def _warm_worker(client_pid: int, local: bool) -> None:
    """Ready a worker for the run.

    Every worker imports the model, so its first replication does not pay for that. A worker in
    a process of its own also keeps what it has loaded so far out of its garbage collections (as
    a forked pool worker does), which makes each replication's collections cheaper. A worker of a
    local cluster leaves Ctrl-C to the main process, as a pool's worker does: a terminal's Ctrl-C
    reaches every process of the group, and the main process stops the run (keeping what came
    back), cancels the rest and closes the cluster, so the signal would only make the worker
    print a traceback.
    """
    from ..analysis import invariants, kpis, output_analysis  # noqa: F401  (what a replication runs)
    from ..model import pathway  # noqa: F401

    if os.getpid() == client_pid:  # a cluster of threads in this process
        return
    gc.freeze()
    if local and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class DaskExecutor(Executor):
    """Calls run as tasks on a Dask distributed cluster.

    Parameters
    ----------
    scheduler : str
        Address of a running scheduler (``tcp://host:8786``), or ``"local"``
        for a cluster of worker processes on this machine.
    workers : int or None
        With ``"local"``: how many worker processes (default: one per core).
    processes : bool
        With ``"local"``: worker processes (the default) or threads in this process.

    Every worker must be able to ``import sim`` (the same version of this
    package, installed in its Python environment).
    """

    def __init__(self, scheduler: str, workers: int | None = None, processes: bool = True):
        if scheduler != LOCAL:
            check_scheduler_answers(scheduler)  # refused at once, before Dask's 10 s of retries
        try:
            from dask.distributed import Client, LocalCluster  # heavy: only when asked for
        except ImportError as err:
            from ..inputs.config import ConfigError

            raise ConfigError(
                f"--scheduler needs Dask, which is not installed ({err.name}): pip install -e '.[dask]'"
            ) from None

        self._cluster = None
        self._client = None
        if scheduler == LOCAL:
            import dask

            n = workers or os.cpu_count() or 1
            try:
                # A Ctrl-C while the cluster starts waits for the start to end (a cluster stopped
                # half-way cannot be closed: Dask would print its failure as the process exits),
                # then closes it. Ctrl-C again after FORCE_AFTER_SECONDS ends the process at once.
                with stop_signals_held():
                    with (
                        dask.config.set(LOCAL_CLUSTER_SETTINGS),
                        _workers_start_quietly(),
                        stop_signals_blocked((signal.SIGINT,)),
                    ):
                        # its web server on a free port of this machine only, so two runs at once do
                        # not clash (nothing here reads it). The cluster's own notes (a task cancelled
                        # by Ctrl-C, a slow event loop) are not the user's business; its errors are,
                        # and an error in a replication comes back as the replication's own exception
                        import logging

                        self._cluster = LocalCluster(
                            n_workers=n,
                            threads_per_worker=1,
                            processes=processes,
                            dashboard_address="127.0.0.1:0",
                            silence_logs=logging.ERROR,
                        )
                    self._client = Client(self._cluster)
            except BaseException:
                self.close()  # Ctrl-C while the cluster starts: leave no worker behind
                raise
            self.description = f"Dask local cluster of {n} workers"
        else:
            try:
                self._client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as err:
                from ..inputs.config import ConfigError

                raise ConfigError(f"--scheduler {scheduler}: no Dask scheduler answers there ({err})") from None
            self.description = f"Dask cluster at {scheduler}"
        try:
            self.workers = max(1, sum(self._client.nthreads().values()))
            self._client.run(_warm_worker, os.getpid(), self._cluster is not None)
        except BaseException:
            self.close()
            raise

    def run(self, fn: Callable, calls: Sequence[tuple], finished: Finished) -> None:
        from dask.distributed import as_completed as dask_completed

        futures = [self._client.submit(fn, *args, pure=False) for args in calls]
        position = {future.key: i for i, future in enumerate(futures)}
        delivered = set()
        try:
            for future in dask_completed(futures):
                finished(position[future.key], future.result())
                delivered.add(future.key)
                future.release()  # the scheduler forgets the result once it is here
        except BaseException:
            with stop_signals_held():  # a second Ctrl-C does not interrupt the cancellation
                pending = [f for f in futures if not f.done()]
                if pending:
                    self._client.cancel(pending)
                for future in futures:
                    if future.key not in delivered and future.status == "finished":
                        finished(position[future.key], future.result())
            raise

    def close(self) -> None:
        with stop_signals_held():
            if self._client is not None:
                self._client.close()
                self._client = None
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None


@contextmanager
def _workers_start_quietly():
    """Worker processes started in this block write their stderr to nowhere.

    A terminal's Ctrl-C reaches every process of the group, and a worker still importing its
    libraries (before it leaves Ctrl-C to the main process) would print a traceback of dozens of
    lines. The main process reports the interrupt; an error in a replication comes back as that
    replication's exception. The main process's own stderr is back when the block ends.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    quiet = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(quiet, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)


SCHEDULER_CONNECT_SECONDS = 5.0
"""How long to wait for a scheduler's port to accept a connection before refusing the address."""


def check_scheduler_answers(address: str) -> None:
    """Refuse in one line, within seconds, a scheduler address that is malformed or where nothing listens.

    Only a TCP connection is tried (``tcp://host:port``; another protocol is left to Dask).
    """
    import socket
    from urllib.parse import urlsplit

    from ..inputs.config import ConfigError

    text = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ConfigError(f"--scheduler {address}: not an address such as tcp://10.0.0.5:8786 or 'local'") from None
    if parts.scheme != "tcp":
        return
    if not host or port is None:
        raise ConfigError(f"--scheduler {address}: give host and port, e.g. tcp://10.0.0.5:8786 (or 'local')")
    try:
        with socket.create_connection((host, port), timeout=SCHEDULER_CONNECT_SECONDS):
            pass
    except OSError as err:
        reason = err.strerror or ("no answer" if isinstance(err, TimeoutError) else type(err).__name__)
        raise ConfigError(f"--scheduler {address}: no Dask scheduler answers there ({reason})") from None


def make_executor(jobs: int = 1, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs`` and ``--scheduler`` (the scheduler wins when both are given)."""
    if scheduler:
        return DaskExecutor(scheduler)
    if jobs > 1:
        return ProcessExecutor(jobs)
    return SerialExecutor()


@contextmanager
def executor_scope(executor: Executor | None = None, jobs: int = 1) -> Iterator[Executor]:
    """``executor`` if given (left open), else one made for ``jobs`` and closed on leaving.

    ``with executor_scope(executor, jobs) as ex: ...`` says once "close the executor only if I made it".
    """
    if executor is not None:
        yield executor
        return
    with make_executor(jobs) as made:
        yield made
