"""Hostile input: duplicate keys, deep nesting, alias bombs and extreme magnitudes are refused in one line.

Extreme magnitudes in any numeric field are refused in one line (or fit).
Each example writes a scenario (or sweep) file that extends a shipped config and
adds one hostile construct somewhere in it; the CLI must exit 2 with one line
naming the file and the problem, quickly, and write nothing. Aliases are allowed
but count as the values they stand for, so an alias bomb is refused for its size.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments.resources import check_fits
from sim.inputs.config import ConfigError, load_config, validate_config
from sim.inputs.yaml_reader import MAX_DEPTH, MAX_NODES

from .strategies import CONFIG_DIR
from .test_config_properties import SETTINGS, assert_clean_refusal

BASE = yaml.safe_load((CONFIG_DIR / "base.yaml").read_text())
SECTIONS = sorted(k for k, v in BASE.items() if isinstance(v, dict))
# where a hostile value may sit: free text, a real field, a field that does not exist
PLACES = ["description", "ed.cubicles", "demand.walk_in.hour_of_day", "wibble"]


def _nest(dotted: str, body: list[str]) -> str:
    """YAML putting the lines ``body`` under the dotted key path."""
    keys = dotted.split(".")
    lines = [f"{'  ' * i}{key}:" for i, key in enumerate(keys)]
    pad = "  " * len(keys)
    return "\n".join(lines + [pad + line for line in body]) + "\n"


@st.composite
def duplicate_keys(draw) -> tuple[str, str]:
    """A patch with one key written twice (a whole section, or a leaf within one)."""
    section = draw(st.sampled_from(SECTIONS))
    leaves = sorted(k for k, v in BASE[section].items() if not isinstance(v, dict))
    if leaves and draw(st.booleans()):
        leaf = draw(st.sampled_from(leaves))
        value = yaml.safe_dump(BASE[section][leaf], default_flow_style=True).strip().removesuffix("...").strip()
        return f"{section}:\n  {leaf}: {value}\n  {leaf}: {value}\n", leaf
    block = yaml.safe_dump({section: BASE[section]}, sort_keys=False)
    return block + block, section


@st.composite
def deep_nesting(draw) -> str:
    """A value nested past the limit: flow lists, flow mappings or block mappings."""
    depth = draw(st.integers(MAX_DEPTH + 1, 6000))
    style = draw(st.sampled_from(["flow_list", "flow_map", "block_map"]))
    place = draw(st.sampled_from(PLACES))
    if style == "flow_list":
        value = "[" * depth + "1" + "]" * depth
    elif style == "flow_map":
        value = "{a: " * depth + "1" + "}" * depth
    else:
        depth = min(depth, 200)  # block style: each level is a line
        return _nest(place, [f"{'  ' * i}k{i}:" for i in range(depth)] + ["  " * depth + "1"])
    return (
        _nest(place.rsplit(".", 1)[0], [f"{place.rsplit('.', 1)[-1]}: {value}"])
        if "." in place
        else f"{place}: {value}\n"
    )


@st.composite
def alias_bombs(draw) -> tuple[str, int]:
    """Anchors and aliases, from a single reuse to a billion-value bomb, and how many values they expand to."""
    levels = draw(st.integers(1, 12))
    fanout = draw(st.integers(1, 12))
    place = draw(st.sampled_from(PLACES))
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    size = 11
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * fanout)}]")
        size = 1 + fanout * size
    keys = place.split(".")
    tail = "".join(f"{'  ' * i}{k}:\n" for i, k in enumerate(keys[:-1]))
    tail += f"{'  ' * (len(keys) - 1)}{keys[-1]}: *a{levels - 1}\n"
    return "extras:\n" + "".join(f"  {line}\n" for line in lines) + tail, size


def _refused(patch: str, must_say: str, capsys, kind: str = "run") -> str:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if kind == "run":
            path = tmp / "hostile.yaml"
            path.write_text(f"extends: {CONFIG_DIR / 'current.yaml'}\n{patch}")
            argv = ["run", str(path)]
        else:  # the same construct in a sweep file
            path = tmp / "hostile_sweep.yaml"
            path.write_text(
                f"name: s\nbaseline: {CONFIG_DIR / 'current.yaml'}\n"
                f"scenario: {CONFIG_DIR / 'redesign.yaml'}\n"
                f"vary:\n  ia_nurse.redirection_x8.probability: [0.5]\n{patch}"
            )
            argv = ["sweep", str(path)]
        out_dir = tmp / "out"
        rc = main([*argv, "--out", str(out_dir), "--quiet", "--reps", "1", "--days", "2", "--warmup-days", "1"])
        out, err = capsys.readouterr()
        err = assert_clean_refusal(rc, out, err, out_dir, path.name)
        assert must_say in err, err
        return err


@settings(max_examples=30, **SETTINGS)
@given(case=duplicate_keys(), kind=st.sampled_from(["run", "sweep"]))
def test_duplicate_keys_are_refused_naming_the_key(case, kind, capsys):
    patch, key = case
    _refused(patch, f"duplicate key '{key}'", capsys, kind)


@settings(max_examples=30, **SETTINGS)
@given(patch=deep_nesting(), kind=st.sampled_from(["run", "sweep"]))
def test_deep_nesting_is_refused_before_the_recursion_limit(patch, kind, capsys):
    _refused(patch, f"nested more than {MAX_DEPTH} levels deep", capsys, kind)


@settings(max_examples=30, **SETTINGS)
@given(case=alias_bombs(), kind=st.sampled_from(["run", "sweep"]))
def test_aliases_count_as_the_values_they_stand_for(case, kind, capsys):
    """A bomb is refused at once for its size; a small reuse loads (then the stray key is refused)."""
    patch, size = case
    too_many = f"more than {MAX_NODES:,} values in one file"
    if size > 2 * MAX_NODES:
        _refused(patch, too_many, capsys, kind)
    else:
        message = _refused(patch, "", capsys, kind)
        assert size > MAX_NODES / 2 or too_many not in message, message


def test_yaml_dump_output_with_aliases_loads(tmp_path):
    """``yaml.dump`` writes anchors for a value used twice; such a file is fine."""
    week = [1.0] * 7
    data = {
        "extends": str(CONFIG_DIR / "current.yaml"),
        "demand": {"walk_in": {"day_of_week": week}, "nhs111": {"day_of_week": week}},
    }
    text = yaml.safe_dump(data)
    assert "&" in text and "*" in text
    (tmp_path / "dumped.yaml").write_text(text)
    cfg = load_config(tmp_path / "dumped.yaml")
    assert cfg.demand.nhs111.day_of_week == week


def _numeric_leaves(node, path=()):
    """Dotted paths (with list indices) of every number in a config mapping."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _numeric_leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _numeric_leaves(value, (*path, i))
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield path


CURRENT = load_config(CONFIG_DIR / "current.yaml").model_dump(mode="json")
NUMBERS = sorted(_numeric_leaves(CURRENT), key=str)
MAGNITUDES = st.one_of(
    st.integers(5, 308).map(lambda e: float(f"1e{e}")),
    st.integers(5, 400).map(lambda e: 10**e),
    st.integers(5, 308).map(lambda e: -float(f"1e{e}")),
    st.sampled_from([1e-300, 5e-324]),
)


@settings(max_examples=60, **SETTINGS)
@given(path=st.sampled_from(NUMBERS), value=MAGNITUDES)
def test_extreme_magnitudes_are_refused_in_one_line_or_fit(path, value):
    """Any number anywhere set to an extreme magnitude: a one-line ConfigError naming the field,
    or a config the run's memory check accepts or refuses in one line; never another exception."""
    data = copy.deepcopy(CURRENT)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    field = ".".join(str(p) for p in path if isinstance(p, str))
    try:
        cfg = validate_config(data, "extreme.yaml")
    except ConfigError as err:
        message = str(err)
        assert "\n" not in message and len(message) < 400, message
        # the field, or its block with the field's own name in the reason (e.g. a lognormal's sd)
        parent, leaf = field.rsplit(".", 1)
        assert parent in message and leaf in message, message
        return
    try:
        check_fits(cfg)
    except ConfigError as err:
        assert "of memory" in str(err) and "\n" not in str(err)
