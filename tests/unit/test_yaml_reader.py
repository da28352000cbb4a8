"""The bounded YAML reader and the short value descriptions in error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.inputs.config import MAX_EXTENDS, ConfigError, load_config
from sim.inputs.yaml_reader import MAX_BYTES, describe, load_bounded

from ..conftest import CONFIGS


class CountsReprs:
    """A value that counts how often it is rendered."""

    calls = 0

    def __repr__(self) -> str:
        CountsReprs.calls += 1
        return "item"


def test_describe_renders_only_what_it_shows():
    CountsReprs.calls = 0
    huge = [[CountsReprs() for _ in range(1000)] for _ in range(1000)]
    text = describe(huge)
    assert len(text) <= 60
    assert CountsReprs.calls <= 50, f"{CountsReprs.calls} items rendered for a {len(text)}-character message"


def test_describe_shortens_long_strings_and_numbers():
    assert len(describe("x" * 10_000_000)) <= 60
    assert len(describe(10**5000)) <= 60
    assert describe(3) == "3" and describe("abc") == "'abc'"


def test_plain_yaml_still_loads():
    assert load_bounded("a: 1\nb: [1, 2, {c: d}]\n") == {"a": 1, "b": [1, 2, {"c": "d"}]}


def test_duplicate_keys_in_nested_mappings_are_refused():
    with pytest.raises(Exception, match="duplicate key 'b'"):
        load_bounded("a:\n  b: 1\n  c: 2\n  b: 3\n")


def test_a_chain_of_extends_is_limited(tmp_path: Path):
    """1,200 chained files used to end in a recursion traceback."""
    n = 1200
    for i in range(n):
        parent = f"c{i + 1}.yaml" if i < n - 1 else str(CONFIGS / "current.yaml")
        (tmp_path / f"c{i}.yaml").write_text(f"extends: {parent}\n")
    with pytest.raises(ConfigError, match=f"more than {MAX_EXTENDS} config files chained by extends"):
        load_config(tmp_path / "c0.yaml")


def test_a_short_chain_of_extends_still_loads(tmp_path: Path):
    for i in range(3):
        parent = f"c{i + 1}.yaml" if i < 2 else str(CONFIGS / "current.yaml")
        (tmp_path / f"c{i}.yaml").write_text(f"extends: {parent}\n")
    assert load_config(tmp_path / "c0.yaml").name == "current"


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path):
    path = tmp_path / "big.yaml"
    path.write_text("description: '" + "x" * (MAX_BYTES + 1) + "'\n")
    with pytest.raises(ConfigError, match="larger than"):
        load_config(path)
