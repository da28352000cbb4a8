"""Reliability round two (issue 20): each fault a hostile tester found is one line, exit 2, nothing written.

Every test states the input or the fault, runs the command line in this process (or a fresh one
where signals or imports matter), and checks: exit code 2 (3 for a model error), one line on
stderr with no traceback, what that line names, that no replication ran when the fault can be
seen before, and that nothing was written: no output folder, no staging folder, no lock file.
"""

from __future__ import annotations

import errno
import json
import os
import socket
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim.experiments.runner as runner_module
from sim.cli import main
from sim.inputs.config import ConfigError, load_config
from sim.inputs.yaml_reader import MAX_BYTES, MAX_NODES, load_bounded

from ..conftest import CONFIGS

TINY = ["--reps", "1", "--days", "3", "--warmup-days", "1", "--quiet"]
RUN = ["run", str(CONFIGS / "current.yaml")]


def _one_line(code: int, capsys, *needles: str, exit_code: int = 2) -> str:
    err = capsys.readouterr().err
    assert code == exit_code, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for needle in needles:
        assert needle in err, err
    return err


def _nothing_beside(folder: Path, name: str) -> None:
    """No output folder ``name``, nor any hidden sibling of it (staging, previous, lock)."""
    assert not (folder / name).exists()
    left = [p.name for p in folder.iterdir() if p.name.startswith(f".{name}")]
    assert not [p for p in left if not p.endswith("-checkpoint")], left


@pytest.fixture
def no_replication(monkeypatch):
    """Fail the test if any replication runs (the refusal must come first)."""

    def refuse(*args, **kwargs):
        raise AssertionError("a replication ran before the refusal")

    monkeypatch.setattr(runner_module, "run_replication", refuse)


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"extends: {CONFIGS / 'current.yaml'}\n{text}")
    return path


# ------------------------------------------------------------------ integers, as a person writes them --
def test_a_leading_zero_is_decimal_not_octal(tmp_path):
    cfg = load_config(_scenario(tmp_path, "run:\n  days: 021\n  warmup_days: 08\n"))
    assert (cfg.run.days, cfg.run.warmup_days) == (21, 8)


def test_a_base_60_number_is_refused_with_its_reason(tmp_path, capsys, no_replication):
    path = _scenario(tmp_path, "run:\n  days: 1:30\n")
    _one_line(main(["run", str(path), *TINY, "--out", str(tmp_path / "o")]), capsys, "base-60", "line 3")


@pytest.mark.parametrize("where", ["config", "sweep", "set"])
def test_a_5000_digit_integer_is_one_line(where, tmp_path, capsys, no_replication):
    huge = "9" * 5000
    out = str(tmp_path / "o")
    if where == "config":
        argv = ["run", str(_scenario(tmp_path, f"run:\n  seed: {huge}\n")), *TINY, "--out", out]
    elif where == "sweep":
        sweep = tmp_path / "sweep.yaml"
        sweep.write_text(
            f"name: big\nbaseline: {CONFIGS / 'current.yaml'}\nscenario: {CONFIGS / 'redesign.yaml'}\n"
            f"vary:\n  utc.clinicians.0: [1, {huge}]\n"
        )
        argv = ["sweep", str(sweep), *TINY, "--out", out]
    else:
        argv = [*RUN, *TINY, "--set", f"run.seed={huge}", "--out", out]
    err = _one_line(main(argv), capsys, "5,000 digits")
    assert len(err) < 300
    _nothing_beside(tmp_path, "o")


def test_a_5000_digit_list_position_in_set_is_one_line(tmp_path, capsys, no_replication):
    _one_line(
        main([*RUN, *TINY, "--set", f"utc.clinicians.{'9' * 5000}=3", "--out", str(tmp_path / "o")]),
        capsys,
        "no such parameter",
    )


def test_a_deeply_nested_set_value_is_bounded_like_a_file(tmp_path, capsys, no_replication):
    _one_line(
        main([*RUN, *TINY, "--set", "run.days=" + "[" * 50_000, "--out", str(tmp_path / "o")]),
        capsys,
        "--set",
        "run.days",
    )
    _one_line(
        main([*RUN, *TINY, "--set", "run.days=" + "[" * 30 + "]" * 30, "--out", str(tmp_path / "o")]),
        capsys,
        "nested more than 20 levels",
    )


# ------------------------------------------------------------------------- files, before they are read --
def test_a_1_gb_file_is_refused_without_being_read(tmp_path, capsys, no_replication):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:  # sparse: 1 GB long, no disk used
        handle.truncate(1_000_000_000)
    err = _one_line(main(["run", str(big), *TINY, "--out", str(tmp_path / "o")]), capsys, "not read")
    assert f"larger than {MAX_BYTES:,}" in err


def test_200000_values_are_refused_as_too_many():
    text = "x: [" + ",".join(["1"] * (MAX_NODES + 10)) + "]\n"
    with pytest.raises(yaml.YAMLError, match=f"more than {MAX_NODES:,} values"):
        load_bounded(text)
    assert load_bounded("x: [" + ",".join(["1"] * 1000) + "]\n") == {"x": [1] * 1000}


def test_a_nul_byte_is_named(tmp_path, capsys, no_replication):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"name: a\x00b\n")
    err = _one_line(main(["run", str(path), *TINY, "--out", str(tmp_path / "o")]), capsys, "NUL byte")
    assert "invalid YAML: invalid YAML" not in err


def test_a_900_kb_key_is_not_echoed_whole(tmp_path, capsys, no_replication):
    key = "k" * 900_000
    path = _scenario(tmp_path, f"? {key}\n: 1\n")  # an explicit key: a plain one stops at 1,024 characters
    err = _one_line(main(["run", str(path), *TINY, "--out", str(tmp_path / "o")]), capsys, "unknown field")
    assert len(err) < 400 and "900,000 characters" in err
    half = key[:450_000]  # twice in a file under 1 MB
    path = _scenario(tmp_path, f"ed:\n  ? {half}\n  : 1\n  ? {half}\n  : 2\n", "dup.yaml")
    err = _one_line(main(["run", str(path), *TINY, "--out", str(tmp_path / "o")]), capsys, "duplicate key")
    assert len(err) < 400
    err = _one_line(main([*RUN, *TINY, "--set", f"{key}=1", "--out", str(tmp_path / "o")]), capsys, "no such parameter")
    assert len(err) < 400


# --------------------------------------------------------------------------------------- --out --
def test_a_folder_with_a_foreign_manifest_is_not_replaced(tmp_path, capsys, no_replication):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "manifest.json").write_text('{"project": "my thesis"}')
    (out / "chapter1.docx").write_text("months of work")
    _one_line(main([*RUN, *TINY, "--out", str(out)]), capsys, "no results of this tool")
    assert sorted(p.name for p in out.iterdir()) == ["chapter1.docx", "manifest.json"]


def test_a_folder_of_this_tools_results_is_replaced(tmp_path, capsys):
    out = tmp_path / "results"
    assert main([*RUN, *TINY, "--out", str(out)]) == 0
    assert json.loads((out / "manifest.json").read_text())["versions"]["sim-pathway"] is not None
    assert main([*RUN, *TINY, "--out", str(out)]) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".results")], "hidden siblings left"


def test_an_over_long_out_is_one_line(tmp_path, capsys, no_replication):
    _one_line(main([*RUN, *TINY, "--out", str(tmp_path / ("x" * 300))]), capsys, "too long")
    deep = tmp_path.joinpath(*(["abcdefghij"] * 450))
    err = _one_line(main([*RUN, *TINY, "--out", str(deep)]), capsys, "too long")
    assert len(err) < 400


def test_a_looping_out_is_one_line(tmp_path, capsys, no_replication):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    _one_line(main([*RUN, *TINY, "--out", str(tmp_path / "a" / "results")]), capsys, "loops")


def test_a_file_where_the_checkpoint_folder_goes_is_refused_before_simulating(tmp_path, capsys, no_replication):
    (tmp_path / ".o-checkpoint").write_text("not a folder")
    _one_line(main([*RUN, *TINY, "--out", str(tmp_path / "o")]), capsys, ".o-checkpoint", "is a file")
    assert (tmp_path / ".o-checkpoint").read_text() == "not a folder"


@pytest.mark.parametrize("fault", [errno.ENOSPC, errno.EACCES], ids=["disk_full", "read_only"])
def test_a_full_disk_or_read_only_folder_mid_publish_keeps_the_earlier_results(fault, tmp_path, capsys, monkeypatch):
    out = tmp_path / "o"
    assert main([*RUN, *TINY, "--out", str(out)]) == 0
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def fail(self, *args, **kwargs):
        raise OSError(fault, os.strerror(fault), str(out / "kpis.csv"))

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail)
    _one_line(main([*RUN, *TINY, "--seed", "7", "--out", str(out)]), capsys, os.strerror(fault), "previous results")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".o-partial-*")) and not (tmp_path / ".o.lock").exists()


def test_a_folder_made_read_only_mid_run_is_one_line_and_keeps_what_finished(tmp_path, capsys, monkeypatch):
    """The checkpoint of the second replication cannot be written: earlier replications stay kept."""
    from sim.experiments import checkpoint

    saved = checkpoint.Checkpoint.save
    calls = []

    def save(self, result):
        calls.append(result.replication)
        if len(calls) > 1:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self.path / "rep-00001.json"))
        saved(self, result)

    monkeypatch.setattr(checkpoint.Checkpoint, "save", save)
    out = tmp_path / "o"
    _one_line(
        main([*RUN, "--reps", "3", "--days", "3", "--warmup-days", "1", "--quiet", "--out", str(out)]),
        capsys,
        "Permission denied",
        "untouched",
    )
    assert not out.exists() and not list(tmp_path.glob(".o-partial-*")) and not (tmp_path / ".o.lock").exists()
    assert list((tmp_path / ".o-checkpoint").rglob("rep-*.json")), "the finished replication was not kept"


# ------------------------------------------------------------------------------------- memory --
@pytest.mark.parametrize(
    ("command", "how"),
    [("run", "config"), ("run", "set"), ("compare", "config"), ("compare", "set"), ("attribute", "config")],
)
def test_induced_demand_counts_in_the_memory_estimate(command, how, tmp_path, capsys, no_replication):
    huge = ["demand.induced.mean_per_day=100000", "demand.induced.growth=100"]
    if how == "config":
        path = tmp_path / "induced.yaml"
        path.write_text(
            f"extends: {CONFIGS / 'redesign.yaml'}\nname: induced\n"
            "demand:\n  induced:\n    mean_per_day: 100000\n    growth: 100\n"
        )
        scenario, extra = str(path), []
    else:
        scenario, extra = str(CONFIGS / "redesign.yaml"), [f"--set={a}" for a in huge]
    if command == "run":
        argv = ["run", scenario]
    else:
        argv = [command, str(CONFIGS / "current.yaml"), scenario]
    argv = [
        *argv,
        *extra,
        "--reps",
        "2",
        "--days",
        "365",
        "--warmup-days",
        "1",
        "--quiet",
        "--out",
        str(tmp_path / "o"),
    ]
    _one_line(main(argv), capsys, "of memory", "patients per replication")
    _nothing_beside(tmp_path, "o")


def test_warmup_checks_memory_too(tmp_path, capsys, no_replication):
    path = _scenario(tmp_path, "demand:\n  walk_in:\n    mean_per_day: 100000\n    growth: 100\n")
    _one_line(main(["warmup", str(path), "--days", "365", "--out", str(tmp_path / "o")]), capsys, "of memory")
    _nothing_beside(tmp_path, "o")


def test_a_memory_refusal_leaves_no_lock_file(tmp_path, capsys, no_replication):
    """business-case checks memory inside its writer: leaving it removes the lock file too."""
    path = _scenario(tmp_path, "demand:\n  walk_in:\n    mean_per_day: 100000\n    growth: 100\n")
    _one_line(
        main(
            [
                "business-case",
                str(path),
                str(CONFIGS / "redesign.yaml"),
                "--reps",
                "2",
                "--days",
                "365",
                "--warmup-days",
                "1",
                "--quiet",
                "--out",
                str(tmp_path / "o"),
            ]
        ),
        capsys,
        "of memory",
    )
    _nothing_beside(tmp_path, "o")


# ------------------------------------------------------------------------------------ smaller --
def test_a_misspelled_precision_kpi_is_caught_before_running(tmp_path, capsys, no_replication):
    err = _one_line(
        main(
            [
                *RUN,
                "--precision",
                "0.05",
                "--precision-kpis",
                "cost_total_anual_gbp",
                "--days",
                "3",
                "--warmup-days",
                "1",
                "--quiet",
                "--out",
                str(tmp_path / "o"),
            ]
        ),
        capsys,
        "--precision-kpis",
        "cost_total_anual_gbp",
    )
    assert "did you mean cost_total_annual_gbp" in err
    _nothing_beside(tmp_path, "o")


def test_an_unreachable_scheduler_is_refused_at_once(tmp_path, capsys, no_replication):
    with socket.socket() as probe:  # a port on this machine where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _one_line(
        main([*RUN, *TINY, "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(tmp_path / "o")]),
        capsys,
        "no Dask scheduler answers there",
    )
    _one_line(
        main([*RUN, *TINY, "--scheduler", "tcp://nohost", "--out", str(tmp_path / "o")]), capsys, "give host and port"
    )


def test_no_resume_does_not_say_resuming(tmp_path, capsys):
    out = tmp_path / "o"
    folder = tmp_path / ".o-checkpoint"
    from sim.experiments.checkpoint import CheckpointFolder
    from sim.experiments.runner import run_replications
    from sim.inputs.config import apply_overrides

    cfg = apply_overrides(load_config(CONFIGS / "current.yaml"), replications=2, days=3, warmup_days=1)
    run_replications(cfg, progress=False, checkpoint=CheckpointFolder(out).for_scenario(cfg))
    assert folder.is_dir()
    assert main([*RUN, "--reps", "2", "--days", "3", "--warmup-days", "1", "--no-resume", "--out", str(out)]) == 0
    assert "resuming" not in capsys.readouterr().err


def test_no_lock_file_is_left_after_a_run(tmp_path):
    assert main([*RUN, *TINY, "--out", str(tmp_path / "o")]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_a_refused_config_is_refused_by_load_config_too(tmp_path):
    with pytest.raises(ConfigError, match="NUL byte"):
        (tmp_path / "n.yaml").write_bytes(b"a: \x00\n")
        load_config(tmp_path / "n.yaml")
