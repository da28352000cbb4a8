"""The shipped calibrated values and the shipped plausible sets (``configs/calibrated_sets.csv``) agree.

The sets are a ``calibrate configs/calibration.yaml`` run's ``plausible_sets.csv``; the PSA draws the
calibrated inputs from them. A shipped value that leaves the middle of the set, or a rota or slot list
edited after the sets were made (the sets scale the lists as they were), means ``calibrate`` must be run
again and its ``plausible_sets.csv`` copied here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments.calibration import inputs_from_spec, load_calibration, shipped_values
from sim.inputs.config import load_config
from sim.inputs.targets import load_targets

from ..conftest import ROOT

CONFIGS = ROOT / "configs"
SPEC = load_calibration(CONFIGS / "calibration.yaml")
INPUTS = inputs_from_spec(SPEC)
SETS = pd.read_csv(CONFIGS / "calibrated_sets.csv")
BASE = load_config(CONFIGS / SPEC.baseline)

SCALED_AS_CALIBRATED = {
    "utc.clinicians": [1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 5, 4, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 2],
    "slot_diaries.practice_111.slots_per_day": [83, 73, 73, 73, 78, 137, 132],
}
"""The lists the scale inputs multiplied when the sets were made (a scale of 1 is these lists)."""


def test_the_sets_are_this_calibrations_and_there_are_enough_to_draw_from():
    assert {item.name for item in INPUTS} <= set(SETS.columns)
    assert len(SETS) >= 10
    assert SETS["medoid"].sum() == 1
    for item in INPUTS:  # every set inside the box the calibration searched
        assert SETS[item.name].between(item.low, item.high).all(), item.name


@pytest.mark.parametrize("item", INPUTS, ids=lambda item: item.name)
def test_each_shipped_value_sits_in_the_middle_of_the_plausible_sets(item):
    shipped = shipped_values(BASE, INPUTS)[item.name]
    low, high = np.percentile(SETS[item.name], [5, 95])
    assert low <= shipped <= high, f"{item.name} = {shipped:g} outside the sets' 5th-95th percentiles {low:g}-{high:g}"


def test_the_lists_the_scale_inputs_multiply_are_those_the_sets_were_made_on():
    data = BASE.model_dump()
    for path, expected in SCALED_AS_CALIBRATED.items():
        node = data
        for key in path.split("."):
            node = node[key]
        assert list(node) == expected, f"{path} changed since the sets were made: run calibrate again"


def test_every_set_meets_every_published_range_as_the_final_check_judges():
    """Each set's mean over its replications within each target's range, allowing two standard errors."""
    targets = load_targets(use="calibration")
    allowance = SPEC.final.noise_allowance
    for target in targets:
        mean = SETS[f"{target.name}__mean"]
        slack = allowance * np.sqrt(SETS[f"{target.name}__var"] / SETS["replications"])
        assert (mean >= target.low - slack).all() and (mean <= target.high + slack).all(), target.name
