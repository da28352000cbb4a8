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

Every point is run on the baseline's run settings, so each comparison is
paired on common random numbers, like ``compare``.
"""

from __future__ import annotations

import copy
import itertools
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, TypeAdapter, ValidationError
from scipy import stats

from ..inputs.config import (
    Config,
    ConfigError,
    Locked,
    Name,
    NonNegInt,
    apply_overrides,
    format_validation_error,
    load_config,
    read_yaml_mapping,
    validate_config,
)
from ..inputs.distributions import Distribution
from ..inputs.yaml_reader import describe
from ..analysis.output_analysis import paired_comparison
from ..model.random_streams import stream_key
from .runner import run_replications, summary_table

if TYPE_CHECKING:
    from .checkpoint import CheckpointFolder

MAX_POINTS = 1000
MIN_SAMPLES = 10
DISTRIBUTION = TypeAdapter(Distribution)
SAMPLE_STREAM_TAG = stream_key("sweep sample")
"""Part of every input stream's seed, so input draws never share a seed with a simulation stream."""
BOOTSTRAP_RESAMPLES = 1000

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

    name: Name
    description: str = ""
    baseline: str
    scenario: str
    vary: dict[str, Any] = Field(min_length=1)
    """Lists of values (grid, one_at_a_time) or distributions (sample), by dotted path."""
    design: Literal["grid", "one_at_a_time", "sample"] = "grid"
    samples: Annotated[int, Field(ge=MIN_SAMPLES, le=MAX_POINTS)] | None = None
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
    if (spec.design == "sample") != (spec.samples is not None):
        raise ConfigError(f"{path}: samples: give it with design: sample, and only then")
    for dotted, entry in spec.vary.items():
        if spec.design == "sample":
            if not isinstance(entry, dict):
                raise ConfigError(f"{path}: vary.{dotted} = {describe(entry)}: give a distribution, "
                                  "e.g. {dist: uniform, low: 0.5, high: 0.9}")
            try:
                DISTRIBUTION.validate_python(entry, strict=True)
            except ValidationError as err:
                raise ConfigError(format_validation_error(f"{path}: vary.{dotted}", err, entry)) from None
        elif not isinstance(entry, list) or not entry:
            raise ConfigError(f"{path}: vary.{dotted} = {describe(entry)}: give a list of at least one value "
                              "(or a distribution, with design: sample)")
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
    if spec.design == "sample":
        return int(spec.samples)
    sizes = [len(values) for values in spec.vary.values()]
    return math.prod(sizes) if spec.design == "grid" else sum(sizes)


def point_values(spec: SweepSpec, seed: int = 0) -> list[dict[str, Any]]:
    """The parameter values of every point, in order.

    ``grid``: every combination, the last parameter varying fastest.
    ``one_at_a_time``: each parameter through its values, the others as in the scenario.
    ``sample``: ``samples`` independent draws; each parameter has its own
    stream, seeded from ``seed`` and its path, so adding a parameter leaves
    the others' draws unchanged.
    """
    names = list(spec.vary)
    if point_count(spec) > MAX_POINTS:
        raise ConfigError(f"vary: {point_count(spec):,} points, more than {MAX_POINTS:,}")
    if spec.design == "grid":
        return [dict(zip(names, combo)) for combo in itertools.product(*spec.vary.values())]
    if spec.design == "sample":
        columns = {}
        for name in names:
            rng = np.random.default_rng(np.random.SeedSequence([seed, SAMPLE_STREAM_TAG, stream_key(name)]))
            columns[name] = DISTRIBUTION.validate_python(spec.vary[name]).sample(rng, spec.samples).tolist()
        return [{name: columns[name][i] for name in names} for i in range(int(spec.samples))]
    return [{name: value} for name in names for value in spec.vary[name]]


def _like(value: Any, data: dict, dotted: str) -> Any:
    """A drawn number rounded to the nearest whole number where the config holds one (a count, a slot total).

    An unknown path leaves the value as it is: ``_with_values`` refuses it with its own message.
    """
    try:
        current = _get(data, dotted)
    except (KeyError, IndexError, ValueError, TypeError):
        return value
    if isinstance(current, int) and not isinstance(current, bool) and isinstance(value, float):
        return round(value)
    return value


def _check_bounds(spec: SweepSpec, scenario: Config, baseline: Config, source: str) -> None:
    """Refuse a bounded distribution whose ends the config would refuse, whatever the draws."""
    current = scenario.model_dump()
    for dotted, entry in spec.vary.items():
        dist = DISTRIBUTION.validate_python(entry)
        ends = [getattr(dist, "low", None), getattr(dist, "high", None)]
        for end in (e for e in ends if e is not None):
            value = _like(float(end), current, dotted)
            where = f"{source}: vary.{dotted} (its distribution reaches {end:g})"
            _with_values(scenario, {dotted: value}, where)
            if spec.apply_to == "both":
                _with_values(baseline, {dotted: value}, where)


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
    baseline = apply_overrides(baseline, source=f"{source}: run", **run)
    scenario = scenario.model_copy(update={"run": baseline.run})
    if point_count(spec) > MAX_POINTS:
        raise ConfigError(f"{source}: vary: {point_count(spec):,} points, more than {MAX_POINTS:,}")
    if spec.design == "sample":
        _check_bounds(spec, scenario, baseline, source)
    values = point_values(spec, seed=baseline.run.seed)
    if spec.design == "sample":
        current = scenario.model_dump()
        for vals in values:
            for dotted in vals:
                vals[dotted] = _like(vals[dotted], current, dotted)
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


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation; NaN when either side does not vary."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def uncertainty_summary(table: pd.DataFrame, varied: list[str], seed: int = 0) -> pd.DataFrame:
    """How the saving spreads over the points, and which varied input moves it most.

    Rows ``measure, parameter, value, ci_low, ci_high``: the number of points
    used (those with a finite saving); the mean, the 2.5th, 50th and 97.5th
    percentiles of the point savings and the share of points with a saving
    above zero; then each parameter's Spearman rank correlation with the
    saving. ``ci_low, ci_high`` is a 95% percentile-bootstrap interval of each
    figure over the points (``BOOTSTRAP_RESAMPLES`` resamples, seeded by
    ``seed``): how much it could change with other draws of the inputs.

    Meant for ``design: sample``, where the points are draws of the inputs,
    so the percentiles are an interval for the saving under input uncertainty.
    """
    saving_all = table["saving_mean_gbp"].to_numpy(dtype=float)
    finite = np.isfinite(saving_all)
    saving = saving_all[finite]
    inputs = {name: pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)[finite] for name in varied}

    def figures(s: np.ndarray, cols: dict[str, np.ndarray]) -> list[float]:
        out = [float(np.mean(s)), *np.percentile(s, [2.5, 50, 97.5]).tolist(), float(np.mean(s > 0))]
        for name in varied:
            x = cols[name]
            ok = np.isfinite(x)
            out.append(_spearman(x[ok], s[ok]) if ok.sum() >= 3 else float("nan"))
        return out

    labels = [("saving_mean_gbp", ""), ("saving_p2.5_gbp", ""), ("saving_p50_gbp", ""),
              ("saving_p97.5_gbp", ""), ("share_saving_above_zero", "")]
    labels += [("spearman_rho_with_saving", name) for name in varied]
    n = saving.size
    if n == 0:
        values = low = high = [float("nan")] * len(labels)
    else:
        values = figures(saving, inputs)
        rng = np.random.default_rng(np.random.SeedSequence([seed, SAMPLE_STREAM_TAG, stream_key("bootstrap")]))
        boot = np.array([figures(saving[idx], {k: v[idx] for k, v in inputs.items()})
                         for idx in rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))])
        with warnings.catch_warnings():  # a figure undefined in every resample stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    rows = [("points", "", float(n), float("nan"), float("nan"))]
    rows += [(m, p_, float(v), float(lo), float(hi)) for (m, p_), v, lo, hi in zip(labels, values, low, high)]
    return pd.DataFrame(rows, columns=["measure", "parameter", "value", "ci_low", "ci_high"])
