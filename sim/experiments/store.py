"""One results store: the replications of a config, from wherever they are kept, keyed once.

:func:`results` returns replications ``0 .. n-1`` of a config. It takes those a
store already holds and runs the rest (saving each to the store as it
finishes). The store is pluggable:

- :class:`~sim.experiments.checkpoint.CheckpointFolder` keeps them on disk for
  the command line (an interrupted command resumes where it stopped);
- :class:`SessionStore` keeps them in a mapping, e.g. a web session's
  ``st.session_state``, so the app reruns nothing it has already run.

Both key a replication by :func:`replication_key`: every parameter of the
config except its name, description and number of replications (replication
*r* does not depend on how many others run), so a longer run reuses a shorter
one's replications and two scenarios that set the same values share theirs.
The app and the command line thus get their numbers from one code path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Protocol

from ..inputs.config import Config
from .executors import Executor, executor_scope
from .replication import ReplicationResult, replication_key
from .resources import check_fits
from .runner import ReplicationRunner

MAX_STORED = 4000
"""Replications a session keeps before dropping the oldest (a few kB each)."""


class ScenarioStore(Protocol):
    """The kept replications of one config."""

    def load(self, replications: list[int]) -> dict[int, ReplicationResult]:
        """The replications among ``replications`` already kept."""

    def save(self, result: ReplicationResult) -> None:
        """Keep one finished replication."""


class ResultsStore(Protocol):
    """Where replications are kept: one :class:`ScenarioStore` per config."""

    def for_scenario(self, cfg: Config, events: bool = False) -> ScenarioStore:
        """The store of ``cfg``'s replications (with event logs if ``events``)."""


class _SessionScenario:
    def __init__(self, data: MutableMapping, key: str, events: bool, slot_use: bool):
        self._data, self._key, self._events, self._slot_use = data, key, events, slot_use

    def load(self, replications: list[int]) -> dict[int, ReplicationResult]:
        found = {}
        for rep in replications:
            result = self._data.get((self._key, rep))
            if (
                result is None
                or (self._events and result.events is None)
                or (self._slot_use and result.slot_use is None)
            ):
                continue
            found[rep] = result
        return found

    def save(self, result: ReplicationResult) -> None:
        self._data[(self._key, result.replication)] = result
        while len(self._data) > MAX_STORED:
            del self._data[next(iter(self._data))]


class SessionStore:
    """Replications kept in a mapping (a web session's state), keyed ``(replication_key, replication)``.

    Parameters
    ----------
    data : MutableMapping
        Where they are kept; the oldest are dropped beyond ``MAX_STORED``.
    slot_use : bool
        Count a replication as kept only if it carries its SDA slot use (the app charts it).
    """

    def __init__(self, data: MutableMapping | None = None, slot_use: bool = False):
        self.data: MutableMapping = {} if data is None else data
        self.slot_use = slot_use

    def for_scenario(self, cfg: Config, events: bool = False) -> ScenarioStore:
        return _SessionScenario(self.data, replication_key(cfg), events, self.slot_use)

    def missing(self, cfg: Config, replications: int | None = None) -> list[int]:
        """The replications ``0 .. n-1`` of ``cfg`` not kept yet (``n``: the config's own count)."""
        n = cfg.run.replications if replications is None else replications
        kept = self.for_scenario(cfg).load(list(range(n)))
        return [rep for rep in range(n) if rep not in kept]

    def has(self, cfg: Config, replications: int | None = None) -> bool:
        """Whether every replication of ``cfg`` is kept."""
        return not self.missing(cfg, replications)


def results(
    cfg: Config,
    replications: int | None = None,
    *,
    store: ResultsStore | None = None,
    executor: Executor | None = None,
    jobs: int = 1,
    events: bool = False,
    slot_use: bool = False,
    progress: bool = True,
    label: str = "replications",
    events_dir: Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[ReplicationResult]:
    """Replications ``0 .. n-1`` of ``cfg`` (``n`` = ``cfg.run.replications`` unless given), in order.

    Those ``store`` holds are taken from it; the rest run on ``executor`` (left
    open; else one made for ``jobs``) and each is saved to ``store`` as it
    finishes. With ``events`` each keeps its event log (written to ``events_dir``
    and dropped from memory if given); with ``slot_use`` its SDA slot use.
    ``on_progress(done, total)`` follows the replications as they finish.
    """
    check_fits(cfg, jobs if executor is None else 1, events)
    found = results_of(
        {cfg.name: cfg},
        replications,
        store=store,
        executor=executor,
        jobs=jobs,
        events=events,
        slot_use=slot_use,
        progress=progress,
        label=label,
        on_progress=on_progress,
        events_dirs=None if events_dir is None else {cfg.name: events_dir},
    )
    return found[cfg.name]


def results_of(
    configs: Mapping[str, Config],
    replications: int | None = None,
    *,
    store: ResultsStore | None = None,
    executor: Executor | None = None,
    jobs: int = 1,
    events: bool = False,
    slot_use: bool = False,
    progress: bool = True,
    label: str = "replications",
    on_progress: Callable[[int, int], None] | None = None,
    events_dirs: Mapping[str, Path] | None = None,
) -> dict[str, list[ReplicationResult]]:
    """The replications of several named configs through one executor under one progress bar.

    As :func:`results`, for each config (``replications`` each, or each config's own
    count). Configs with the same :func:`replication_key` run once and share their
    replications, so a baseline named twice costs nothing more.
    """
    wanted = {name: cfg.run.replications if replications is None else replications for name, cfg in configs.items()}
    keys = {name: replication_key(cfg) for name, cfg in configs.items()}
    events_dirs = events_dirs or {}
    with (
        executor_scope(executor, jobs) as ex,
        ReplicationRunner(ex, events, progress, label, slot_use=slot_use, on_progress=on_progress) as runner,
    ):
        for name, cfg in configs.items():
            if keys[name] not in runner:
                runner.add(
                    keys[name], cfg, None if store is None else store.for_scenario(cfg, events), events_dirs.get(name)
                )
        need: dict[str, int] = {}
        for name, n in wanted.items():
            need[keys[name]] = max(need.get(keys[name], 0), n)
        runner.run(need)
        return {name: runner.results(keys[name], n) for name, n in wanted.items()}
