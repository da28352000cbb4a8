"""One contract for optimisers and calibrators: designs in, a tidy KPI table out.

A *design* is a mapping of parameter values by dotted config path
(``{"slot_diaries.pcn_sda.slots_per_day": 40, "patients.sda_eligible": 0.7}``).
:func:`evaluate` applies each to a base config through the parameter space
(``sim/inputs/parameters.py``), runs the same replications of every design on
common random numbers (replication *r* of every design draws from the seeds of
replication *r* of the base: the same patients), and returns one row per design
and replication. A capacity planner or a calibrator calls only this; it never
touches the runner, the executor or the store.

Replications already held by ``store`` for the same config are taken from it,
and designs that make the same config are run once, so a search that returns
to a design, or starts from the base, pays for it once.

:func:`compare` runs any number of named scenarios against one baseline, paired
on the baseline's run settings, through the same store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..inputs.config import Config, ConfigError, apply_overrides
from ..inputs.parameters import ParameterSpace
from ..analysis.output_analysis import compare_scenarios, fill_route_columns
from .executors import Executor, executor_scope
from .runner import ReplicationRunner, summary_table
from .store import ResultsStore, replication_key, results_of


def design_configs(
    base: Config, designs: Sequence[Mapping[str, Any]], replications: int, space: ParameterSpace | None = None
) -> list[Config]:
    """Each design applied to ``base`` (run settings of ``base``, ``replications`` replications), validated.

    A design may not set the run settings (``run.*``): every design runs on the
    base's days, warm-up and seed, so the designs stay paired. Bad values give a
    one-line ``ConfigError`` naming the design, the path and the value.
    """
    if isinstance(replications, bool) or not isinstance(replications, int):
        raise ConfigError(f"evaluate: replications = {replications!r}: must be a whole number")
    base = apply_overrides(base, source="evaluate", replications=replications)
    if replications != base.run.replications:  # pragma: no cover - apply_overrides sets it
        raise ConfigError(f"evaluate: replications = {replications!r}")
    space = ParameterSpace([]) if space is None else space  # apply reads each path from the schema
    configs = []
    for i, design in enumerate(designs):
        if not isinstance(design, Mapping):
            raise ConfigError(f"evaluate: design {i} = {design!r}: must be a mapping of path to value")
        for path in design:
            if path == "run" or str(path).startswith("run."):
                raise ConfigError(
                    f"evaluate: design {i}: {path}: run settings are the base's for every design "
                    "(common random numbers)"
                )
        configs.append(space.apply(base, design, source=f"evaluate: design {i}"))
    return configs


def evaluate(
    base: Config,
    designs: Sequence[Mapping[str, Any]],
    replications: int,
    *,
    space: ParameterSpace | None = None,
    executor: Executor | None = None,
    store: ResultsStore | None = None,
    progress: bool = True,
    jobs: int = 1,
) -> pd.DataFrame:
    """Run ``replications`` replications of every design; one row per design and replication.

    Parameters
    ----------
    base : Config
        The config the designs change (its run settings are used for every design).
    designs : sequence of mapping
        Parameter values by dotted path; ``{}`` is the base itself.
    replications : int
        Replications of each design, ``0 .. replications - 1``.
    space : ParameterSpace, optional
        The parameters the designs set (read from the designs' paths if not given).
    executor : Executor, optional
        Where the replications run (left open); else ``jobs`` local processes.
    store : ResultsStore, optional
        Replications kept from earlier (same config) are taken from here, new ones kept here
        (see :mod:`sim.experiments.store`).
    progress : bool
        Show a progress bar on a terminal.

    Returns
    -------
    DataFrame
        Columns ``design`` (position in ``designs``), ``replication``, then one column per KPI.
        Replication *r* of every design uses the seeds of replication *r* of ``base``.
    """
    configs = design_configs(base, designs, replications, space)
    keys = [replication_key(cfg) for cfg in configs]
    with executor_scope(executor, jobs) as ex, ReplicationRunner(ex, progress=progress, label="evaluate") as runner:
        for key, cfg in zip(keys, configs):
            if key not in runner:
                runner.add(key, cfg, None if store is None else store.for_scenario(cfg))
        runner.run(dict.fromkeys(keys, replications))
        rows = [
            {"design": i, "replication": result.replication, **result.kpis}
            for i, key in enumerate(keys)
            for result in runner.results(key, replications)
        ]
    if not rows:
        return pd.DataFrame(columns=["design", "replication"])
    return fill_route_columns(pd.DataFrame(rows))


def compare(
    baseline: Config,
    scenarios: Mapping[str, Config],
    *,
    replications: int | None = None,
    executor: Executor | None = None,
    store: ResultsStore | None = None,
    progress: bool = True,
    jobs: int = 1,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Any number of named scenarios against one baseline, on the baseline's run settings (paired).

    Returns the long comparison table (:func:`~sim.analysis.output_analysis.compare_scenarios`:
    ``scenario``, ``kpi``, the means, the paired change and saving) and each run's
    per-replication KPIs, keyed ``baseline`` and by scenario name. ``replications``
    defaults to the baseline's; scenarios with the same config as another run once.
    """
    if "baseline" in scenarios:
        raise ConfigError("compare: 'baseline' names the baseline; give the scenarios other names")
    configs = {"baseline": baseline}
    configs.update({name: cfg.model_copy(update={"run": baseline.run}) for name, cfg in scenarios.items()})
    found = results_of(
        configs, replications, store=store, executor=executor, jobs=jobs, progress=progress, label="compare"
    )
    tables = {name: summary_table(reps) for name, reps in found.items()}
    named = {name: tables[name] for name in scenarios}
    return compare_scenarios(tables["baseline"], named), tables
