"""Provenance as data: every default parameter has a registry entry, and every entry a parameter."""

from pathlib import Path

import pytest

from sim.inputs.config import ConfigError, load_config
from sim.inputs.provenance import leaves, load_registry, parameter_table, registry_gaps

from ..conftest import CONFIGS


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def test_every_default_has_an_entry_and_every_entry_a_default(registry):
    base = load_config(CONFIGS / "base.yaml").model_dump()
    model_entries = {k: v for k, v in registry.items() if not k.startswith(("business_case.", "reconciliation."))}
    missing, stale = registry_gaps(leaves(base), model_entries)
    assert not missing, "parameters without a provenance entry in configs/provenance.yaml: " + ", ".join(missing)
    assert not stale, "provenance entries for parameters that no longer exist: " + ", ".join(stale)


def test_gaps_are_found_both_ways():
    registry = load_registry()
    paths = ["patients.sda_eligible", "patients.brand_new"]
    missing, stale = registry_gaps(
        paths,
        {
            "patients.sda_eligible": registry["patients.sda_eligible"],
            "patients.gone": registry["patients.sda_eligible"],
        },
    )
    assert missing == ["patients.brand_new"] and stale == ["patients.gone"]


def test_a_scenario_value_is_shown_as_set_by_the_scenario(registry, redesign_cfg):
    base = load_config(CONFIGS / "base.yaml").model_dump()
    table = parameter_table(redesign_cfg.model_dump(), base, registry, "redesign").set_index("path")
    row = table.loc["slot_diaries.gpcg_sda.slots_per_day"]
    assert row["provenance"] == "scenario redesign" and "default [30, 30, 30, 30, 30, 30, 0] [paper]" in row["note"]
    same = table.loc["patients.sda_eligible"]
    assert same["provenance"] == "paper" and same["unit"] == "share" and same["value"] == "0.82"
    assert (table["provenance"] != "none").all()


def test_a_bad_entry_is_one_line(tmp_path: Path):
    bad = tmp_path / "provenance.yaml"
    bad.write_text("patients.sda_eligible:\n  tag: guessed\n  unit: share\n")
    with pytest.raises(ConfigError, match=r"patients.sda_eligible.tag"):
        load_registry(bad)


def test_every_reconciliation_input_has_an_entry_and_every_entry_an_input(registry):
    from sim.inputs.config import read_yaml_mapping

    data = read_yaml_mapping(CONFIGS / "reconciliation.yaml")
    missing, stale = registry_gaps(["reconciliation." + p for p in leaves(data)], registry, prefix="reconciliation.")
    assert not missing and not stale, (missing, stale)


def test_every_business_case_input_has_an_entry_and_every_entry_an_input(registry):
    from sim.inputs.business_case import WHOLE, load_business_case

    case = load_business_case(CONFIGS / "business_case.yaml").model_dump()
    paths = ["business_case." + p for p in leaves(case, whole=WHOLE)]
    missing, stale = registry_gaps(paths, registry, prefix="business_case.")
    assert not missing, "business case inputs without a provenance entry: " + ", ".join(missing)
    assert not stale, "provenance entries for business case inputs that no longer exist: " + ", ".join(stale)
