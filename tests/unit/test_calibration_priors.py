"""Every [assumed] and [calibrated] input has a distribution (or is drawn as a multiplier, or says why not)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.experiments.psa import CALIBRATED_SET, load_psa, registry_inputs, runs_planned, setup_psa
from sim.inputs.config import load_config
from sim.inputs.provenance import load_registry

PSA_FILE = "configs/psa.yaml"
NO_DISTRIBUTION = {
    r"^run\.": "run settings, not facts about the pathway",
    r"^reconciliation\.": "the paper's arithmetic, not a model input",
    r"^business_case\.(costing|switching|attribution_order)": "a costing basis, a list of values to try or an order",
    r"^business_case\.implementation\.cash_releasing$": "a yes/no rule",
    r"(hour_of_day|day_of_week)$": "the shape of demand over the day or week (rescaled to mean 1), not one number",
    r"(session_start_hour|session_end_hour|start_hour|end_hour)$": "the service's opening hours: a design choice",
    r"\.days$": "the days a service runs: a design choice",
    r"^care_navigator\.navigators$": "one navigator 08:00-20:00: the service as designed",
    r"^clinical_need\.": "a clinical rule (who has an ED need), not a quantity",
    r"^demand\.nhs111\.booking_rule$": "a booking rule (in order or soonest slot), not a quantity",
    r"^business_case\.staff_hour_gbp\.": "the cost of staff hours a plan or the web app adds, not an input of the simulated saving",
    r"^business_case\.(financial|options|economics\.patient_hour_value_gbp)": (
        "an input of the financial or economic case, not of the simulated saving (the workbook's Inputs sheet)"
    ),
}


def _reason(path: str) -> str | None:
    return next((why for pattern, why in NO_DISTRIBUTION.items() if re.search(pattern, path)), None)


def test_every_assumed_or_calibrated_input_is_drawn_or_says_why_not():
    scale_paths = {entry.path for entry in load_psa(PSA_FILE).scale.values()}
    missing = []
    for path, entry in load_registry().items():
        if entry.tag not in ("assumed", "calibrated"):
            continue
        if entry.distribution is None and path not in scale_paths and _reason(path) is None:
            missing.append(path)
    assert not missing, f"no distribution, no multiplier in {PSA_FILE}, no reason: {missing}"


def test_distributions_suit_what_they_describe():
    """Beta for shares and probabilities; gamma or lognormal for counts, costs and times (fixed: a settled value)."""
    for path, entry in load_registry().items():
        dist = entry.distribution
        if dist is None or dist.dist == "fixed" or entry.tag not in ("assumed", "calibrated"):
            continue
        if entry.unit == "share":
            assert dist.dist == "beta", path
        elif entry.unit in ("minutes", "GBP", "patients a day", "cubicles") or entry.unit.startswith("GBP"):
            assert dist.dist in ("gamma", "lognormal", "triangular"), path


def test_a_distribution_is_centred_on_the_shipped_value():
    """Every drawn registry input's mean is within 10% of its default (or, at 0, its mode is 0)."""
    base = load_config("configs/base.yaml")
    data = base.model_dump()
    for item in registry_inputs(base):
        node = data
        for key in item.path.split("."):
            node = node[key]
        dist = item.distribution
        if float(node) == 0:
            assert getattr(dist, "mode", getattr(dist, "low", None)) == 0, item.path
        else:
            assert dist.expected == pytest.approx(float(node), rel=0.1), item.path


def test_shipped_psa_file_draws_valid_configs_within_budget():
    setup = setup_psa(PSA_FILE)  # every draw is checked against both arms' configs
    assert len(setup.inputs) >= 30
    assert len(setup.draws) == setup.spec.samples
    assert runs_planned(setup.spec, len(setup.inputs)) <= setup.spec.budget
    names = {item.name for item in setup.inputs}
    assert {"unit_costs_gbp.utc_attendance", "demand.induced.mean_per_day", CALIBRATED_SET} <= names
    # the calibrated inputs come from the shipped plausible sets, a whole set a draw, never one by one
    assert (
        not {
            "calibration.current_redirections_share_at_ia",
            "calibration.current_redirection_propensity",
            "ed.cubicles",
            "demand.walk_in.utc_suitable",
            "utc_rota_scale",
            "practice_111_slots_scale",
        }
        & names
    )


def test_multipliers_keep_a_rota_whole_and_a_task_time_its_shape():
    from sim.experiments.psa import _scaled

    assert _scaled({"dist": "lognormal", "mean": 17.5, "sd": 6.0}, 1.2, None) == {
        "dist": "lognormal",
        "mean": 21.0,
        "sd": pytest.approx(7.2),
    }
    rota = [1, 1, 2, 4, 5, 4]
    scaled = _scaled(rota, 1.1, None)
    assert all(isinstance(v, int) for v in scaled) and sum(scaled) == round(sum(rota) * 1.1)
    assert _scaled([95, 85, 85, 85, 90, 145, 140], 0.5, (5, 6)) == [95, 85, 85, 85, 90, 72, 70]  # 142.5 -> 142


def test_calibrated_sets_are_drawn_whole_and_scenario_only_inputs_skip_the_baseline():
    import pandas as pd

    from sim.experiments.calibration import CalibrationInput
    from sim.experiments.psa import PRIOR, PsaInput, design_values, draw_inputs

    inputs = [
        PsaInput(
            "demand.induced.mean_per_day",
            "value",
            PRIOR.validate_python({"dist": "uniform", "low": 0, "high": 20}),
            "demand.induced.mean_per_day",
        ),
        PsaInput("calibrated_set", "set", None),
    ]
    draws = draw_inputs(inputs, 12, seed=1, sets=3)
    assert set(draws["calibrated_set"]) == {0, 1, 2}  # a Latin hypercube reaches every set
    sets = pd.DataFrame({"r": [0.6, 0.7, 0.8], "s": [0.2, 0.5, 0.9]})
    cal = [
        CalibrationInput("r", "calibration.current_redirection_propensity", 0.5, 1.0),
        CalibrationInput("s", "calibration.current_redirections_share_at_ia", 0.0, 1.0),
    ]
    cfg = load_config("configs/current.yaml")
    row = {"demand.induced.mean_per_day": 7.5, "calibrated_set": 2}
    both = design_values(cfg, inputs, row, sets, cal)
    assert both == {
        "demand.induced.mean_per_day": 7.5,
        "calibration.current_redirection_propensity": 0.8,
        "calibration.current_redirections_share_at_ia": 0.9,
    }
    baseline = design_values(cfg, inputs, row, sets, cal, skip=["demand.induced.mean_per_day"])
    assert "demand.induced.mean_per_day" not in baseline


def test_between_set_share_by_hand():
    """Sets 0, 0, 1, 1 with savings 1, 3, 5, 7: group means 2 and 6 about 4, so SS between 16, SS total 20,
    mean square within 4 / 2 = 2, and the share (16 - 1 x 2) / (20 + 2) = 14 / 22."""
    from sim.experiments.psa import between_set_share

    assert between_set_share(np.array([0, 0, 1, 1]), np.array([1.0, 3.0, 5.0, 7.0])) == pytest.approx(14 / 22)
    # the saving a function of the set alone: all of its variance is between sets
    sets = np.repeat(np.arange(5), 6)
    assert between_set_share(sets, 100.0 * sets**2) == pytest.approx(1.0)
    # one set only, or a set a draw: no share to estimate
    assert np.isnan(between_set_share(np.zeros(6, dtype=int), np.arange(6.0)))
    assert np.isnan(between_set_share(np.array([0, 1, 2, 2, 3]), np.arange(5.0)))


def test_a_calibrated_set_is_ranked_by_its_share_and_its_inputs_by_rank_correlation():
    import pandas as pd

    from sim.experiments.calibration import CalibrationInput
    from sim.experiments.psa import PRIOR, PsaInput, draw_inputs, ranking_table

    inputs = [
        PsaInput(
            "noise",
            "value",
            PRIOR.validate_python({"dist": "uniform", "low": 0, "high": 1}),
            "demand.induced.via_nhs111",
        ),
        PsaInput("calibrated_set", "set", None, source="calibration (4 sets)"),
    ]
    draws = draw_inputs(inputs, 80, seed=3, sets=4)
    sets = pd.DataFrame({"r": [0.9, 0.6, 0.8, 0.7]})  # row order unrelated to r
    saving = 1000.0 * sets["r"].to_numpy()[draws["calibrated_set"].to_numpy()] + draws["noise"].to_numpy()
    per_draw = pd.DataFrame({"draw": range(80), "saving_mean_gbp": saving})
    cal = [CalibrationInput("r", "calibration.current_redirection_propensity", 0.5, 1.0)]
    table = ranking_table(per_draw, draws, inputs, 0, "rbd_fast", sets, cal).set_index("input")
    assert np.isnan(table.loc["calibrated_set", "spearman_rho"])
    assert table.loc["calibrated_set", "S1"] > 0.95  # nearly all the variance is between sets
    assert table.loc["r", "spearman_rho"] > 0.9  # read through the set's value of r, not its row number
    assert table.loc["r", "source"] == "calibration (4 sets): drawn with its set"


def test_a_set_is_ranked_among_the_inputs_by_the_rho_that_explains_as_much():
    import pandas as pd

    from sim.experiments.psa import ranking_order

    table = pd.DataFrame(
        {
            "input": ["a", "calibrated_set", "b", "c"],
            "S1": [0.1, 0.16, 0.0, 0.2],
            "spearman_rho": [0.3, np.nan, -0.5, np.nan],  # c: no rho and no set (a constant input)
        }
    )
    # |rho| 0.5, then the set's sqrt(0.16) = 0.4, then 0.3; c has no rho, but its S1 places it like a set's
    assert table.loc[ranking_order(table), "input"].tolist() == ["b", "c", "calibrated_set", "a"]
