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

Every point is run on the baseline's run settings, so each comparison is
paired on common random numbers, like ``compare``.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import pandas as pd
from pydantic import Field, ValidationError

from .config import (
    Config,
    ConfigError,
    Locked,
    NonNegInt,
    format_validation_error,
    load_config,
    read_yaml_mapping,
    validate_config,
)
from .output_analysis import paired_comparison
from .runner import run_replications, summary_table

if TYPE_CHECKING:
    from .checkpoint import CheckpointFolder

MAX_POINTS = 1000

SWEEP_KPIS = (
    "utc_within_4h_pct",
    "utc_attendances_per_day",
    "sda_redirections_front_door_per_day",
    "sda_slot_utilisation_pct",
    "sda_no_slot_per_day",
    "gp_reattendance_hours_per_week",
)
"""KPIs shown for each point besides the saving: the scenario's mean and its paired change."""


class SweepRun(Locked):
    """Run settings for every point (each optional; the baseline config's otherwise)."""

    days: int | None = Field(default=None, ge=1, le=3660)
    warmup_days: NonNegInt | None = None
    replications: int | None = Field(default=None, ge=1, le=10000)
    seed: NonNegInt | None = None


class SweepSpec(Locked):
    """A sweep file, validated."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    baseline: str
    scenario: str
    vary: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(min_length=1)
    design: Literal["grid", "one_at_a_time"] = "grid"
    apply_to: Literal["scenario", "both"] = "scenario"
    run: SweepRun = SweepRun()


@dataclass(frozen=True)
class SweepPoint:
    """One point of a sweep: its parameter values and the configs of both arms."""

    index: int
    values: dict[str, Any]
    baseline: Config
    scenario: Config


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (one-line ``ConfigError`` on bad input)."""
    path = Path(path)
    data = read_yaml_mapping(path, "sweep")
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None
    paths = list(spec.vary)
    for dotted in paths:
        if dotted == "run" or dotted.startswith("run."):
            raise ConfigError(f"{path}: vary.{dotted}: run settings are the same for every point "
                              "(set them in the sweep's run: block or on the command line)")
        inner = [other for other in paths if other.startswith(dotted + ".")]
        if inner:
            raise ConfigError(f"{path}: vary.{inner[0]}: lies inside vary.{dotted}; vary one or the other")
    return spec


def _set(data: dict, dotted: str, value: Any, source: str) -> None:
    """Set a dotted path (list positions as numbers) in a config mapping; refuse unknown paths."""
    keys = dotted.split(".")
    node = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, dict) and key in node:
            if last:
                node[key] = copy.deepcopy(value)
            else:
                node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            if last:
                node[int(key)] = copy.deepcopy(value)
            else:
                node = node[int(key)]
        else:
            missing = ".".join(keys[:depth + 1])
            where = "" if missing == dotted else f" ({missing} is not in the config)"
            raise ConfigError(f"{source}: vary.{dotted}: no such parameter{where}")


def _get(data: dict, dotted: str) -> Any:
    node: Any = data
    for key in dotted.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _with_values(cfg: Config, values: dict[str, Any], source: str) -> Config:
    data = cfg.model_dump()
    for dotted, value in values.items():
        _set(data, dotted, value, source)
    return validate_config(data, source)


def point_count(spec: SweepSpec) -> int:
    """How many points the sweep has (without building them)."""
    sizes = [len(values) for values in spec.vary.values()]
    return math.prod(sizes) if spec.design == "grid" else sum(sizes)


def point_values(spec: SweepSpec) -> list[dict[str, Any]]:
    """The parameter values of every point, in order.

    ``grid``: every combination, the last parameter varying fastest.
    ``one_at_a_time``: each parameter through its values, the others as in the scenario.
    """
    names = list(spec.vary)
    if point_count(spec) > MAX_POINTS:
        raise ConfigError(f"vary: {point_count(spec):,} points, more than {MAX_POINTS:,}")
    if spec.design == "grid":
        return [dict(zip(names, combo)) for combo in itertools.product(*spec.vary.values())]
    return [{name: value} for name in names for value in spec.vary[name]]


def build_points(spec: SweepSpec, source: str | Path, **run_overrides) -> list[SweepPoint]:
    """Validate every point's configs before anything runs.

    ``run_overrides`` (days, warmup_days, replications, seed; ``None`` ignored)
    come from the command line and win over the sweep file's ``run``.
    """
    source = str(source)
    folder = Path(source).parent
    baseline = load_config(folder / spec.baseline)
    scenario = load_config(folder / spec.scenario)
    run = {**spec.run.model_dump(exclude_none=True),
           **{k: v for k, v in run_overrides.items() if v is not None}}
    if run:
        data = baseline.model_dump()
        data["run"].update(run)
        baseline = validate_config(data, f"{source}: run")
    scenario = scenario.model_copy(update={"run": baseline.run})
    if point_count(spec) > MAX_POINTS:
        raise ConfigError(f"{source}: vary: {point_count(spec):,} points, more than {MAX_POINTS:,}")
    values = point_values(spec)
    points = []
    for i, vals in enumerate(values):
        where = f"{source} point {i} ({', '.join(f'{k}={v!r}' for k, v in vals.items())})"
        scen = _with_values(scenario, vals, where)
        base = _with_values(baseline, vals, where) if spec.apply_to == "both" else baseline
        points.append(SweepPoint(i, vals, base, scen))
    return points


def run_sweep(
    spec: SweepSpec,
    points: list[SweepPoint],
    jobs: int = 1,
    progress: bool = True,
    checkpoints: CheckpointFolder | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Run every point against its baseline; returns the sweep table and the per-replication tables.

    The table has one row per point: ``point``, the value of every varied
    parameter at that point, ``saving_mean_gbp, saving_ci_low_gbp,
    saving_ci_high_gbp`` (baseline cost minus scenario cost, paired 95%
    interval), then ``<kpi>`` (scenario mean) and ``<kpi>_diff`` (paired
    change) for the ``SWEEP_KPIS``. The tables are keyed ``baseline`` (or
    ``baseline_<k>`` when the baseline varies too) and ``point_<k>``.
    """
    total = len(points)

    def run(cfg: Config, label: str) -> pd.DataFrame:
        store = None if checkpoints is None else checkpoints.for_scenario(cfg)
        return summary_table(run_replications(cfg, jobs=jobs, progress=progress, label=label, checkpoint=store))

    tables: dict[str, pd.DataFrame] = {}
    if spec.apply_to == "scenario":
        tables["baseline"] = run(points[0].baseline, "baseline")
    rows = []
    for point in points:
        base_key = "baseline" if spec.apply_to == "scenario" else f"baseline_{point.index}"
        if base_key not in tables:
            tables[base_key] = run(point.baseline, f"point {point.index + 1}/{total} baseline")
        tables[f"point_{point.index}"] = run(point.scenario, f"point {point.index + 1}/{total}")
        cmp = paired_comparison(tables[base_key], tables[f"point_{point.index}"]).set_index("kpi")
        scen_data = point.scenario.model_dump()
        row: dict[str, Any] = {"point": point.index}
        for dotted in spec.vary:
            value = _get(scen_data, dotted)
            row[dotted] = value if not isinstance(value, (list, dict)) else repr(value)
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
        rows.append(row)
    return pd.DataFrame(rows), tables
