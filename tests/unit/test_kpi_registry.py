"""The KPI registry: every KPI a run reports has a unit from the registry, and words for a reader."""

from __future__ import annotations

from sim.analysis.kpis import KPIS, compute_kpis, kpi_unit
from sim.model.pathway import run_replication
from sim.outputs.labels import KPI_NAMES, kpi_label

from ..conftest import tweak


def test_every_reported_kpi_has_a_unit_and_words(small_redesign):
    kpis = compute_kpis(run_replication(tweak(small_redesign, run__days=8, run__warmup_days=1), 0))
    for name, value in kpis.items():
        assert type(value) is float, (name, type(value))  # plain floats: checkpoints round-trip them exactly
        assert kpi_unit(name) is not None, name
        assert kpi_label(name) != name.replace("_", " "), name  # words, not the code
    # units are data: a weekday is not a week
    assert kpi_unit("nhs111_no_slot_to_front_door_per_weekday") == "a weekday"
    assert kpi_unit("gp_reattendance_hours_after_sda_per_week") == "hours a week"
    assert kpi_unit("sda_unused_slots_per_day_pcn_h08") == "a day"
    assert kpi_unit("cost_annual_gbp_walk_in:ia>utc") == "GBP a year"


def test_single_kpis_in_the_registry_have_their_words():
    singles = [k.label for k in KPIS if not k.family and not k.label.endswith("_")]
    missing = [label for label in singles if label not in KPI_NAMES]
    assert not missing, missing
