"""Output folders: names are data, folders are checked before any work, published whole, locked, shared safely."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments.checkpoint import CheckpointFolder
from sim.experiments.runner import run_replications
from sim.inputs.config import apply_overrides, load_config
from sim.outputs.output import FolderLock, ResultWriter

from ..conftest import CONFIGS

TINY = ["--reps", "1", "--days", "3", "--warmup-days", "1", "--quiet"]
COMMANDS = {
    "run": ["run", str(CONFIGS / "current.yaml")],
    "compare": ["compare", str(CONFIGS / "current.yaml"), str(CONFIGS / "redesign.yaml")],
    "attribute": ["attribute", str(CONFIGS / "current.yaml"), str(CONFIGS / "redesign.yaml")],
    "validate": ["validate", str(CONFIGS / "current.yaml"), str(CONFIGS / "redesign.yaml")],
    "sweep": ["sweep", str(CONFIGS / "sweeps" / "ia_redirection.yaml")],
}


def _one_line_exit_2(code: int, capsys, *needles: str) -> str:
    captured = capsys.readouterr()
    assert code == 2, captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    for needle in needles:
        assert needle in captured.err, captured.err
    return captured.err


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_output_folder_under_a_file_is_refused_before_any_work(command, tmp_path, capsys):
    (tmp_path / "a_file").write_text("x")
    out = tmp_path / "a_file" / "results"
    code = main([*COMMANDS[command], "--out", str(out), *TINY])
    _one_line_exit_2(code, capsys, "is a file, not a folder")
    assert (tmp_path / "a_file").read_text() == "x"


@pytest.mark.parametrize("name", ["../../x", "", "a\x00b", ".hidden", "a/b"])
def test_a_scenario_name_cannot_become_a_path(name, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "odd.yaml"
    path.write_text(yaml.safe_dump({"extends": str(CONFIGS / "current.yaml"), "name": name}))
    code = main(["run", str(path), *TINY])
    _one_line_exit_2(code, capsys, "name")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.yaml"], "something was written"


def test_a_folder_of_other_files_is_not_replaced(tmp_path, capsys, monkeypatch):
    (tmp_path / "notes.txt").write_text("mine")
    code = main([*COMMANDS["run"], "--out", str(tmp_path), *TINY])
    _one_line_exit_2(code, capsys, "holds other files but no results")
    monkeypatch.chdir(tmp_path / "..")
    code = main([*COMMANDS["run"], "--out", ".", *TINY])
    _one_line_exit_2(code, capsys, "current folder")
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_new_run_replaces_the_whole_folder(tmp_path):
    """No stale file of an earlier run (an event log, a file in the way) stays beside new results."""
    out = tmp_path / "results" / "current"
    assert main([*COMMANDS["run"], "--out", str(out), "--events", *TINY]) == 0
    assert (out / "events").is_dir()
    (out / "summary.csv").unlink()
    (out / "summary.csv").mkdir()  # something in the way where a file is published
    (out / "stale.txt").write_text("old")
    assert main([*COMMANDS["run"], "--out", str(out), *TINY]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["kpis.csv", "manifest.json", "summary.csv"]
    assert len(pd.read_csv(out / "summary.csv")) == 1
    assert not list(out.parent.glob(".current-p*")), "staging or previous folders left"


def test_a_second_run_into_a_locked_folder_is_refused_politely(tmp_path, capsys):
    out = tmp_path / "results" / "current"
    lock = FolderLock(out)
    out.parent.mkdir(parents=True)
    lock.acquire()  # a run under way
    try:
        code = main([*COMMANDS["run"], "--out", str(out), *TINY])
        _one_line_exit_2(code, capsys, "another run", "is writing to this folder")
        assert not out.exists()
    finally:
        lock.release()
    assert main([*COMMANDS["run"], "--out", str(out), *TINY]) == 0


def test_staging_folders_of_dead_runs_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "results" / "current"
    out.parent.mkdir(parents=True)
    dead = out.parent / ".current-partial-abc123"
    dead.mkdir()
    (dead / "summary.csv").write_text("half")
    assert main([*COMMANDS["run"], "--out", str(out), *TINY]) == 0
    assert not dead.exists()


def test_a_run_killed_between_the_two_renames_of_a_swap_gets_its_old_folder_back(tmp_path):
    out = tmp_path / "current"
    with ResultWriter(out) as writer:
        writer.json("manifest.json", {"run": 1})
        writer.commit()
    (tmp_path / ".current-previous-123-x").mkdir()
    out.rename(tmp_path / ".current-previous-123-x" / "gone")  # make room for the simulated crash
    (tmp_path / ".current-previous-123-x" / "gone").rename(tmp_path / ".current-previous-999-y")
    with ResultWriter(out):
        assert json.loads((out / "manifest.json").read_text()) == {"run": 1}


def test_two_scenarios_into_one_folder_each_resume_their_own_replications(tmp_path, capsys):
    """A finished run used to delete the whole checkpoint folder, other scenarios' replications too."""
    out = tmp_path / "shared"
    small = dict(days=3, warmup_days=1)
    current = apply_overrides(load_config(CONFIGS / "current.yaml"), **small)
    redesign = apply_overrides(load_config(CONFIGS / "redesign.yaml"), **small)
    # two interrupted runs into the same folder: 3 replications of one kept, 2 of the other
    folder = CheckpointFolder(out)
    run_replications(apply_overrides(current, replications=3), progress=False, checkpoint=folder.for_scenario(current))
    run_replications(
        apply_overrides(redesign, replications=2), progress=False, checkpoint=folder.for_scenario(redesign)
    )
    # a one-replication run of a third scenario into the same folder succeeds...
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({"extends": str(CONFIGS / "current.yaml"), "name": "other", "run": {"seed": 7}}))
    assert main(["run", str(other), "--out", str(out), *TINY]) == 0
    capsys.readouterr()
    # ...and each scenario still resumes its own
    argv = ["--days", "3", "--warmup-days", "1", "--out", str(out)]
    assert main(["run", str(CONFIGS / "current.yaml"), "--reps", "4", *argv]) == 0
    assert "reused 3 replication(s)" in capsys.readouterr().err
    assert main(["run", str(CONFIGS / "redesign.yaml"), "--reps", "3", *argv]) == 0
    assert "reused 2 replication(s)" in capsys.readouterr().err
    assert not CheckpointFolder(out).path.exists(), "emptied checkpoint folder left behind"


def test_event_logs_are_streamed_to_one_part_per_replication(small_current, tmp_path):
    results = run_replications(small_current, events=True, progress=False, events_dir=tmp_path)
    assert all(r.events is None for r in results), "event logs kept in memory"
    parts = sorted(p.name for p in tmp_path.iterdir())
    assert parts == [f"rep_{r:04d}.parquet" for r in range(small_current.run.replications)]
    events = pd.read_parquet(tmp_path)
    assert set(events["replication"]) == set(range(small_current.run.replications))
