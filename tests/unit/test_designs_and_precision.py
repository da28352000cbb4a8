"""Sobol indices on a function with known ones, the replications algorithm, MSER-5 and quantiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from sim.analysis.output_analysis import look_ahead, relative_half_widths, replications_needed, t_interval
from sim.analysis.warmup import mser
from sim.experiments.sweep import SweepSpec, quantile, sobol_indices, unit_design
from sim.inputs.distributions import Lognormal, Triangular

ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def test_sobol_indices_of_the_ishigami_function_are_right_within_tolerance():
    # Ishigami's inputs are uniform on [-pi, pi]; the design maps the unit cube through that quantile
    vary = {f"x{i}": {"dist": "uniform", "low": 0.0, "high": 1.0} for i in (1, 2, 3)}
    spec = SweepSpec(name="ishigami", baseline="b", scenario="s", vary=vary, design="sobol", samples=512)
    x = unit_design(spec, seed=1) * 2 * np.pi - np.pi  # more points than a model sweep may have
    table = pd.DataFrame({"point": range(len(x)), "saving_mean_gbp": Ishigami.evaluate(x)})
    indices = sobol_indices(spec, table, seed=1).set_index("parameter")
    assert indices["S1"].to_numpy() == pytest.approx(ISHIGAMI_S1, abs=0.06)
    assert indices["ST"].to_numpy() == pytest.approx(ISHIGAMI_ST, abs=0.06)
    for name, s1, st in zip(indices.index, ISHIGAMI_S1, ISHIGAMI_ST):
        assert indices.loc[name, "S1_ci_low"] - 0.02 <= s1 <= indices.loc[name, "S1_ci_high"] + 0.02, name
        assert indices.loc[name, "ST_ci_low"] - 0.02 <= st <= indices.loc[name, "ST_ci_high"] + 0.02, name
    assert indices["S1"].sum() <= indices["ST"].sum()


def test_the_replications_algorithm_stops_at_the_requested_precision_on_a_known_variance():
    # mean 100, sd 10: +/-5% needs about (1.96 * 10 / 5)^2 = 15.4 replications
    rng = np.random.default_rng(7)
    found = []
    for _ in range(200):
        x = rng.normal(100.0, 10.0, 300)
        n = replications_needed(x[None, :], 0.05)
        assert n is not None
        rel = relative_half_widths(x[None, :])[0]
        # precise at n and through the look-ahead, and the first such n
        assert (rel[n - 1 : n + look_ahead(n)] <= 0.05).all()
        assert all(not (rel[m - 1 : m + look_ahead(m)] <= 0.05).all() for m in range(3, n))
        found.append(n)
    assert 13 <= np.median(found) <= 19
    # a prefix too short to see the look-ahead through cannot decide
    assert replications_needed(rng.normal(100.0, 10.0, 6)[None, :], 0.05) is None


def test_relative_half_widths_match_the_t_interval_and_need_every_kpi():
    rng = np.random.default_rng(1)
    x = rng.normal(50.0, 5.0, 12)
    mean, low, high, _ = t_interval(x)
    assert relative_half_widths(x)[0, -1] == pytest.approx((high - mean) / mean)
    noisy = rng.normal(50.0, 40.0, 40)
    both = np.vstack([rng.normal(50.0, 0.5, 40), noisy])
    assert replications_needed(both[:1], 0.05) == 3
    assert replications_needed(both, 0.05) is None or replications_needed(both, 0.05) > 3
    assert look_ahead(100) == 5 and look_ahead(400) == 20


def test_mser5_cuts_a_start_up_transient_and_leaves_a_steady_series_alone():
    rng = np.random.default_rng(3)
    steady = rng.normal(10.0, 1.0, 60)
    assert mser(steady) <= 10
    rising = steady.copy()
    rising[:15] -= np.linspace(8.0, 0.5, 15)  # starts empty, climbs over two weeks
    assert 10 <= mser(rising) <= 20
    assert mser(rising) % 5 == 0


@pytest.mark.parametrize(
    "dist", [Triangular(dist="triangular", low=1.0, mode=2.0, high=5.0), Lognormal(dist="lognormal", mean=10.0, sd=4.0)]
)
def test_quantiles_give_the_distribution(dist):
    u = (np.arange(20000) + 0.5) / 20000
    values = quantile(dist, u)
    assert np.all(np.diff(values) >= 0)
    assert values.mean() == pytest.approx(dist.expected, rel=0.01)
