"""Saving of a redesign split change by change (X1-X8), each with a paired confidence interval.

The changes are switched on one after another, in a given order, starting from
the baseline. Step *k* is compared with step *k-1* on common random numbers, so
each step's saving has its own paired interval and the steps add up exactly to
the whole saving. Scenario settings that are not switches (slot capacities, say)
form a first step of their own. The split depends on the order: a change that
comes later finds part of its work already done.

Any number of named scenarios can be split against one baseline
(:func:`attribute_scenarios`): their steps run through one executor on the same
replications, and a step two scenarios share (the baseline, say) runs once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..inputs.config import Changes, Config, ConfigError, validate_config
from ..analysis.output_analysis import paired_comparison
from .executors import Executor, executor_scope
from .precision import Outcome, Precision, run_groups
from .runner import ReplicationRunner, summary_table
from .store import replication_key

if TYPE_CHECKING:
    from .checkpoint import CheckpointFolder

SETTINGS_STEP = "settings"
"""Label of the step that applies the scenario's non-switch parameters."""

PAPER_ESTIMATES = {
    "x1_overflow_instead_of_walk_in": "c. GBP 250k pa (X1 with X2)",
    "x2_overflow_instead_of_practice_referral": "(with X1)",
    "x3_overflow_instead_of_111_call": "(with X4)",
    "x4_111_books_pcn_sda": "c. GBP 200k pa (X4 with X3)",
    "x5_utc_stops_redirecting": "c. GBP 500k pa",
    "x6_comprehensive_sda_consultation": "c. 15 GP hours/week",
    "x7_st_andrews_hub_ceased": "n/a",
    "x8_ia_nurse_redirects": "c. GBP 500k pa",
}

KPI_CHANGES_SHOWN = (
    "utc_attendances_per_day",
    "sda_redirections_front_door_per_day",
    "gp_reattendance_hours_per_week",
)


@dataclass(frozen=True)
class Step:
    """One cumulative scenario on the way from baseline to scenario."""

    label: str
    cfg: Config


def _switch_names() -> list[str]:
    return list(Changes.model_fields)


def resolve_order(order: list[str] | None) -> list[str]:
    """Full switch names from short ones (``x8``) or full ones; default X1..X8."""
    names = _switch_names()
    if not order:
        return names
    resolved = []
    for item in order:
        if not item:
            raise ConfigError("--order: an empty name (use x1..x8, separated by commas)")
        match = [n for n in names if n == item or n.split("_", 1)[0] == item.lower()]
        if len(match) != 1:
            raise ConfigError(f"--order: unknown change {item!r} (use x1..x8)")
        if match[0] in resolved:
            raise ConfigError(f"--order: {item!r} is given twice (each change once)")
        resolved.append(match[0])
    missing = [n for n in names if n not in resolved]
    return resolved + missing


def build_steps(baseline: Config, scenario: Config, order: list[str] | None = None) -> list[Step]:
    """The cumulative scenarios: baseline, settings, then each differing switch in ``order``."""
    base = baseline.model_dump()
    scen = scenario.model_dump()
    steps = [Step("baseline", baseline)]
    current = dict(scen)
    current["changes"] = dict(base["changes"])
    current["run"] = base["run"]
    current["name"], current["description"] = base["name"], base["description"]
    if current != base:
        steps.append(Step(SETTINGS_STEP, validate_config(current, "attribution settings")))
    for switch in resolve_order(order):
        if scen["changes"][switch] != base["changes"][switch]:
            current = dict(current)
            current["changes"] = dict(current["changes"], **{switch: scen["changes"][switch]})
            steps.append(Step(switch, validate_config(current, f"attribution {switch}")))
    return steps


def run_scenario_steps(
    baseline: Config,
    scenarios: Mapping[str, Config],
    order: list[str] | None = None,
    progress: bool = True,
    checkpoints: CheckpointFolder | None = None,
    executor: Executor | None = None,
    precision: Precision | None = None,
) -> tuple[dict[str, tuple[list[Step], dict[str, pd.DataFrame]]], Outcome]:
    """Run every attribution step of every named scenario on the same replications.

    Returns, for each scenario name, its steps and each step's per-replication
    KPIs (keyed by the step's label), and the outcome: how many replications
    every step used, and whether the ``precision`` asked for (if any) was
    reached. A step shared by scenarios (same config) runs once. ``executor``
    is left open; by default the replications run in this process.
    """
    steps = {name: build_steps(baseline, scenario, order) for name, scenario in scenarios.items()}
    with executor_scope(executor, 1) as ex, ReplicationRunner(ex, progress=progress, label="attribution") as runner:
        keys = []
        for scenario_steps in steps.values():
            for step in scenario_steps:
                key = replication_key(step.cfg)
                if key not in runner:
                    runner.add(key, step.cfg, None if checkpoints is None else checkpoints.for_scenario(step.cfg))
                    keys.append(key)
        outcome: Outcome = run_groups(runner, {"all": keys}, baseline.run.replications, precision)["all"]
        tables = {key: summary_table(runner.results(key, outcome.replications)) for key in keys}
    found = {
        name: (scenario_steps, {step.label: tables[replication_key(step.cfg)] for step in scenario_steps})
        for name, scenario_steps in steps.items()
    }
    return found, outcome


def run_steps(
    baseline: Config,
    scenario: Config,
    order: list[str] | None = None,
    progress: bool = True,
    checkpoints: CheckpointFolder | None = None,
    executor: Executor | None = None,
    precision: Precision | None = None,
) -> tuple[list[Step], dict[str, pd.DataFrame], Outcome]:
    """Run every attribution step on the same replications.

    Returns the steps, each step's per-replication KPIs (keyed by its label) and
    the outcome: how many replications every step used, and whether the
    ``precision`` asked for (if any) was reached. ``executor`` is left open; by
    default the replications run in this process.
    """
    found, outcome = run_scenario_steps(
        baseline, {"scenario": scenario}, order, progress, checkpoints, executor, precision
    )
    steps, summaries = found["scenario"]
    return steps, summaries, outcome


def attribution_table(steps: list[Step], summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The saving of each step over the one before, and of the whole, with paired 95% intervals.

    One row per step after the baseline and a ``total`` row: ``step,
    saving_mean_gbp, saving_ci_low_gbp, saving_ci_high_gbp``, the paired change
    ``<kpi>_diff`` of a few KPIs, and the paper's estimate.
    """
    pairs = [(before.label, after.label, after.label) for before, after in zip(steps[:-1], steps[1:])]
    pairs.append((steps[0].label, steps[-1].label, "total"))
    rows = []
    for before, after, label in pairs:
        cmp = paired_comparison(summaries[before], summaries[after]).set_index("kpi")
        cost = cmp.loc["cost_total_annual_gbp"]
        row = {
            "step": label,
            "saving_mean_gbp": -cost["diff_mean"],
            "saving_ci_low_gbp": -cost["diff_ci_high"],
            "saving_ci_high_gbp": -cost["diff_ci_low"],
        }
        for kpi in KPI_CHANGES_SHOWN:
            row[f"{kpi}_diff"] = cmp.loc[kpi, "diff_mean"] if kpi in cmp.index else float("nan")
        row["paper_estimate"] = PAPER_ESTIMATES.get(label, "c. GBP 1.5M pa" if label == "total" else "")
        rows.append(row)
    return pd.DataFrame(rows)


def attribute_scenarios(
    baseline: Config,
    scenarios: Mapping[str, Config],
    order: list[str] | None = None,
    jobs: int = 1,
    progress: bool = True,
    checkpoints: CheckpointFolder | None = None,
    executor: Executor | None = None,
    precision: Precision | None = None,
) -> dict[str, tuple[pd.DataFrame, dict[str, pd.DataFrame]]]:
    """Split the saving of each named scenario over ``baseline`` change by change.

    Returns, by scenario name, the attribution table (see :func:`attribution_table`)
    and each step's per-replication KPIs. Every step of every scenario runs on the
    same replications through one executor (``jobs`` local processes unless given).
    """
    with executor_scope(executor, jobs) as ex:
        found, _ = run_scenario_steps(baseline, scenarios, order, progress, checkpoints, ex, precision)
    return {name: (attribution_table(steps, summaries), summaries) for name, (steps, summaries) in found.items()}


def attribute(
    baseline: Config,
    scenario: Config,
    order: list[str] | None = None,
    jobs: int = 1,
    progress: bool = True,
    checkpoints: CheckpointFolder | None = None,
    executor: Executor | None = None,
    precision: Precision | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Run every step and return the attribution table and each step's per-replication KPIs.

    The table has one row per step after the baseline and a ``total`` row:
    ``step, saving_mean_gbp, saving_ci_low_gbp, saving_ci_high_gbp`` and, for a few KPIs,
    the paired change ``<kpi>_diff``. With ``checkpoints``, each step's finished
    replications are kept there and reused.
    """
    return attribute_scenarios(
        baseline, {"scenario": scenario}, order, jobs, progress, checkpoints, executor, precision
    )["scenario"]
