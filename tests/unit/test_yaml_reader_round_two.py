"""The bounded YAML reader, round two: integers as a person writes them, bounds on the node graph,
the same answers from libyaml's parser and from PyYAML's own, and files refused before they are read."""

from __future__ import annotations

import pytest
import yaml

from sim.inputs import yaml_reader
from sim.inputs.yaml_reader import (
    LOADERS,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    YamlRefused,
    load_bounded,
    load_value,
    read_bounded_text,
)


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request, monkeypatch):
    """Each available loader in turn (libyaml's when PyYAML has it, and PyYAML's own)."""
    monkeypatch.setattr(yaml_reader, "LOADERS", (request.param,))
    return request.param


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("021", 21),
        ("08", 8),
        ("-007", -7),
        ("+010", 10),
        ("0", 0),
        ("1_000", 1000),
        ("0x10", 16),
        ("21", 21),
        ("021.5", 21.5),
        ("'021'", "021"),
        ("9" * MAX_INT_DIGITS, int("9" * MAX_INT_DIGITS)),
    ],
)
def test_integers_read_as_written(loader, text, value):
    assert load_bounded(f"a: {text}\n") == {"a": value}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1:30", "base-60"),
        ("9" * (MAX_INT_DIGITS + 1), f"{MAX_INT_DIGITS + 1} digits"),
        ("-" + "1" * 5000, "5,000 digits"),
    ],
)
def test_integers_refused_with_their_reason(loader, text, reason):
    with pytest.raises(YamlRefused, match=reason):
        load_bounded(f"a: {text}\n")


def test_bounds_hold_for_each_loader(loader, monkeypatch):
    monkeypatch.setattr(yaml_reader, "MAX_NODES", 5_000)  # the same check, on a smaller file
    with pytest.raises(YamlRefused, match=f"nested more than {MAX_DEPTH} levels"):
        load_bounded("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert load_bounded("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(YamlRefused, match="more than 5,000 values"):
        load_bounded("x: [" + ",".join(["1"] * 5_000) + "]")
    assert len(load_bounded("x: [" + ",".join(["1"] * 4_990) + "]")["x"]) == 4_990
    bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abc", "bcd")
    )  # 11,110 values
    with pytest.raises(YamlRefused, match="aliases expanded"):
        load_bounded(bomb)
    with pytest.raises(YamlRefused, match="duplicate key 'b'"):
        load_bounded("a:\n  b: 1\n  b: 2\n")
    assert load_bounded("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


def test_an_alias_inside_its_own_anchor_is_refused(loader):
    with pytest.raises(YamlRefused, match="inside its own anchor"):
        load_bounded("a: &x [1, *x]\n")


def test_both_loaders_read_the_shipped_configs_alike():
    from ..conftest import CONFIGS

    for path in sorted(CONFIGS.rglob("*.yaml")):
        text = path.read_text()
        results = []
        for each in LOADERS:
            one = each(text)
            try:
                results.append(one.bounded_data() if hasattr(one, "bounded_data") else one.get_single_data())
            finally:
                one.dispose()
        assert all(r == results[0] for r in results), path
        assert results[0] == yaml.safe_load(text), path  # no shipped file relies on YAML 1.1 octal


def test_a_set_value_is_bounded_like_a_file():
    with pytest.raises(YamlRefused, match="nested"):
        load_value("[" * 5000)
    with pytest.raises(YamlRefused, match="longer than"):
        load_value("x" * 200_000)
    assert load_value("[1, 2]") == [1, 2]


def test_a_large_file_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:  # sparse: its size says enough, its bytes are never read
        handle.truncate(1_000_000_000)
    with pytest.raises(YamlRefused, match=f"file of 1,000,000,000 bytes, larger than {MAX_BYTES:,}: not read"):
        read_bounded_text(big)
    small = tmp_path / "small.yaml"
    small.write_text("a: 1\n")
    assert read_bounded_text(small) == "a: 1\n"


@pytest.mark.skipif(not hasattr(yaml_reader, "libyaml_bounds_nesting"), reason="PyYAML without libyaml")
def test_deep_nesting_is_refused_with_a_libyaml_that_does_not_bound_it(monkeypatch):
    """libyaml before 0.2.6 (PyYAML 6.0.2 and earlier) composes any depth recursively and crashes on a
    few thousand levels; the nesting is then measured on its events first, whatever libyaml is installed."""
    monkeypatch.setattr(yaml_reader, "libyaml_bounds_nesting", lambda: False)
    nested_mapping = "".join("  " * level + f"k{level}:\n" for level in range(25)) + "  " * 25 + "1\n"
    for text in ["[" * 50_000, "- " * 40_000 + "x", "[" * 30 + "]" * 30, nested_mapping]:
        with pytest.raises(YamlRefused, match="nested more than 20 levels"):
            load_value(text)
    expected: list = []
    for _ in range(19):
        expected = [expected]
    assert load_value("[" * 20 + "]" * 20) == expected
    assert load_value("a: {b: [1, 2]}") == {"a": {"b": [1, 2]}}
