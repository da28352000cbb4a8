"""Property-based tests of config loading and of the CLI's handling of bad configs.

Valid random scenarios load, validate and round-trip through YAML unchanged.
Random INVALID scenarios (wrong types, unknown keys, out-of-range values,
truncated YAML, wrong profile lengths, non-UTF-8 bytes) are refused: the CLI
exits with code 2 and one line on stderr naming the field, and writes nothing.
"""

from __future__ import annotations

import copy
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.cli import EXIT_BAD_INPUT, main
from sim.inputs.config import ConfigError, load_config, validate_config

from .strategies import (
    CONFIG_DIR,
    EXAMPLE_SETTINGS,
    ROOT,
    base_dict,
    invalid_mutations,
    names_field,
    valid_config_dicts,
)

# the config tests also take pytest's tmp_path fixture
SETTINGS = dict(
    EXAMPLE_SETTINGS,
    suppress_health_check=[*EXAMPLE_SETTINGS["suppress_health_check"], HealthCheck.function_scoped_fixture],
)
INVALID_UTF8 = [b"\xff", b"\xfe\xfe", b"\xc3\x28", b"\x80", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"caf\xe9"]


def dump(d: dict) -> str:
    return yaml.safe_dump(d, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _same(a, b) -> bool:
    """Deep equality that treats NaN as equal to NaN."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


def assert_clean_refusal(rc: int, out: str, err: str, out_dir: Path, source: str) -> str:
    """The CLI contract for bad input: exit 2, one line on stderr, nothing written."""
    assert rc == EXIT_BAD_INPUT, f"exit {rc}, stderr: {err!r}"
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, f"not one line: {err!r}"
    assert err.startswith("error: ") and source in err, err
    assert out == ""
    assert not out_dir.exists(), "the --out folder was created"
    if out_dir.parent.exists():
        leftovers = [p.name for p in out_dir.parent.iterdir() if p.name.startswith(f".{out_dir.name}-partial-")]
        assert not leftovers, f"staging folders left behind: {leftovers}"
    return err


# -------------------------------------------------------------- valid ones --
@settings(max_examples=40, **SETTINGS)
@given(d=valid_config_dicts())
def test_valid_configs_validate_and_round_trip_through_yaml(d):
    cfg = validate_config(d, "generated")
    assert _same(cfg.model_dump(), validate_config(cfg.model_dump()).model_dump())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(dump(d), encoding="utf-8")
        assert load_config(path) == cfg


@settings(max_examples=25, **SETTINGS)
@given(
    parent=valid_config_dicts(),
    other=valid_config_dicts(),
    sections=st.sets(
        st.sampled_from(["run", "demand", "patients", "utc", "slot_diaries", "changes", "ia_nurse"]), max_size=4
    ),
)
def test_extends_overrides_only_what_the_child_names(parent, other, sections):
    """``extends:`` merges the child's keys over the parent's; one nested leaf overrides alone."""
    child = {"extends": "parent.yaml", "name": "child"}
    expected = copy.deepcopy(parent)
    expected["name"] = "child"
    for s in sections:
        child[s] = other[s]
        expected[s] = other[s]
    # a single nested leaf: the rest of its block comes from the parent
    child.setdefault("ed", {})["cubicles"] = 7
    expected["ed"]["cubicles"] = 7
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "parent.yaml").write_text(dump(parent), encoding="utf-8")
        (Path(tmp) / "child.yaml").write_text(dump(child), encoding="utf-8")
        assert load_config(Path(tmp) / "child.yaml") == validate_config(expected)


# ------------------------------------------------------------ invalid ones --
@settings(max_examples=300, **SETTINGS)
@given(mutation=invalid_mutations())
def test_invalid_configs_are_refused_with_one_line_naming_the_field(mutation):
    d, path, kind = mutation
    with pytest.raises(ConfigError) as info:
        validate_config(d, "bad.yaml")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("bad.yaml: ")
    assert names_field(msg, path), f"{kind} at {'.'.join(map(str, path))}: {msg}"
    dotted = ".".join(map(str, path))
    if kind == "unknown_key":
        assert msg == f"bad.yaml: {dotted}: unknown field"
    if kind == "missing_key" and msg.endswith("required field missing"):
        assert msg == f"bad.yaml: {dotted}: required field missing"


@st.composite
def bad_files(draw):
    """(bytes of a bad config file, path of the broken field or None, kind)."""
    kind = draw(st.sampled_from(["mutation", "mutation", "truncated", "non_utf8", "not_a_mapping"]))
    if kind == "mutation":
        d, path, sub = draw(invalid_mutations())
        return dump(d).encode("utf-8"), path, sub
    text = dump(base_dict(draw(st.sampled_from(["current", "redesign"])))).encode("utf-8")
    if kind == "truncated":
        cut = draw(st.integers(0, len(text) - 1))
        truncated = text[:cut]
        try:  # a cut inside the last number can still be valid ("0.0" -> "0."): skip those
            validate_config(yaml.safe_load(truncated.decode("utf-8")) or {})
            assume(False)
        except (ConfigError, yaml.YAMLError, AttributeError, TypeError):
            pass
        return truncated, None, kind
    if kind == "non_utf8":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.sampled_from(INVALID_UTF8)) + text[at:], None, kind
    return draw(st.sampled_from([b"- 1\n- 2\n", b"just a string\n", b"42\n", b"[run, demand]\n"])), None, kind


@settings(max_examples=80, **SETTINGS)
@given(bad=bad_files(), command=st.sampled_from(["run", "compare_baseline", "compare_scenario"]))
def test_cli_refuses_bad_config_files_cleanly(bad, command, capsys):
    content, path, kind = bad
    capsys.readouterr()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bad_file = tmp / "bad scenario.yaml"
        bad_file.write_bytes(content)
        out_dir = tmp / "results" / "out"
        good = str(CONFIG_DIR / "current.yaml")
        if command == "run":
            argv = ["run", str(bad_file)]
        elif command == "compare_baseline":
            argv = ["compare", str(bad_file), good]
        else:
            argv = ["compare", good, str(bad_file)]
        rc = main([*argv, "--out", str(out_dir), "--quiet"])
        captured = capsys.readouterr()
        err = assert_clean_refusal(rc, captured.out, captured.err, out_dir, str(bad_file))
        assert [p.name for p in tmp.iterdir()] == [bad_file.name], "something was written beside the config"
    if path is not None:
        assert names_field(err, path), f"{kind} at {path}: {err}"
    elif kind == "non_utf8":
        assert "UTF-8" in err
    elif kind == "truncated":
        # cut inside a key ("na"), between keys, or inside a value
        assert re.search(
            r"invalid YAML at line \d+|required field missing|top level must be a mapping|: [\w.]+ = ", err
        ), err
    else:
        assert "top level must be a mapping" in err


@pytest.mark.parametrize(
    "override, field",
    [
        (["--days", "0"], "run.days"),
        (["--days", "-3"], "run.days"),
        (["--days", "5"], "run.warmup_days"),  # shorter than current.yaml's 7-day warm-up
        (["--days", "20", "--warmup-days", "20"], "run.warmup_days"),
        (["--warmup-days", "-1"], "run.warmup_days"),
        (["--seed", "-1"], "run.seed"),
        (["--reps", "0"], "run.replications"),
        (["--reps", "10001"], "run.replications"),
    ],
)
def test_cli_refuses_bad_overrides(override, field, tmp_path, capsys):
    out_dir = tmp_path / "out"
    rc = main(["run", str(CONFIG_DIR / "current.yaml"), "--out", str(out_dir), "--quiet", *override])
    captured = capsys.readouterr()
    err = assert_clean_refusal(rc, captured.out, captured.err, out_dir, "command line")
    assert field in err


def test_cli_refuses_missing_config_file(tmp_path, capsys):
    out_dir = tmp_path / "out"
    missing = tmp_path / "nope.yaml"
    rc = main(["run", str(missing), "--out", str(out_dir), "--quiet"])
    captured = capsys.readouterr()
    assert "not found" in assert_clean_refusal(rc, captured.out, captured.err, out_dir, str(missing))


# ------------------------------------------------------ real subprocesses --
SUBPROCESS_CASES = {
    "unknown_key": (lambda d: d["utc"].update(clinicans=3), "utc.clinicans"),
    "probability_above_one": (lambda d: d["patients"].update(accepts_redirection=1.2), "patients.accepts_redirection"),
    "short_profile": (lambda d: d["demand"]["walk_in"].update(hour_of_day=[1.0] * 23), "demand.walk_in.hour_of_day"),
    "string_for_number": (lambda d: d["ed"].update(cubicles="forty"), "ed.cubicles"),
}


@pytest.mark.parametrize("case", sorted(SUBPROCESS_CASES) + ["truncated", "non_utf8"])
def test_subprocess_bad_config_exit_2(case, tmp_path):
    text = dump(base_dict("current")).encode("utf-8")
    field = None
    if case == "truncated":
        half = text.index(b"\n", len(text) // 2)  # cut at a line end about half way, then half a key
        indent = len(text[half + 1 :]) - len(text[half + 1 :].lstrip(b" "))
        content = text[: half + 1] + b" " * indent + b"mean_per_"
    elif case == "non_utf8":
        content = text.replace(b"description: ", b"description: caf\xe9 ", 1)
    else:
        d = base_dict("current")
        mutate, field = SUBPROCESS_CASES[case]
        mutate(d)
        content = dump(d).encode("utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    out_dir = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "run_sim.py", "run", str(bad), "--out", str(out_dir), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    err = assert_clean_refusal(proc.returncode, proc.stdout, proc.stderr, out_dir, str(bad))
    if field:
        assert field in err
    elif case == "non_utf8":
        assert "not UTF-8" in err
    else:
        assert "invalid YAML at line" in err


# ------------------------------------------------- regressions (bugs found here) --
INFINITE = {
    "mean_per_day": ("demand", "walk_in", "mean_per_day"),
    "growth": ("demand", "nhs111", "growth"),
    "day_of_week": ("demand", "walk_in", "day_of_week"),
    "uniform_high": ("ed", "time_min"),
    "unit_cost": ("unit_costs_gbp", "utc_attendance"),
}


@pytest.mark.parametrize("case", sorted(INFINITE))
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_infinite_values_are_config_errors(case, tmp_path, capsys):
    d = base_dict("current")
    d["run"].update(days=2, warmup_days=0, replications=1)
    inf = float("inf")
    if case == "day_of_week":
        d["demand"]["walk_in"]["day_of_week"] = [inf] + [1.0] * 6
    elif case == "uniform_high":
        d["ed"]["time_min"] = {"dist": "uniform", "low": 0.0, "high": inf}
    else:
        path = INFINITE[case]
        node = d
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = inf
    bad = tmp_path / "inf.yaml"
    bad.write_text(dump(d), encoding="utf-8")  # written as `.inf`
    out_dir = tmp_path / "out"
    rc = main(["run", str(bad), "--out", str(out_dir), "--quiet"])
    captured = capsys.readouterr()
    err = assert_clean_refusal(rc, captured.out, captured.err, out_dir, str(bad))
    assert ".".join(INFINITE[case][:2]) in err


# Regression (found by these tests, fixed in 8d87343): keys that start like pydantic's
# union branch labels ("int", "float", "list[") were dropped from the error path.
@pytest.mark.parametrize("key", ["interval", "float_rate", "integer_days", "list[x]", "union[a]"])
def test_unknown_key_is_named_whatever_its_spelling(key):
    d = base_dict("current")
    d["utc"][key] = 3
    with pytest.raises(ConfigError) as info:
        validate_config(d, "bad.yaml")
    assert str(info.value) == f"bad.yaml: utc.{key}: unknown field"


# Regression (found by test_extends_overrides_only_what_the_child_names, fixed in
# 8d87343): extends deep-merged distributions, mixing the parent's mean/sd into a new kind.
def test_extending_scenario_can_change_a_distribution_kind(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(
        f"extends: {CONFIG_DIR / 'current.yaml'}\ned:\n  time_min: {{dist: fixed, value: 200}}\n",
        encoding="utf-8",
    )
    cfg = load_config(child)
    assert cfg.ed.time_min.dist == "fixed" and cfg.ed.time_min.value == 200
