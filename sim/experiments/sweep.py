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
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, TypeAdapter, ValidationError

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
)
from ..inputs.distributions import Prior, quantile  # noqa: F401 - quantile: sweeps have always offered it
from ..inputs.parameters import SAMPLE_STREAM_TAG, ParameterSpace, draw, get_value, set_value
from ..inputs.parameters import unit_design as unit_cube_design
from ..inputs.overrides import set_parameters  # noqa: F401 - --set lives with the inputs; importable here as before
from ..inputs.yaml_reader import describe
from ..analysis.output_analysis import paired_comparison, summarise
from ..model.random_streams import stream_key
from .executors import Executor, executor_scope
from .precision import Outcome, Precision, run_groups
from .runner import ReplicationRunner, summary_table

if TYPE_CHECKING:
    from .checkpoint import CheckpointFolder

DRAWN = ("sample", "latin_hypercube", "sobol")
"""Designs that draw the inputs from distributions."""

MAX_POINTS = 1000
MIN_SAMPLES = 10
DISTRIBUTION = TypeAdapter(Prior)
"""A varied input's distribution: any a config may name, or beta / gamma (``sim/inputs/distributions.py``)."""
DESIGN_METHOD = {"sample": "random", "latin_hypercube": "lhs", "sobol": "sobol"}
"""The parameter space's sampling method for each drawn design."""
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
    design: Literal["grid", "one_at_a_time", "sample", "latin_hypercube", "sobol"] = "grid"
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
    if (spec.design in DRAWN) != (spec.samples is not None):
        raise ConfigError(f"{path}: samples: give it with design: sample, latin_hypercube or sobol, and only then")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        raise ConfigError(f"{path}: samples = {spec.samples}: design: sobol needs a power of two, e.g. 16 or 32")
    for dotted, entry in spec.vary.items():
        if spec.design in DRAWN:
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


def _set(data: dict, dotted: str, value: Any, source: str, prefix: str = "vary.") -> None:
    """Set a dotted path (list positions as numbers) in a config mapping; refuse unknown paths."""
    set_value(data, dotted, value, source, prefix)


def _get(data: dict, dotted: str) -> Any:
    return get_value(data, dotted)


def _with_values(cfg: Config, values: dict[str, Any], source: str) -> Config:
    return ParameterSpace([]).apply(cfg, values, source, prefix="vary.")


def point_count(spec: SweepSpec) -> int:
    """How many points the sweep has (without building them)."""
    if spec.design == "sobol":
        return int(spec.samples) * (len(spec.vary) + 2)
    if spec.design in DRAWN:
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
    ``latin_hypercube``: ``samples`` draws, one in each of ``samples`` equally
    likely strata of every parameter (``scipy.stats.qmc.LatinHypercube``).
    ``sobol``: Saltelli's design for Sobol indices (SALib), ``samples *
    (parameters + 2)`` points.
    """
    names = list(spec.vary)
    if point_count(spec) > MAX_POINTS:
        raise ConfigError(f"vary: {point_count(spec):,} points, more than {MAX_POINTS:,}")
    if spec.design == "grid":
        return [dict(zip(names, combo)) for combo in itertools.product(*spec.vary.values())]
    if spec.design in DRAWN:
        dists = {name: DISTRIBUTION.validate_python(spec.vary[name]) for name in names}
        return draw(dists, int(spec.samples), seed, DESIGN_METHOD[spec.design])
    return [{name: value} for name in names for value in spec.vary[name]]


def _design_seed(seed: int, design: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, SAMPLE_STREAM_TAG, stream_key(design)])


def sobol_problem(names: list[str]) -> dict:
    """SALib's description of the inputs, on the unit scale (each input's own
    distribution is applied afterwards through its quantile function)."""
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def unit_design(spec: SweepSpec, seed: int = 0) -> np.ndarray:
    """The design on the unit cube, one row per point (``latin_hypercube`` or ``sobol``)."""
    return unit_cube_design(len(spec.vary), int(spec.samples), seed, DESIGN_METHOD[spec.design])


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
    if spec.design in DRAWN:
        _check_bounds(spec, scenario, baseline, source)
    values = point_values(spec, seed=baseline.run.seed)
    if spec.design in DRAWN:
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


@dataclass
class SweepResult:
    """Everything a sweep produced.

    ``table``: one row per point (see :func:`run_sweep`). ``tables``: each
    run's per-replication KPIs, keyed ``baseline`` (or ``baseline_<k>`` when
    the baseline varies too) and ``point_<k>``. ``outcomes``: replications
    used by each point (and whether a precision asked for was reached).
    """

    table: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    outcomes: dict[int, Outcome]


def _base_key(spec: SweepSpec, point: SweepPoint) -> str:
    return "baseline" if spec.apply_to == "scenario" else f"baseline_{point.index}"


def _varied_values(spec: SweepSpec, point: SweepPoint) -> dict[str, Any]:
    scen_data = point.scenario.model_dump()
    row = {}
    for dotted in spec.vary:
        value = _get(scen_data, dotted)
        row[dotted] = value if not isinstance(value, (list, dict)) else repr(value)
    return row


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
    with executor_scope(executor, jobs) as ex, \
            ReplicationRunner(ex, progress=progress, label=f"sweep {spec.name}") as runner:
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


def replications_table(spec: SweepSpec, points: list[SweepPoint], result: SweepResult) -> pd.DataFrame:
    """The tidy table: one row per point and replication.

    Columns: ``point``, the varied inputs, ``replication``, ``saving_gbp``
    (baseline cost minus scenario cost in that replication), every KPI of the
    scenario, then every KPI of its baseline prefixed ``baseline_``.
    """
    frames = []
    for point in points:
        n = result.outcomes[point.index].replications
        scen = result.tables[f"point_{point.index}"].copy().set_index("replication")
        base = result.tables[_base_key(spec, point)].copy().set_index("replication").reindex(scen.index)
        front = pd.DataFrame({"point": point.index, **_varied_values(spec, point)}, index=scen.index)
        front["saving_gbp"] = base["cost_total_annual_gbp"] - scen["cost_total_annual_gbp"]
        frame = pd.concat([front, scen, base.add_prefix("baseline_")], axis=1).reset_index()
        frames.append(frame.iloc[:n])
    table = pd.concat(frames, ignore_index=True)
    route = [c for c in table.columns if c.startswith(("cost_annual_gbp_", "volume_per_day_",
                                                       "baseline_cost_annual_gbp_", "baseline_volume_per_day_"))]
    table[route] = table[route].fillna(0.0)  # a route no patient took in a replication: zero
    first = ["point", *spec.vary, "replication", "saving_gbp"]
    return table[first + [c for c in table.columns if c not in first]]


def point_summary(spec: SweepSpec, points: list[SweepPoint], result: SweepResult) -> pd.DataFrame:
    """Per point and KPI: the scenario's mean with its 95% interval, and the paired change with its own.

    Long table: ``point``, the varied inputs, ``kpi, scenario_mean,
    scenario_ci_low, scenario_ci_high, diff_mean, diff_ci_low, diff_ci_high,
    n_reps`` (``diff`` is scenario minus baseline; the saving is its negative
    for ``cost_total_annual_gbp``).
    """
    frames = []
    for point in points:
        n = result.outcomes[point.index].replications
        scen = result.tables[f"point_{point.index}"]
        base = result.tables[_base_key(spec, point)]
        cmp = paired_comparison(base[base["replication"] < n], scen)
        own = summarise(scen).rename(columns={"mean": "scenario_mean", "ci_low": "scenario_ci_low",
                                              "ci_high": "scenario_ci_high"}).drop(columns="n_reps")
        frame = own.merge(cmp[["kpi", "diff_mean", "diff_ci_low", "diff_ci_high", "n_reps"]], on="kpi")
        for name, value in reversed(list(_varied_values(spec, point).items())):
            frame.insert(0, name, value)
        frame.insert(0, "point", point.index)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def runs_table(spec: SweepSpec, points: list[SweepPoint], result: SweepResult) -> pd.DataFrame:
    """Every run's per-replication KPIs in one long table: ``run``, ``point``, the varied values, then KPIs.

    The shared baseline (``apply_to: scenario``) has no point and no varied values.
    """
    frames = []
    by_key = {f"point_{p.index}": p for p in points}
    by_key.update({f"baseline_{p.index}": p for p in points} if spec.apply_to == "both" else {})
    for key, table in result.tables.items():
        point = by_key.get(key)
        front = {"run": key, "point": point.index if point is not None else pd.NA}
        front.update(_varied_values(spec, point) if point is not None else {name: pd.NA for name in spec.vary})
        frames.append(pd.concat([pd.DataFrame(front, index=table.index), table], axis=1))
    return pd.concat(frames, ignore_index=True)


def sobol_indices(spec: SweepSpec, table: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices of the saving, with 95% intervals (SALib).

    Rows ``parameter, S1, S1_ci_low, S1_ci_high, ST, ST_ci_low, ST_ci_high``.
    Needs every point's saving (a point without one leaves the indices NaN).
    """
    from SALib.analyze import sobol as sobol_analyze

    names = list(spec.vary)
    y = table.sort_values("point")["saving_mean_gbp"].to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        nan = [float("nan")] * len(names)
        res = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
    else:
        salib_seed = int(_design_seed(seed, "sobol analysis").generate_state(1)[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a saving that does not vary at all
            res = sobol_analyze.analyze(sobol_problem(names), y, calc_second_order=False, conf_level=0.95,
                                        seed=salib_seed)
    rows = []
    for i, name in enumerate(names):
        s1, s1c, st, stc = (float(res[k][i]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
        rows.append({"parameter": name, "S1": s1, "S1_ci_low": s1 - s1c, "S1_ci_high": s1 + s1c,
                     "ST": st, "ST_ci_low": st - stc, "ST_ci_high": st + stc})
    return pd.DataFrame(rows)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation; NaN when either side does not vary."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    from scipy import stats  # only sample sweeps need it

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
