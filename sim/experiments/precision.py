"""How many replications to run: a fixed number, or as many as a target precision needs.

Scenarios that are compared with each other form a *group* (both arms of a
comparison, a sweep point with its baseline, every step of an attribution) and
always use the same replications, so the comparison stays paired. With a
:class:`Precision`, each scenario's replications are added in rounds until
the replications algorithm of Hoad, Robinson and Davies decides how many its
named KPIs need (see :func:`sim.analysis.output_analysis.replications_needed`);
a group uses the largest number any of its scenarios needs. Replication *r*
does not depend on how many others run, so the answer does not depend on the
executor or on the size of the rounds.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from ..analysis.output_analysis import look_ahead, replications_needed
from ..inputs.config import ConfigError
from .runner import ReplicationRunner

MIN_REPLICATIONS = 3
"""Hoad, Robinson and Davies start from three replications."""
K_LIMIT = 5
"""Their look-ahead: five replications (in proportion beyond 100)."""


@dataclass(frozen=True)
class Precision:
    """A target relative half-width of the 95% interval on named KPIs.

    Parameters
    ----------
    target : float
        Half-width over the mean, e.g. 0.05 for +/- 5%.
    kpis : tuple of str
        KPIs that must all reach it.
    max_replications : int
        Stop here even if the target is not reached (it is then reported as not reached).
    """

    target: float
    kpis: tuple[str, ...]
    max_replications: int = 200

    def __post_init__(self):
        if not 0 < self.target < 1:
            raise ConfigError(f"--precision {self.target}: give a fraction between 0 and 1, e.g. 0.05")
        if not self.kpis:
            raise ConfigError("--precision-kpis: name at least one KPI, e.g. cost_total_annual_gbp")
        if self.max_replications < MIN_REPLICATIONS + K_LIMIT:
            raise ConfigError(
                f"--max-reps {self.max_replications}: the replications algorithm needs at "
                f"least {MIN_REPLICATIONS + K_LIMIT}"
            )


@dataclass(frozen=True)
class Outcome:
    """How many replications a group uses, and whether that met the precision asked for."""

    replications: int
    reached: bool | None = None
    """``None`` for a fixed number of replications."""


def _needed(runner: ReplicationRunner, key: Hashable, precision: Precision) -> int | None:
    results = runner.results(key)
    if not results:
        return None
    missing = [k for k in precision.kpis if k not in results[0].kpis]
    if missing:
        raise ConfigError(f"--precision-kpis: no KPI named {missing[0]!r}")
    values = np.array([[r.kpis[k] for r in results] for k in precision.kpis], dtype=float)
    return replications_needed(values, precision.target, MIN_REPLICATIONS, K_LIMIT)


def run_groups(
    runner: ReplicationRunner,
    groups: dict[Hashable, list[Hashable]],
    replications: int,
    precision: Precision | None = None,
) -> dict[Hashable, Outcome]:
    """Run every group's scenarios (already added to ``runner``); returns each group's outcome.

    Without ``precision`` every scenario runs ``replications`` replications.
    """
    if precision is None:
        runner.run({key: replications for members in groups.values() for key in members})
        return {group: Outcome(replications) for group in groups}
    decided: dict[Hashable, Outcome] = {}
    first = MIN_REPLICATIONS + K_LIMIT
    while True:
        wanted: dict[Hashable, int] = {}
        undecided = []
        for group, members in groups.items():
            if group not in decided:
                needs = [_needed(runner, key, precision) for key in members]
                if all(n is not None for n in needs):
                    decided[group] = Outcome(max(needs), True)
                elif all(runner.done(key) >= precision.max_replications for key, n in zip(members, needs) if n is None):
                    decided[group] = Outcome(precision.max_replications, False)
                else:
                    undecided += [key for key, n in zip(members, needs) if n is None]
            if group in decided:
                for key in members:
                    wanted[key] = max(wanted.get(key, 0), decided[group].replications)
        if not undecided:
            runner.run(wanted)
            return decided
        # each undecided scenario gets a few more replications, enough to keep the workers busy
        step = max(1, math.ceil(runner.executor.workers / len(set(undecided))))
        for key in undecided:
            done = runner.done(key)
            more = first if done == 0 else done + max(step, 1 if done < 100 else look_ahead(done, K_LIMIT) // 2)
            wanted[key] = max(wanted.get(key, 0), min(more, precision.max_replications))
        runner.run(wanted)
