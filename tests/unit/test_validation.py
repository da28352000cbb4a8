"""Validation targets: read from the runs' tables, judged against their ranges."""

from __future__ import annotations

import math

import pandas as pd

from sim.experiments.validation import validate, validation_runs, validation_targets
from sim.inputs.targets import Target


def _tables(**runs):
    return {run: pd.DataFrame({"replication": range(len(v)), "k": v}) for run, v in runs.items()}


def test_mean_interval_and_verdict():
    targets = (
        Target("inside", "k", "a", 5.0, 4.0, 6.0, "[test]", "assumed", ("validation",)),
        Target("outside", "k", "a", 1.0, 0.0, 1.0, "[test]", "assumed", ("validation",)),
        Target(
            "paired change",
            "k",
            "saving",
            1.0,
            0.5,
            1.5,
            "[test]",
            "assumed",
            ("validation",),
            baseline="a",
            scenario="b",
        ),
    )
    table = validate(_tables(a=[4.0, 5.0, 6.0], b=[3.0, 4.0, 5.0]), targets).set_index("target")
    assert table.loc["inside", "model_mean"] == 5.0
    assert table.loc["inside", "model_ci_low"] < 5.0 < table.loc["inside", "model_ci_high"]
    assert bool(table.loc["inside", "within"]) and not bool(table.loc["outside", "within"])
    # a paired difference that is the same in every replication has a zero-width interval
    assert table.loc["paired change", "model_mean"] == 1.0
    assert table.loc["paired change", "model_ci_low"] == table.loc["paired change", "model_ci_high"] == 1.0
    assert list(table["n_reps"]) == [3, 3, 3]


def test_every_target_names_its_source_and_a_proper_range():
    targets = validation_targets()
    assert len(targets) == 11
    for target in targets:
        assert target.source.startswith(("[paper", "[public", "[assumed")), target.name
        if target.source.startswith("[assumed"):  # an assumption must say there is no published figure
            assert "no published figure" in target.source, target.name
        assert target.low < target.high and math.isfinite(target.low) and math.isfinite(target.high)


def test_runs_share_the_current_run_settings_and_differ_only_in_x6(current_cfg, redesign_cfg):
    runs = validation_runs(
        current_cfg, redesign_cfg.model_copy(update={"run": redesign_cfg.run.model_copy(update={"seed": 1})})
    )
    assert runs["redesign"].run == runs["current"].run == runs["redesign_without_x6"].run
    with_x6, without = runs["redesign"].model_dump(), runs["redesign_without_x6"].model_dump()
    assert with_x6["changes"].pop("x6_comprehensive_sda_consultation") is True
    assert without["changes"].pop("x6_comprehensive_sda_consultation") is False
    assert with_x6 == without
