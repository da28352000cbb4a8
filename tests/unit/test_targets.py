"""Targets as data: configs/targets.yaml read into Targets, each read from the runs' KPI tables."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.inputs.config import ConfigError
from sim.inputs.targets import Target, load_targets

CALIBRATION = {  # docs/calibration.md: each calibrated value's figure and accepted range
    "utc_within_4h_pct": (77.0, 72.0, 82.0),
    "ed_within_4h_pct": (58.0, 53.0, 63.0),
    "sda_redirections_front_door_per_day": (25.7, 23.0, 29.0),
    "sda_redirections_utc_per_day": (0.5, 0.35, 0.65),
    "nhs111_no_slot_to_front_door_per_weekday": (17.0, 13.0, 21.0),
    "nhs111_no_slot_to_front_door_per_weekend_day": (17.0, 10.0, 24.0),
}


def test_the_calibration_targets_are_those_of_docs_calibration():
    targets = load_targets(use="calibration")
    assert all(t.arm == "current" and "calibration" in t.use for t in targets)
    by_kpi = {t.kpi: t for t in targets}
    for kpi, (value, low, high) in CALIBRATION.items():
        assert (by_kpi[kpi].value, by_kpi[kpi].low, by_kpi[kpi].high) == (value, low, high), kpi
    attendances = by_kpi["utc_attendances_per_day"]
    assert attendances.low == 150.0 and attendances.high >= 300.0
    assert by_kpi["sda_redirections_utc_per_day"].per == "sda_redirections_front_door_per_day"
    assert len(targets) == 7


def test_every_target_has_a_value_inside_its_range_and_a_source():
    targets = load_targets()
    assert len({t.name for t in targets}) == len(targets) == 11
    for t in targets:
        assert t.low <= t.value <= t.high and math.isfinite(t.low) and math.isfinite(t.high), t.name
        assert t.source and t.provenance in ("paper", "public", "assumed") and t.label


def _tables(**runs):
    return {
        run: pd.DataFrame({"replication": range(len(v)), "k": v, "whole": [10.0] * len(v)}) for run, v in runs.items()
    }


def test_measure_reads_a_kpi_a_share_a_saving_and_a_relative_change():
    tables = _tables(current=[4.0, 5.0], redesign=[2.0, 4.0])
    common = {
        "value": 0.0,
        "low": 0.0,
        "high": 1.0,
        "source": "[test]",
        "provenance": "assumed",
        "use": ("validation",),
    }
    assert Target("t", "k", "current", **common).measure(tables).tolist() == [4.0, 5.0]
    assert Target("t", "k", "current", per="whole", **common).measure(tables).tolist() == [0.4, 0.5]
    assert Target("t", "k", "saving", **common).measure(tables).tolist() == [2.0, 1.0]
    assert Target("t", "k", "redesign", relative_to="current", **common).measure(tables).tolist() == pytest.approx(
        [-50.0, -20.0]
    )
    with pytest.raises(KeyError, match="needs the redesign run"):
        Target("t", "k", "saving", **common).measure({"current": tables["current"]})


def test_a_bad_entry_is_one_line_naming_target_and_field(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(
        "utc_4h:\n  arm: current\n  kpi: utc_within_4h_pct\n  value: 77.0\n  low: 82.0\n"
        "  high: 72.0\n  source: x\n  provenance: public\n  use: [validation]\n"
    )
    with pytest.raises(ConfigError, match=r"utc_4h: high \(72\) must be >= low \(82\)$"):
        load_targets(path)
    path.write_text(
        "utc_4h:\n  arm: current\n  kpi: k\n  value: 77.0\n  low: 72.0\n"
        "  high: 82.0\n  source: x\n  provenance: rumour\n  use: [validation]\n"
    )
    with pytest.raises(ConfigError, match=r"targets.yaml: utc_4h.provenance: ") as err:
        load_targets(path)
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="use = 'tuning'"):
        load_targets(use="tuning")
