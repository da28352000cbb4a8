"""The generated reference: every config field and every command has words, and none is left out."""

from __future__ import annotations

import argparse
from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from sim.cli import build_parser
from sim.inputs.business_case import WHOLE, BusinessCase
from sim.inputs.config import SHIPPED_CONFIGS, Config, load_config, read_yaml_mapping
from sim.inputs.provenance import leaves, load_registry
from sim.inputs.reconciliation import ReconciliationInputs
from sim.outputs.reference import (
    command_reference,
    commands_without_help,
    config_reference,
    fields_without_text,
    schema_fields,
)

SCHEMAS = {
    "scenario": (Config, (), ""),
    "business case": (BusinessCase, WHOLE, "business_case."),
    "reconciliation": (ReconciliationInputs, (), "reconciliation."),
}


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@pytest.mark.parametrize("kind", SCHEMAS)
def test_every_config_field_has_reference_text(kind, registry):
    model, whole, prefix = SCHEMAS[kind]
    missing = fields_without_text(schema_fields(model, whole=whole), registry, prefix)
    assert not missing, (
        f"{kind} fields with no words for the reference: give each a docstring under it in the "
        f"schema (or a note in configs/provenance.yaml): {missing}"
    )


def test_every_command_and_option_has_help():
    missing = commands_without_help(build_parser())
    assert not missing, f"commands or options with no help text for the reference: {missing}"


def test_a_field_or_option_without_words_is_found(registry):
    class Block(BaseModel):
        described: int = Field(description="has words")
        documented: Annotated[float, Field(ge=0.0, le=1.0)]
        """Has words too."""
        bare: bool

    class File(BaseModel):
        block: Block

    fields = schema_fields(File)
    assert [f.path for f in fields] == ["block.described", "block.documented", "block.bare"]
    assert fields[1].bounds == "0 to 1" and fields[1].text == "Has words too."
    assert fields_without_text(fields, registry) == ["block.bare"]

    parser = argparse.ArgumentParser(prog="x")
    sub = parser.add_subparsers()
    cmd = sub.add_parser("go", help="go somewhere")
    cmd.add_argument("--far", type=int)
    sub.add_parser("stay")
    assert commands_without_help(parser) == ["go --far FAR", "stay"]


def test_the_scenario_reference_lists_every_default_with_its_bounds_and_provenance(registry):
    fields = schema_fields(Config)
    defaults = load_config(SHIPPED_CONFIGS / "base.yaml").model_dump()
    page = config_reference("Scenario configuration", fields, defaults, registry)
    paths = {f.path for f in fields}
    assert set(leaves(defaults)) <= paths  # every parameter the shipped defaults set is in the schema walk
    for f in fields:
        assert f"| `{f.path}` |" in page
    row = next(line for line in page.splitlines() if line.startswith("| `patients.sda_eligible` |"))
    entry = registry["patients.sda_eligible"]
    assert "0 to 1" in row and f"[{entry.tag}]" in row and entry.unit in row
    assert f"`{defaults['patients']['sda_eligible']}`" in row


def test_the_business_case_reference_keeps_whole_lines_whole(registry):
    fields = schema_fields(BusinessCase, whole=WHOLE)
    page = config_reference(
        "Business case inputs",
        fields,
        read_yaml_mapping(SHIPPED_CONFIGS / "business_case.yaml"),
        registry,
        prefix="business_case.",
    )
    # the costing table's lines are a mapping keyed by the user: described once, under <name>
    assert "| `costing.lines.<name>.basis` |" in page and "costing.lines.utc_attendance.basis" not in page
    # a mapping keyed by the user has a registry entry per key (each costing line), not per <name> field
    assert {f"business_case.{f.path}" for f in fields if "<name>" not in f.path} <= set(registry) | {
        f"business_case.{f.path}" for f in fields if f.optional
    }


def test_the_command_reference_has_every_command_and_option():
    parser = build_parser()
    page = command_reference(parser)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, command in sub.choices.items():
        assert f"## `{parser.prog} {name}`" in page
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert f"`{flag}" in page, f"{name} {flag} missing"
    assert "%%" not in page
