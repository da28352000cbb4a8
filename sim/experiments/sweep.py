"""Sensitivity sweeps: the saving of a scenario over a baseline as parameters vary.

A sweep file names a baseline and a scenario config and the values to try for
one or more parameters (dotted paths into the config)::

    name: ia_redirection
    baseline: ../current.yaml
    scenario: ../redesign.yaml
    vary:
      ia_nurse.redirection_x8.probability: [0.4, 0.6, 0.8, 1.0]
    design: grid        # every combination; or one_at_a_time
    apply_to: scenario  # or both: a fact about the world, changed in both arms

With ``design: sample`` each parameter is given a distribution instead of a
list, and ``samples`` points are drawn with all parameters varying together
(a probabilistic sensitivity analysis): the spread of the saving over the
points then reflects the uncertainty of the inputs. Every point runs on the
same replications (same patients), so simulation noise moves all points
together rather than widening the spread; each point's own paired interval
shows its size.

``design: latin_hypercube`` draws the same distributions by Latin hypercube
sampling (each input's range cut into ``samples`` equally likely strata, one
draw in each): the spread of the saving settles with fewer points than
independent draws. ``design: sobol`` runs Saltelli's design for variance-based
sensitivity indices (``samples`` base draws, a power of two, give
``samples * (inputs + 2)`` points): each input's first-order index (the share
of the saving's variance it explains alone) and total index (alone and through
its interactions), with 95% intervals, so the ranking of the inputs rests on
their distributions rather than on the ends of a range alone.

Every point is run on the baseline's run settings, so each comparison is
paired on common random numbers, like ``compare``. Every point and its
baseline run through one executor under one progress bar.

This module runs a sweep (:func:`run_sweep`); the sweep file and its points are
:mod:`sim.experiments.sweep_design`, the tables and statistics made from the
runs :mod:`sim.experiments.sweep_tables`. Their public names are all importable from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..inputs.config import Config
from ..analysis.output_analysis import paired_comparison
from .executors import Executor, executor_scope
from .precision import Precision, run_groups
from .runner import ReplicationRunner, summary_table

from .sweep_design import (  # noqa: F401 - re-exported: the sweep's design
    DRAWN,
    SWEEP_KPIS,
    SweepPoint,
    SweepRun,
    SweepSpec,
    _base_key,
    _varied_values,
    _with_values,
    build_points,
    load_sweep,
    point_count,
    point_values,
    quantile,
    set_parameters,
    sobol_problem,
    unit_design,
)
from .sweep_tables import (  # noqa: F401 - re-exported: the sweep's tables and statistics
    SweepResult,
    point_summary,
    replications_table,
    runs_table,
    sobol_indices,
    uncertainty_summary,
)

if TYPE_CHECKING:
    from .checkpoint import CheckpointFolder


def run_sweep(
    spec: SweepSpec,
    points: list[SweepPoint],
    jobs: int = 1,
    progress: bool = True,
    checkpoints: CheckpointFolder | None = None,
    executor: Executor | None = None,
    precision: Precision | None = None,
) -> SweepResult:
    """Run every point against its baseline, all through one executor under one progress bar.

    The table has one row per point: ``point``, the value of every varied
    parameter at that point, ``saving_mean_gbp, saving_ci_low_gbp,
    saving_ci_high_gbp`` (baseline cost minus scenario cost, paired 95%
    interval), then ``<kpi>`` (scenario mean) and ``<kpi>_diff`` (paired
    change) for the ``SWEEP_KPIS``, then ``n_reps`` (and, with a
    ``precision``, ``precision_reached``).
    """
    groups: dict[int, list[str]] = {}
    configs: dict[str, Config] = {}
    for point in points:
        base_key = _base_key(spec, point)
        configs.setdefault(base_key, point.baseline)
        configs[f"point_{point.index}"] = point.scenario
        groups[point.index] = [base_key, f"point_{point.index}"]
    with (
        executor_scope(executor, jobs) as ex,
        ReplicationRunner(ex, progress=progress, label=f"sweep {spec.name}") as runner,
    ):
        for key, cfg in configs.items():
            runner.add(key, cfg, None if checkpoints is None else checkpoints.for_scenario(cfg))
        outcomes = run_groups(runner, groups, points[0].baseline.run.replications, precision)
        used = {key: 0 for key in configs}
        for point in points:
            for key in groups[point.index]:
                used[key] = max(used[key], outcomes[point.index].replications)
        tables = {key: summary_table(runner.results(key, n)) for key, n in used.items()}

    rows = []
    for point in points:
        n = outcomes[point.index].replications
        base = tables[_base_key(spec, point)]
        cmp = paired_comparison(base[base["replication"] < n], tables[f"point_{point.index}"]).set_index("kpi")
        row: dict[str, Any] = {"point": point.index, **_varied_values(spec, point)}
        cost = cmp.loc["cost_total_annual_gbp"]
        row.update(
            saving_mean_gbp=-cost["diff_mean"],
            saving_ci_low_gbp=-cost["diff_ci_high"],
            saving_ci_high_gbp=-cost["diff_ci_low"],
        )
        for kpi in SWEEP_KPIS:
            if kpi in cmp.index:
                row[kpi] = cmp.loc[kpi, "scenario_mean"]
                row[f"{kpi}_diff"] = cmp.loc[kpi, "diff_mean"]
        row["n_reps"] = int(cost["n_reps"])
        if precision is not None:
            row["precision_reached"] = bool(outcomes[point.index].reached)
        rows.append(row)
    return SweepResult(pd.DataFrame(rows), tables, outcomes)


__all__ = [  # the sweep's public names, wherever their idea lives
    "DRAWN",
    "SWEEP_KPIS",
    "SweepPoint",
    "SweepResult",
    "SweepRun",
    "SweepSpec",
    "build_points",
    "load_sweep",
    "point_count",
    "point_summary",
    "point_values",
    "quantile",
    "replications_table",
    "run_sweep",
    "runs_table",
    "set_parameters",
    "sobol_indices",
    "sobol_problem",
    "uncertainty_summary",
    "unit_design",
]
