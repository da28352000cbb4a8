"""Probabilistic sensitivity analysis: the saving's distribution under the uncertainty of its inputs.

Every [assumed] and [calibrated] input with a ``distribution:`` in
``configs/provenance.yaml`` (plus the multipliers of rotas, slot lists and task
times in the PSA file) is drawn together by Latin hypercube sampling. Each draw
runs the baseline (today's pathway) and the scenario (the redesign) on common
random numbers: replication *r* of every draw, in both arms, sees the same
patients, so the spread of the saving over the draws is the inputs' and not
the patients'. With a calibration's plausible sets, the calibrated inputs are
drawn as whole sets from them (keeping the dependence between them that the
targets impose) instead of one by one.

The saving is reported four ways:

* **central value**: the saving at the shipped inputs, with its **simulation
  interval** (paired 95% t-interval over the replications: the patients'
  noise alone);
* the **input-uncertainty interval**: the 2.5th and 97.5th percentiles of the
  draws' mean savings, with the mean and median over the draws;
* the **probability that the saving is positive** (the share of draws), and of
  the net saving once a ``net_saving`` rule is given (the costing work's hook);
* a ranking of the inputs: first-order sensitivity indices by RBD-FAST on the
  Latin hypercube itself (no extra runs; Tarantola et al. 2006, Plischke 2010)
  and Spearman rank correlations, or Sobol first-order and total indices with
  ``ranking: sobol`` (Saltelli's design: ``samples x (inputs + 2)`` draws).

How much of the spread over the draws is simulation noise is reported too (the
within-draw variance over its replications, against the between-draw variance).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, TypeAdapter, ValidationError

from ..analysis.output_analysis import t_interval
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
from ..inputs.distributions import Prior
from ..inputs.parameters import ParameterError, draw, parameter
from .calibration import (
    CalibrationInput,
    apportion,
    config_values,
    inputs_from_spec,
    load_calibration,
)

PRIOR = TypeAdapter(Prior)
SAVING_KPI = "cost_total_annual_gbp"
"""The saving is this KPI in the baseline less in the scenario."""
CALIBRATED_SET = "calibrated_set"
"""Name of the input that picks one of the calibration's plausible sets."""
BOOTSTRAP_RESAMPLES = 1000
NetSaving = Callable[[pd.DataFrame, pd.DataFrame, Config, Config], np.ndarray]
"""``net_saving(baseline, scenario, baseline_cfg, scenario_cfg)``: the net saving of each replication of
one draw (row-aligned KPI tables of that draw, and the configs that draw ran), as
:func:`business_case_net_saving` makes from a business case file."""


def business_case_net_saving(case) -> NetSaving:
    """The business case's net saving (``net_total`` of
    :func:`sim.analysis.business_case.replication_savings`) as a PSA rule.

    Each draw is priced with its own config (a drawn unit cost prices that
    draw), the new SDA slots are paid whether used or not, and the new
    services' costs are charged: the same rule as the business case's net
    saving, so the PSA's probability of a positive net saving speaks of that figure.
    """
    from ..analysis.business_case import Arm, replication_savings

    def net_saving(baseline: pd.DataFrame, scenario: pd.DataFrame, baseline_cfg, scenario_cfg) -> np.ndarray:
        frame = replication_savings(Arm(baseline, baseline_cfg), Arm(scenario, scenario_cfg), case)
        return frame["net_total"].reindex(baseline["replication"].to_numpy()).to_numpy(dtype=float)

    return net_saving


# ------------------------------------------------------------------ the spec ----
class ScaleSpec(Locked):
    """A multiplier drawn for a list (a rota, slots a day) or a task-time distribution."""

    path: str
    dist: dict
    """The multiplier's distribution, e.g. ``{dist: lognormal, mean: 1.0, sd: 0.1}``."""
    entries: list[int] | None = None
    """Positions of the list it multiplies (default: all)."""


class PsaRun(Locked):
    days: int | None = Field(default=None, ge=1, le=3660)
    warmup_days: NonNegInt | None = None
    seed: NonNegInt | None = None


class PsaSpec(Locked):
    """A PSA file (``configs/psa.yaml``), validated."""

    name: Name = "psa"
    description: str = ""
    baseline: str
    scenario: str
    samples: int = Field(default=64, ge=2, le=5000)
    """Draws of the inputs (with ranking: sobol, base draws: a power of two)."""
    replications: int = Field(default=2, ge=1, le=1000)
    """Replications of each draw, in both arms."""
    defaults_replications: int = Field(default=10, ge=2, le=10000)
    """Replications at the shipped inputs (the central value and its simulation interval)."""
    registry: bool = True
    """Draw every [assumed] and [calibrated] input with a distribution in the provenance registry."""
    exclude: list[str] = Field(default_factory=list)
    """Registry paths left at their values."""
    extra: dict[str, dict] = Field(default_factory=dict)
    """More inputs, or other distributions for registry ones: ``{path: distribution}``."""
    scale: dict[str, ScaleSpec] = Field(default_factory=dict)
    """Multipliers: ``{name: {path, dist, entries}}``."""
    scenario_only: list[str] = Field(default_factory=list)
    """Inputs set in the scenario arm only (a fact of the redesign: X8's rate, induced demand)."""
    calibration: str | None = None
    """A calibration file; with ``calibrated_sets`` its inputs are drawn as whole plausible sets."""
    calibrated_sets: str | None = None
    """A calibrate run's ``plausible_sets.csv`` or ``.parquet`` (relative to this file)."""
    business_case: str | None = None
    """A business case file (relative to this file): the net saving of every draw by its costing table
    (new SDA slots paid whether used or not, the new services' costs), and the probability it is positive."""
    ranking: Literal["rbd_fast", "sobol"] = "rbd_fast"
    run: PsaRun = PsaRun()
    budget: int = Field(default=1000, ge=4, le=10_000_000)
    """Most simulator runs in all (one replication of one arm of one draw each)."""


def load_psa(path: str | Path) -> PsaSpec:
    """Read and validate a PSA file (one-line ``ConfigError`` on bad input)."""
    path = Path(path)
    data = read_yaml_mapping(path, "psa")
    try:
        spec = PsaSpec.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None
    for name, entry in {**spec.extra, **{k: v.dist for k, v in spec.scale.items()}}.items():
        try:
            PRIOR.validate_python(entry)
        except ValidationError as err:
            raise ConfigError(format_validation_error(f"{path}: {name}", err, entry)) from None
    if (spec.calibration is None) != (spec.calibrated_sets is None):
        raise ConfigError(
            f"{path}: calibration, calibrated_sets: give both (the file and a calibrate run's "
            "plausible_sets) or neither"
        )
    if spec.ranking == "sobol" and spec.samples & (spec.samples - 1):
        raise ConfigError(f"{path}: samples = {spec.samples}: ranking: sobol needs a power of two, e.g. 16 or 32")
    return spec


# ------------------------------------------------------------- the inputs ----
@dataclass(frozen=True)
class PsaInput:
    """One uncertain input: a config path, a multiplier of a list or task time, or a calibrated set."""

    name: str
    kind: Literal["value", "scale", "set"]
    distribution: Any
    path: str = ""
    entries: tuple[int, ...] | None = None
    source: str = ""
    """Where its distribution comes from: registry, psa file, calibration."""


def registry_inputs(
    base: Config, exclude: Sequence[str] = (), tags: Sequence[str] = ("assumed", "calibrated")
) -> list[PsaInput]:
    """Every registry entry with one of ``tags`` and a distribution that draws a config value.

    A ``fixed`` distribution (a scenario's lever, a settled value) is left
    out: it would only set the value it says. So are entries outside the model
    config (``business_case.*``; the net saving's hook reads those).
    """
    from ..inputs.provenance import load_registry

    out = []
    for path, entry in load_registry().items():
        if entry.tag not in tags or entry.distribution is None or path in exclude:
            continue
        if getattr(entry.distribution, "dist", None) == "fixed":
            continue
        try:
            param = parameter(path)
        except ParameterError:
            continue  # not a model parameter (business case, reconciliation)
        if param.kind not in ("float", "int"):
            continue  # lists and task times: drawn as multipliers (the PSA file's scale:)
        out.append(PsaInput(path, "value", entry.distribution, path, source=f"registry [{entry.tag}]"))
    return out


def psa_inputs(
    spec: PsaSpec,
    base: Config,
    calibrated: pd.DataFrame | None = None,
    calibration_inputs: Sequence[CalibrationInput] = (),
) -> list[PsaInput]:
    """The inputs a PSA draws, in order: the registry's, the file's extra and scale ones, then the calibrated set.

    With calibrated sets, the registry entries of the calibration's inputs are
    left out: the set draws them together.
    """
    calibrated_paths = {item.path for item in calibration_inputs} if calibrated is not None else set()
    inputs = registry_inputs(base, [*spec.exclude, *spec.extra, *calibrated_paths]) if spec.registry else []
    for path, dist in spec.extra.items():
        parameter(path)  # a one-line error if it names no parameter
        inputs.append(PsaInput(path, "value", PRIOR.validate_python(dist), path, source="psa file"))
    for name, entry in spec.scale.items():
        if entry.path in calibrated_paths:
            continue
        parameter(entry.path)
        inputs.append(
            PsaInput(
                name,
                "scale",
                PRIOR.validate_python(entry.dist),
                entry.path,
                None if entry.entries is None else tuple(entry.entries),
                source="psa file",
            )
        )
    if calibrated is not None:
        if len(calibrated) == 0:
            raise ConfigError(f"calibrated_sets: {spec.calibrated_sets}: holds no plausible set")
        inputs.append(PsaInput(CALIBRATED_SET, "set", None, source=f"calibration ({len(calibrated)} sets)"))
    if not inputs:
        raise ConfigError("psa: no uncertain input: give distributions in configs/provenance.yaml or extra: / scale:")
    return inputs


def _scaled(value: Any, factor: float, entries: tuple[int, ...] | None) -> Any:
    """A list (rota, slots) or a task-time distribution multiplied by ``factor``."""
    if isinstance(value, dict):  # a task time: its location and spread scale together (same shape)
        return {k: (v * factor if k in ("mean", "sd", "value", "low", "mode", "high") else v) for k, v in value.items()}
    if isinstance(value, list) and value and all(not isinstance(v, list) for v in value):
        where = list(entries) if entries is not None else list(range(len(value)))
        picked = [value[i] for i in where]
        whole = all(isinstance(v, int) and not isinstance(v, bool) for v in picked)
        new = list(value)
        for i, v in zip(where, apportion(picked, factor) if whole else [v * factor for v in picked]):
            new[i] = v
        return new
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value * factor
    raise ConfigError(f"psa: scale: cannot multiply {value!r}")


def draw_inputs(inputs: Sequence[PsaInput], n: int, seed: int, method: str = "lhs", sets: int = 0) -> pd.DataFrame:
    """The draws, one row per draw, one column per input (``calibrated_set``: a row of the plausible sets).

    The calibrated set is drawn like any other input, from a uniform on the
    unit interval mapped to one of ``sets`` rows, so the Latin hypercube
    stratifies it too.
    """
    dists = {}
    for item in inputs:
        dists[item.name] = (
            PRIOR.validate_python({"dist": "uniform", "low": 0.0, "high": 1.0})
            if item.kind == "set"
            else item.distribution
        )
    rows = draw(dists, n, seed, method)
    frame = pd.DataFrame(rows, columns=list(dists))
    for item in inputs:
        if item.kind == "set":
            frame[item.name] = np.minimum((frame[item.name] * sets).astype(int), sets - 1)
        elif item.kind == "value" and parameter(item.path).whole:
            frame[item.name] = frame[item.name].round().astype(int)
    return frame


def design_values(
    cfg: Config,
    inputs: Sequence[PsaInput],
    row: Mapping[str, Any],
    calibrated: pd.DataFrame | None = None,
    calibration_inputs: Sequence[CalibrationInput] = (),
    skip: Sequence[str] = (),
) -> dict[str, Any]:
    """The config values (``{path: value}``) one draw sets in ``cfg`` (inputs named in ``skip`` left alone)."""
    from ..inputs.parameters import get_value

    data = cfg.model_dump()
    values: dict[str, Any] = {}
    for item in inputs:
        if item.name in skip:
            continue
        if item.kind == "value":
            values[item.path] = row[item.name]
        elif item.kind == "scale":
            current = values.get(item.path, get_value(data, item.path))
            values[item.path] = _scaled(current, float(row[item.name]), item.entries)
        else:
            chosen = calibrated.iloc[int(row[item.name])]
            values.update(
                config_values(cfg, calibration_inputs, {c.name: float(chosen[c.name]) for c in calibration_inputs})
            )
    return values


# -------------------------------------------------------------- the runs ----
@dataclass
class PsaResult:
    """Everything a PSA produced.

    ``draws``: one row per draw (the inputs, the mean saving with its paired
    95% interval over the replications, ``net_saving_mean_gbp`` when a rule is
    given). ``runs``: one row per draw and replication (``saving_gbp``, each
    arm's cost and headline KPIs). ``defaults``: the replications at the
    shipped inputs. ``summary``: the figures (see :func:`psa_summary`).
    ``ranking``: per input, its sensitivity indices and rank correlation.
    """

    inputs: list[PsaInput]
    draws: pd.DataFrame
    runs: pd.DataFrame
    defaults: pd.DataFrame
    summary: pd.DataFrame
    ranking: pd.DataFrame
    simulator_runs: int


RUN_KPIS = (
    "utc_attendances_per_day",
    "ed_attendances_per_day",
    "sda_redirections_front_door_per_day",
    "utc_within_4h_pct",
    "sda_slot_utilisation_pct",
)
"""KPIs kept for each arm in the per-replication table, besides the cost."""


def runs_planned(spec: PsaSpec, n_inputs: int) -> int:
    """Simulator runs a PSA makes: both arms of every draw and of the shipped inputs."""
    draws = spec.samples * (n_inputs + 2) if spec.ranking == "sobol" else spec.samples
    return 2 * (draws * spec.replications + spec.defaults_replications)


def run_psa(
    baseline: Config,
    scenario: Config,
    inputs: Sequence[PsaInput],
    draws: pd.DataFrame,
    replications: int,
    defaults_replications: int,
    evaluate_fn: Callable,
    calibrated: pd.DataFrame | None = None,
    calibration_inputs: Sequence[CalibrationInput] = (),
    net_saving: NetSaving | None = None,
    seed: int = 0,
    ranking: str = "rbd_fast",
    scenario_only: Sequence[str] = (),
) -> PsaResult:
    """Run every draw in both arms (and the shipped inputs), paired on common random numbers, and summarise.

    ``evaluate_fn(base, designs, replications)`` is
    :func:`sim.experiments.evaluate.evaluate` with the executor, store and
    space bound: replication *r* of every design uses the seeds of
    replication *r* of ``base``; ``baseline`` and ``scenario`` share their
    run settings, so both arms are paired too.
    """
    scenario = scenario.model_copy(update={"run": baseline.run})
    designs = {
        arm: [
            design_values(cfg, inputs, row, calibrated, calibration_inputs, scenario_only if arm == "baseline" else ())
            for row in draws.to_dict("records")
        ]
        for arm, cfg in (("baseline", baseline), ("scenario", scenario))
    }
    tables = {
        arm: evaluate_fn(cfg, designs[arm], replications)
        for arm, cfg in (("baseline", baseline), ("scenario", scenario))
    }
    shipped = {
        arm: evaluate_fn(cfg, [{}], defaults_replications)
        for arm, cfg in (("baseline", baseline), ("scenario", scenario))
    }
    priced = None
    if net_saving is not None:  # each draw's configs, so each draw is priced as it ran
        from ..inputs.parameters import ParameterSpace
        from .evaluate import design_configs

        paths = list(dict.fromkeys(p for arm in designs.values() for d in arm for p in d))
        space = ParameterSpace(paths) if paths else None
        priced = {
            arm: design_configs(cfg, designs[arm], replications, space)
            for arm, cfg in (("baseline", baseline), ("scenario", scenario))
        }
    runs = _paired(tables["baseline"], tables["scenario"], net_saving, priced)
    runs = draws.reset_index(drop=True).rename_axis("design").reset_index().merge(runs, on="design")
    runs = runs.rename(columns={"design": "draw"})
    defaults = _paired(
        shipped["baseline"], shipped["scenario"], net_saving, {"baseline": [baseline], "scenario": [scenario]}
    ).drop(columns="design")
    per_draw = _per_draw(runs, [item.name for item in inputs], net_saving is not None)
    names = [item.name for item in inputs]
    summary = psa_summary(per_draw, runs, defaults, names, seed)
    order = ranking_table(per_draw, draws, inputs, seed, ranking, calibrated, calibration_inputs)
    n = sum(len(t) for t in tables.values()) + sum(len(t) for t in shipped.values())
    return PsaResult(list(inputs), per_draw, runs, defaults, summary, order, n)


def _paired(
    base: pd.DataFrame,
    scen: pd.DataFrame,
    net_saving: NetSaving | None = None,
    configs: Mapping[str, Sequence[Config]] | None = None,
) -> pd.DataFrame:
    keys = ["design", "replication"]
    base = base.sort_values(keys, ignore_index=True)
    scen = scen.sort_values(keys, ignore_index=True)
    if not base[keys].equals(scen[keys]):  # pragma: no cover - evaluate returns both arms' replications
        raise RuntimeError("psa: the arms' replications do not pair")
    out = base[keys].copy()
    out["saving_gbp"] = base[SAVING_KPI] - scen[SAVING_KPI]
    if net_saving is not None and configs is not None:
        net = np.full(len(base), np.nan)
        for design, rows in base.groupby("design", sort=False).groups.items():
            d = int(design)
            net[rows] = net_saving(base.loc[rows], scen.loc[rows], configs["baseline"][d], configs["scenario"][d])
        out["net_saving_gbp"] = net
    out[f"baseline_{SAVING_KPI}"] = base[SAVING_KPI]
    out[f"scenario_{SAVING_KPI}"] = scen[SAVING_KPI]
    for kpi in RUN_KPIS:
        if kpi in base.columns:
            out[f"baseline_{kpi}"] = base[kpi]
            out[f"scenario_{kpi}"] = scen[kpi]
    return out


def _per_draw(runs: pd.DataFrame, names: list[str], net: bool) -> pd.DataFrame:
    rows = []
    for draw_no, group in runs.groupby("draw", sort=True):
        mean, low, high, n = t_interval(group["saving_gbp"].to_numpy(dtype=float))
        row = {
            "draw": int(draw_no),
            **{name: group[name].iloc[0] for name in names},
            "saving_mean_gbp": mean,
            "saving_ci_low_gbp": low,
            "saving_ci_high_gbp": high,
            "saving_var_gbp2": float(np.var(group["saving_gbp"], ddof=1)) if n > 1 else np.nan,
            "n_reps": n,
        }
        if net:
            row["net_saving_mean_gbp"] = float(group["net_saving_gbp"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------- summaries ----
def _bootstrap(values: np.ndarray, stat: Callable[[np.ndarray], float], seed: int) -> tuple[float, float]:
    if values.size < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    boot = [stat(values[rng.integers(0, values.size, values.size)]) for _ in range(BOOTSTRAP_RESAMPLES)]
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(low), float(high)


def psa_summary(
    per_draw: pd.DataFrame, runs: pd.DataFrame, defaults: pd.DataFrame, names: list[str], seed: int = 0
) -> pd.DataFrame:
    """The saving's distribution: rows ``measure, value, ci_low, ci_high, note``.

    ``saving_at_shipped_inputs_gbp`` (the central value, with the simulation
    interval), ``saving_mean_over_draws_gbp``, ``saving_p2.5_gbp``,
    ``saving_p50_gbp``, ``saving_p97.5_gbp`` (the input-uncertainty
    interval is p2.5 to p97.5), ``probability_saving_positive``, the same for
    the net saving when there is one, ``simulation_noise_share_of_spread``
    and ``draws``. The other figures' ``ci_low, ci_high`` are percentile
    bootstrap 95% intervals over the draws (how much another set of draws could move them).
    """
    rows = []
    mean, low, high, n = t_interval(defaults["saving_gbp"].to_numpy(dtype=float))
    rows.append(
        (
            "saving_at_shipped_inputs_gbp",
            mean,
            low,
            high,
            f"central value; interval: simulation noise alone ({n} paired replications)",
        )
    )
    s = per_draw["saving_mean_gbp"].to_numpy(dtype=float)
    s = s[np.isfinite(s)]
    figures = [
        ("saving_mean_over_draws_gbp", np.mean, "expected saving over the inputs' uncertainty"),
        ("saving_p2.5_gbp", lambda v: float(np.percentile(v, 2.5)), "input-uncertainty interval: low end"),
        ("saving_p50_gbp", lambda v: float(np.percentile(v, 50)), "median over the draws"),
        ("saving_p97.5_gbp", lambda v: float(np.percentile(v, 97.5)), "input-uncertainty interval: high end"),
        ("probability_saving_positive", lambda v: float(np.mean(v > 0)), "share of draws with a saving above zero"),
    ]
    for i, (measure, fn, note) in enumerate(figures):
        value = float(fn(s)) if s.size else float("nan")
        rows.append((measure, value, *_bootstrap(s, fn, seed + i), note))
    if "net_saving_mean_gbp" in per_draw:
        net = per_draw["net_saving_mean_gbp"].to_numpy(dtype=float)
        net = net[np.isfinite(net)]
        for j, (measure, fn, note) in enumerate(
            [
                ("net_saving_mean_over_draws_gbp", np.mean, "net of the new services' costs"),
                ("net_saving_p2.5_gbp", lambda v: float(np.percentile(v, 2.5)), "net: input-uncertainty low end"),
                ("net_saving_p50_gbp", lambda v: float(np.percentile(v, 50)), "net: median over the draws"),
                ("net_saving_p97.5_gbp", lambda v: float(np.percentile(v, 97.5)), "net: input-uncertainty high end"),
                ("probability_net_saving_positive", lambda v: float(np.mean(v > 0)), "share of draws, net"),
            ]
        ):
            rows.append(
                (measure, float(fn(net)) if net.size else float("nan"), *_bootstrap(net, fn, seed + 10 + j), note)
            )
    else:
        rows.append(
            (
                "probability_net_saving_positive",
                float("nan"),
                float("nan"),
                float("nan"),
                "not computed: no net saving rule given (the costing work's hook, psa.NetSaving)",
            )
        )
    noise = (per_draw["saving_var_gbp2"] / per_draw["n_reps"]).to_numpy(dtype=float)
    within = float(np.mean(noise[np.isfinite(noise)])) if np.isfinite(noise).any() else float("nan")
    between = float(np.var(s, ddof=1)) if s.size > 1 else float("nan")
    share = within / between if between and np.isfinite(between) and between > 0 else float("nan")
    rows.append(
        (
            "simulation_noise_share_of_spread",
            share,
            float("nan"),
            float("nan"),
            "variance of a draw's mean saving from its replications alone, over the variance between draws",
        )
    )
    rows.append(("draws", float(s.size), float("nan"), float("nan"), "draws with a saving"))
    return pd.DataFrame(rows, columns=["measure", "value", "ci_low", "ci_high", "note"])


def _spearman(col: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rho of an input's draws with the saving (NaN when either is constant)."""
    from scipy import stats

    return float(stats.spearmanr(col, y).statistic) if np.ptp(col) > 0 and np.ptp(y) > 0 else float("nan")


def between_set_share(chosen: np.ndarray, y: np.ndarray) -> float:
    """First-order index of a drawn plausible set: the share of the saving's variance between sets.

    ``Var(E[saving | set]) / Var(saving)``, estimated from the draws grouped by set and corrected for
    the noise of each set's mean (omega squared): a set's row number orders nothing, so neither a rank
    correlation nor RBD-FAST (which reads the draws in the order of the input) can rank it. NaN with
    fewer than two draws a set on average.
    """
    groups = pd.Series(y).groupby(np.asarray(chosen))
    n, k = len(y), groups.ngroups
    if k < 2 or n < 2 * k:  # fewer than two draws a set on average: the sets' means are the draws themselves
        return float("nan")
    grand = float(np.mean(y))
    ss_between = float((groups.count() * (groups.mean() - grand) ** 2).sum())
    ss_total = float(((y - grand) ** 2).sum())
    ms_within = (ss_total - ss_between) / (n - k)
    return (ss_between - (k - 1) * ms_within) / (ss_total + ms_within) if ss_total > 0 else float("nan")


def ranking_table(
    per_draw: pd.DataFrame,
    draws: pd.DataFrame,
    inputs: Sequence[PsaInput],
    seed: int = 0,
    ranking: str = "rbd_fast",
    calibrated: pd.DataFrame | None = None,
    calibration_inputs: Sequence[CalibrationInput] = (),
) -> pd.DataFrame:
    """Per input: first-order index (RBD-FAST on the Latin hypercube, or Sobol S1 and ST) and Spearman's rho.

    Rows ``input, source, S1, S1_ci_low, S1_ci_high, [ST, ST_ci_low, ST_ci_high,] spearman_rho``, sorted by
    Sobol's total index with ``sobol``, else by the size of Spearman's rho (steadier than RBD-FAST's S1
    when the draws are few for the inputs), largest first. RBD-FAST estimates the same first-order index as Sobol's S1 from any sample, so
    the Latin hypercube needs no extra runs; Sobol's total index (interactions included) needs Saltelli's design.

    A drawn calibrated set gets its first-order index from the draws grouped by set
    (:func:`between_set_share`; Sobol's indices with ``sobol``) and no rank correlation; each of its
    inputs (``calibrated``'s columns, taken from the set each draw ran) gets a row with its Spearman's rho.
    """

    names = [item.name for item in inputs]
    ordered = [item.name for item in inputs if item.kind != "set" or ranking == "sobol"]
    y = per_draw.sort_values("draw")["saving_mean_gbp"].to_numpy(dtype=float)
    frame = draws.reset_index(drop=True)
    x = frame[ordered].to_numpy(dtype=float)
    problem = {
        "num_vars": len(ordered),
        "names": ordered,
        "bounds": [[float(np.min(x[:, j])), float(np.max(x[:, j])) + 1e-12] for j in range(len(ordered))],
    }
    rows = {name: {"input": name, "source": item.source} for name, item in zip(names, inputs)}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if ranking == "sobol":
            from SALib.analyze import sobol as sobol_analyze

            res = sobol_analyze.analyze(
                {**problem, "bounds": [[0.0, 1.0]] * len(ordered)},
                y,
                calc_second_order=False,
                conf_level=0.95,
                seed=seed,
            )
            for j, name in enumerate(ordered):
                rows[name].update(
                    S1=res["S1"][j],
                    S1_ci_low=res["S1"][j] - res["S1_conf"][j],
                    S1_ci_high=res["S1"][j] + res["S1_conf"][j],
                    ST=res["ST"][j],
                    ST_ci_low=res["ST"][j] - res["ST_conf"][j],
                    ST_ci_high=res["ST"][j] + res["ST_conf"][j],
                )
        elif len(y) >= 2 * 10:  # RBD-FAST needs more draws than harmonics (M = 10)
            from SALib.analyze import rbd_fast

            res = rbd_fast.analyze(problem, x, y, M=min(10, max(1, len(y) // 8)), conf_level=0.95, seed=seed)
            for j, name in enumerate(ordered):
                rows[name].update(
                    S1=float(res["S1"][j]),
                    S1_ci_low=float(res["S1"][j] - res["S1_conf"][j]),
                    S1_ci_high=float(res["S1"][j] + res["S1_conf"][j]),
                )
        for item in inputs:
            if item.kind == "set":
                chosen = frame[item.name].to_numpy(dtype=int)
                rows[item.name]["spearman_rho"] = float("nan")  # a row number: no order to correlate with
                if ranking != "sobol":
                    share = between_set_share(chosen, y)
                    boot = np.random.default_rng(seed)
                    again = [
                        between_set_share(chosen[pick], y[pick])
                        for pick in (boot.integers(0, len(y), len(y)) for _ in range(200))
                    ]
                    low, high = np.nanpercentile(again, [2.5, 97.5]) if len(y) > 2 else (np.nan, np.nan)
                    rows[item.name].update(S1=share, S1_ci_low=float(low), S1_ci_high=float(high))
                if calibrated is not None:
                    for c in calibration_inputs:
                        col = calibrated[c.name].to_numpy(dtype=float)[chosen]
                        rows[c.name] = {
                            "input": c.name,
                            "source": f"{item.source}: drawn with its set",
                            "spearman_rho": _spearman(col, y),
                        }
                continue
            rows[item.name]["spearman_rho"] = _spearman(frame[item.name].to_numpy(dtype=float), y)
    table = pd.DataFrame(list(rows.values()))
    return table.loc[ranking_order(table)].reset_index(drop=True)


def ranking_order(table: pd.DataFrame) -> pd.Index:
    """The rows of a ranking table, the inputs that move the saving most first.

    By Sobol's total index when the table has one. Otherwise by the size of Spearman's rho: with
    fewer draws than ~10 per input, first-order indices of dozens of inputs are noise-dominated
    (some come out negative). A drawn plausible set has no rho; it is placed by the square root of
    its share of the saving's variance, the rho that explains as much (rho squared is a share too).
    """
    if "ST" in table:
        return table["ST"].abs().sort_values(ascending=False, na_position="last").index
    size = table["spearman_rho"].abs()
    if "S1" in table:
        size = size.fillna(np.sqrt(table["S1"].clip(lower=0.0)))
    return size.sort_values(ascending=False, na_position="last").index


# ------------------------------------------------------------ from files ----
@dataclass
class PsaSetup:
    """A PSA file resolved: both arms' configs, the inputs, the calibrated sets and the draws."""

    spec: PsaSpec
    baseline: Config
    scenario: Config
    inputs: list[PsaInput]
    draws: pd.DataFrame
    calibrated: pd.DataFrame | None
    calibration_inputs: list[CalibrationInput]
    samples: int
    net_saving: NetSaving | None = None
    """The business case's net saving rule, when the PSA file names a business case."""


def setup_psa(
    path: str | Path, budget: int | None = None, calibrated_sets: str | Path | None = None, **run_overrides
) -> PsaSetup:
    """Read a PSA file, resolve its inputs and draw them; refuse a draw either arm's config cannot take.

    With a ``budget`` too small for the file's samples, fewer are drawn (at
    least 10 with RBD-FAST); a budget too small for that is a one-line error.
    ``calibrated_sets`` (a ``calibrate`` run's ``plausible_sets.csv``) stands
    for the file's ``calibrated_sets`` (with its ``calibration`` file, else
    ``calibration.yaml`` beside the PSA file).
    """
    path = Path(path)
    spec = load_psa(path)
    folder = path.parent
    if calibrated_sets is not None:
        spec = spec.model_copy(
            update={
                "calibrated_sets": str(Path(calibrated_sets).resolve()),
                "calibration": spec.calibration or "calibration.yaml",
            }
        )
    baseline = load_config(folder / spec.baseline)
    scenario = load_config(folder / spec.scenario)
    run = {**spec.run.model_dump(exclude_none=True), **{k: v for k, v in run_overrides.items() if v is not None}}
    baseline = apply_overrides(baseline, source=f"{path}: run", **run)
    scenario = scenario.model_copy(update={"run": baseline.run})
    calibrated, cal_inputs = None, []
    if spec.calibrated_sets is not None:
        cal_spec = load_calibration(folder / spec.calibration)
        cal_inputs = inputs_from_spec(cal_spec)
        sets_path = folder / spec.calibrated_sets
        if not sets_path.exists():
            raise ConfigError(f"{path}: calibrated_sets: {sets_path} does not exist (run `run_sim.py calibrate` first)")
        calibrated = pd.read_parquet(sets_path) if sets_path.suffix == ".parquet" else pd.read_csv(sets_path)
        missing = [c.name for c in cal_inputs if c.name not in calibrated.columns]
        if missing:
            raise ConfigError(
                f"{path}: calibrated_sets: {sets_path} has no column {missing[0]} (made by another calibration file?)"
            )
    inputs = psa_inputs(spec, baseline, calibrated, cal_inputs)
    unknown = [n for n in spec.scenario_only if n not in {i.name for i in inputs}]
    if unknown:
        raise ConfigError(f"{path}: scenario_only: {unknown[0]} is not one of the inputs drawn")
    samples = spec.samples
    budget = budget or spec.budget
    per_draw = 2 * spec.replications * ((len(inputs) + 2) if spec.ranking == "sobol" else 1)
    fixed = 2 * spec.defaults_replications
    if fixed + per_draw * samples > budget:
        fit = (budget - fixed) // per_draw
        least = 2 if spec.ranking == "sobol" else 10
        if spec.ranking == "sobol":
            fit = 2 ** int(math.log2(fit)) if fit >= 1 else 0
        if fit < least:
            raise ConfigError(
                f"budget = {budget:,}: too small for {least} draws of {len(inputs)} inputs "
                f"({fixed + per_draw * least:,} runs)"
            )
        samples = int(fit)
    method = "sobol" if spec.ranking == "sobol" else "lhs"
    draws = draw_inputs(inputs, samples, baseline.run.seed, method, 0 if calibrated is None else len(calibrated))
    from ..inputs.parameters import ParameterSpace

    paths = list(dict.fromkeys([i.path for i in inputs if i.kind != "set"] + [c.path for c in cal_inputs]))
    space = ParameterSpace(paths)
    for k, row in enumerate(draws.to_dict("records")):  # every draw checked before anything runs
        for arm, cfg in (("baseline", baseline), ("scenario", scenario)):
            skip = spec.scenario_only if arm == "baseline" else ()
            space.apply(
                cfg,
                design_values(cfg, inputs, row, calibrated, cal_inputs, skip),
                f"{path}: draw {k} ({arm})",
                rounding=True,
            )
    net_saving = None
    if spec.business_case is not None:
        from ..inputs.business_case import load_business_case

        net_saving = business_case_net_saving(load_business_case(folder / spec.business_case))
    return PsaSetup(spec, baseline, scenario, inputs, draws, calibrated, cal_inputs, samples, net_saving)


__all__ = [
    "NetSaving",
    "business_case_net_saving",
    "PsaInput",
    "PsaResult",
    "PsaSetup",
    "PsaSpec",
    "design_values",
    "draw_inputs",
    "load_psa",
    "psa_inputs",
    "psa_summary",
    "between_set_share",
    "ranking_order",
    "ranking_table",
    "registry_inputs",
    "run_psa",
    "runs_planned",
    "setup_psa",
]
