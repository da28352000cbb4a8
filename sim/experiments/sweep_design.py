"""A sweep's design: the sweep file, the values each point gives its inputs, and both arms' configs.

A sweep file (see :mod:`sim.experiments.sweep`) names a baseline, a scenario and
the values to try for dotted config paths: lists for ``grid`` and
``one_at_a_time``, distributions for ``sample``, ``latin_hypercube`` and
``sobol``. This module reads and checks the file, lays out its points and
applies each point's values to the configs it runs (``set_parameters`` does the
same for ``--set PATH=VALUE`` on the command line).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
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
from ..model.random_streams import stream_key

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
                raise ConfigError(
                    f"{path}: vary.{dotted} = {describe(entry)}: give a distribution, "
                    "e.g. {dist: uniform, low: 0.5, high: 0.9}"
                )
            try:
                DISTRIBUTION.validate_python(entry, strict=True)
            except ValidationError as err:
                raise ConfigError(format_validation_error(f"{path}: vary.{dotted}", err, entry)) from None
        elif not isinstance(entry, list) or not entry:
            raise ConfigError(
                f"{path}: vary.{dotted} = {describe(entry)}: give a list of at least one value "
                "(or a distribution, with design: sample)"
            )
    paths = list(spec.vary)
    for dotted in paths:
        if dotted == "run" or dotted.startswith("run."):
            raise ConfigError(
                f"{path}: vary.{dotted}: run settings are the same for every point "
                "(set them in the sweep's run: block or on the command line)"
            )
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
    run = {**spec.run.model_dump(exclude_none=True), **{k: v for k, v in run_overrides.items() if v is not None}}
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


def _base_key(spec: SweepSpec, point: SweepPoint) -> str:
    return "baseline" if spec.apply_to == "scenario" else f"baseline_{point.index}"


def _varied_values(spec: SweepSpec, point: SweepPoint) -> dict[str, Any]:
    scen_data = point.scenario.model_dump()
    row = {}
    for dotted in spec.vary:
        value = _get(scen_data, dotted)
        row[dotted] = value if not isinstance(value, (list, dict)) else repr(value)
    return row
