"""A sweep's tables and statistics: per replication, per point, Sobol indices and the input-uncertainty summary.

Made from a :class:`sim.experiments.sweep.SweepResult` after the runs; nothing here runs the model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.parameters import SAMPLE_STREAM_TAG
from ..analysis.output_analysis import paired_comparison, summarise
from ..model.random_streams import stream_key
from .precision import Outcome
from .sweep_design import (
    BOOTSTRAP_RESAMPLES,
    SweepPoint,
    SweepSpec,
    _base_key,
    _design_seed,
    _varied_values,
    sobol_problem,
)


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
    route = [
        c
        for c in table.columns
        if c.startswith(
            ("cost_annual_gbp_", "volume_per_day_", "baseline_cost_annual_gbp_", "baseline_volume_per_day_")
        )
    ]
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
        own = (
            summarise(scen)
            .rename(columns={"mean": "scenario_mean", "ci_low": "scenario_ci_low", "ci_high": "scenario_ci_high"})
            .drop(columns="n_reps")
        )
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
            res = sobol_analyze.analyze(
                sobol_problem(names), y, calc_second_order=False, conf_level=0.95, seed=salib_seed
            )
    rows = []
    for i, name in enumerate(names):
        s1, s1c, st, stc = (float(res[k][i]) for k in ("S1", "S1_conf", "ST", "ST_conf"))
        rows.append(
            {
                "parameter": name,
                "S1": s1,
                "S1_ci_low": s1 - s1c,
                "S1_ci_high": s1 + s1c,
                "ST": st,
                "ST_ci_low": st - stc,
                "ST_ci_high": st + stc,
            }
        )
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

    labels = [
        ("saving_mean_gbp", ""),
        ("saving_p2.5_gbp", ""),
        ("saving_p50_gbp", ""),
        ("saving_p97.5_gbp", ""),
        ("share_saving_above_zero", ""),
    ]
    labels += [("spearman_rho_with_saving", name) for name in varied]
    n = saving.size
    if n == 0:
        values = low = high = [float("nan")] * len(labels)
    else:
        values = figures(saving, inputs)
        rng = np.random.default_rng(np.random.SeedSequence([seed, SAMPLE_STREAM_TAG, stream_key("bootstrap")]))
        boot = np.array(
            [
                figures(saving[idx], {k: v[idx] for k, v in inputs.items()})
                for idx in rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))
            ]
        )
        with warnings.catch_warnings():  # a figure undefined in every resample stays NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanpercentile(boot, [2.5, 97.5], axis=0)
    rows = [("points", "", float(n), float("nan"), float("nan"))]
    rows += [(m, p_, float(v), float(lo), float(hi)) for (m, p_), v, lo, hi in zip(labels, values, low, high)]
    return pd.DataFrame(rows, columns=["measure", "parameter", "value", "ci_low", "ci_high"])
