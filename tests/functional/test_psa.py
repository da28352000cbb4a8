"""``run_sim.py psa``: a case whose saving distribution is known in closed form, outputs, bad input.

Only the UTC tariff is uncertain. It moves no patient, so on common random numbers each replication's
saving is exactly ``a + b x tariff`` (``b``: the UTC attendances the redesign avoids in a year), and the
saving's distribution is the tariff's gamma distribution moved and stretched. Small budget: a week a run.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from sim.cli import main

REPO = Path(__file__).resolve().parents[2]
MEAN, SD, N = 91.0, 20.0, 40
TARIFF = "unit_costs_gbp.utc_attendance"


def _spec(tmp_path: Path, **changes) -> Path:
    spec = {
        "name": "psa_small",
        "baseline": str(REPO / "configs" / "current.yaml"),
        "scenario": str(REPO / "configs" / "redesign.yaml"),
        "samples": N,
        "replications": 1,
        "defaults_replications": 2,
        "run": {"days": 7, "warmup_days": 1},
        "registry": False,
        "extra": {TARIFF: {"dist": "gamma", "mean": MEAN, "sd": SD}},
        "budget": 200,
        "business_case": str(REPO / "configs" / "business_case.yaml"),
        **changes,
    }
    path = tmp_path / "psa.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tariff_only(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("psa")
    out = tmp / "out"
    assert main(["psa", str(_spec(tmp)), "--out", str(out), "--quiet"]) == 0
    return out


def _line(draws: pd.DataFrame) -> tuple[float, float]:
    b, a = np.polyfit(draws[TARIFF], draws["saving_mean_gbp"], 1)
    return a, b


def test_saving_is_exactly_linear_in_the_tariff(tariff_only):
    """Paired on common random numbers, each draw's saving lies on one line; its slope is the avoided attendances."""
    draws = pd.read_csv(tariff_only / "draws.csv")
    a, b = _line(draws)
    fitted = a + b * draws[TARIFF]
    assert np.max(np.abs(draws["saving_mean_gbp"] - fitted)) < 1e-6 * np.max(np.abs(draws["saving_mean_gbp"]))
    runs = pd.read_parquet(tariff_only / "runs.parquet")
    avoided = (runs["baseline_utc_attendances_per_day"] - runs["scenario_utc_attendances_per_day"]).iloc[0]
    assert b == pytest.approx(365.0 * avoided, rel=1e-6)  # GBP a year per GBP of tariff
    assert b > 0
    shipped = pd.read_csv(tariff_only / "shipped_inputs.csv")
    assert shipped.loc[shipped["replication"] == 0, "saving_gbp"].iloc[0] == pytest.approx(a + b * 91.0, rel=1e-9)


def test_saving_distribution_matches_the_closed_form(tariff_only):
    draws = pd.read_csv(tariff_only / "draws.csv")
    a, b = _line(draws)
    gamma = stats.gamma(a=(MEAN / SD) ** 2, scale=SD**2 / MEAN)

    def cdf(saving):  # the saving's distribution: a + b x tariff, tariff ~ gamma
        return gamma.cdf((np.asarray(saving) - a) / b)

    # a Latin hypercube puts exactly one draw in each of the N equally likely strata
    strata = np.floor(np.sort(cdf(draws["saving_mean_gbp"])) * N)
    assert strata.tolist() == list(range(N))
    summary = pd.read_csv(tariff_only / "psa_summary.csv").set_index("measure")["value"]
    assert summary["saving_mean_over_draws_gbp"] == pytest.approx(a + b * MEAN, abs=0.2 * b * SD / np.sqrt(N))
    assert cdf(summary["saving_p2.5_gbp"]) <= 2.0 / N
    assert cdf(summary["saving_p97.5_gbp"]) >= 1 - 2.0 / N
    assert summary["saving_p50_gbp"] == pytest.approx(a + b * gamma.median(), abs=b * SD / N * 3)
    assert summary["probability_saving_positive"] == pytest.approx(1 - cdf(0.0), abs=1.0 / N)
    ranking = pd.read_csv(tariff_only / "ranking.csv")
    assert ranking.loc[0, "input"] == TARIFF
    assert ranking.loc[0, "spearman_rho"] == pytest.approx(1.0)
    assert ranking.loc[0, "S1"] > 0.8  # the one input explains the spread
    manifest = json.loads((tariff_only / "manifest.json").read_text())
    assert manifest["psa"]["simulator_runs"] == 2 * (N * 1 + 2)


def test_net_saving_is_the_business_cases_and_moves_with_the_tariff_as_the_saving_does(tariff_only):
    """The net saving charges the new SDA slots (paid used or not) and the new services: on common random numbers
    it differs from the gross saving by the same amount in every draw, and the tariff moves both alike."""
    draws = pd.read_csv(tariff_only / "draws.csv")
    gap = draws["net_saving_mean_gbp"] - draws["saving_mean_gbp"]
    assert gap.max() - gap.min() < 1e-6 * draws["saving_mean_gbp"].abs().max()
    assert gap.iloc[0] < 0  # the new services and the new slots cost money
    shipped = pd.read_csv(tariff_only / "shipped_inputs.csv").set_index("replication")
    assert shipped.loc[0, "net_saving_gbp"] - shipped.loc[0, "saving_gbp"] == pytest.approx(gap.iloc[0], rel=1e-9)
    a, b = _line(draws)
    gamma = stats.gamma(a=(MEAN / SD) ** 2, scale=SD**2 / MEAN)
    summary = pd.read_csv(tariff_only / "psa_summary.csv").set_index("measure")["value"]
    net_positive = 1 - gamma.cdf((0.0 - a - gap.iloc[0]) / b)
    assert summary["probability_net_saving_positive"] == pytest.approx(net_positive, abs=1.0 / N)
    assert summary["net_saving_p2.5_gbp"] < summary["net_saving_p97.5_gbp"]


def test_net_saving_at_the_shipped_inputs_is_the_business_cases(tariff_only):
    """The PSA's net saving rule is the business case's ``net_total``, replication by replication."""
    from sim.analysis.business_case import Arm, replication_savings
    from sim.experiments.evaluate import evaluate
    from sim.inputs.business_case import load_business_case
    from sim.inputs.config import apply_overrides, load_config

    base = apply_overrides(load_config(REPO / "configs" / "current.yaml"), days=7, warmup_days=1, replications=2)
    scen = apply_overrides(load_config(REPO / "configs" / "redesign.yaml"), days=7, warmup_days=1, replications=2)
    case = load_business_case(REPO / "configs" / "business_case.yaml")
    tables = [evaluate(cfg, [{}], 2, progress=False) for cfg in (base, scen)]
    expected = replication_savings(Arm(tables[0], base), Arm(tables[1], scen), case)["net_total"]
    shipped = pd.read_csv(tariff_only / "shipped_inputs.csv").set_index("replication")
    assert shipped["net_saving_gbp"].to_numpy() == pytest.approx(expected.to_numpy(), rel=1e-9)


def test_budget_draws_fewer_and_bad_input_is_one_line(tmp_path, capsys):
    spec = _spec(tmp_path)
    assert main(["psa", str(spec), "--out", str(tmp_path / "o"), "--quiet", "--budget", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert "budget = 10" in err and err.count("\n") == 0
    bad = _spec(tmp_path, extra={TARIFF: {"dist": "gamma", "mean": -1, "sd": 2}})
    assert main(["psa", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert TARIFF in capsys.readouterr().err
    beyond = _spec(tmp_path, extra={"patients.sda_eligible": {"dist": "uniform", "low": 0.5, "high": 1.5}})
    assert main(["psa", str(beyond), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "patients.sda_eligible" in capsys.readouterr().err
