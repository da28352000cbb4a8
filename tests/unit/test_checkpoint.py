"""The checkpoint store: lossless round trips and a key that changes with every result-bearing field."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sim.experiments.checkpoint import Checkpoint, CheckpointFolder, code_fingerprint, scenario_key
from sim.experiments.runner import ReplicationResult, run_one

from ..conftest import tweak

FP = "fingerprint"


@pytest.fixture()
def tiny(current_cfg):
    return tweak(current_cfg, run__days=3, run__warmup_days=1, run__replications=2)


def test_kpis_and_events_round_trip_exactly(tiny, tmp_path):
    result = run_one(tiny, 1, events=True)
    result.kpis["a_nan_kpi"] = float("nan")
    store = Checkpoint(tmp_path, tiny, events=True, fingerprint=FP)
    store.save(result)
    back = Checkpoint(tmp_path, tiny, events=True, fingerprint=FP).load([0, 1])
    assert list(back) == [1]
    got = back[1]
    assert got.kpis.keys() == result.kpis.keys()
    for key, value in result.kpis.items():
        assert got.kpis[key] == value or (math.isnan(value) and math.isnan(got.kpis[key])), key
        assert type(got.kpis[key]) is type(value), key
    pd.testing.assert_frame_equal(got.events, result.events)


def test_a_replication_without_its_event_log_does_not_count_when_events_are_wanted(tiny, tmp_path):
    Checkpoint(tmp_path, tiny, events=False, fingerprint=FP).save(ReplicationResult(0, {"x": 1.0}))
    assert Checkpoint(tmp_path, tiny, events=True, fingerprint=FP).load([0]) == {}
    assert list(Checkpoint(tmp_path, tiny, events=False, fingerprint=FP).load([0])) == [0]


def test_an_unreadable_file_means_run_it_again(tiny, tmp_path):
    store = Checkpoint(tmp_path, tiny, events=False, fingerprint=FP)
    store.save(ReplicationResult(0, {"x": 1.0}))
    store.save(ReplicationResult(1, {"x": 2.0}))
    (store.path / "rep-00001.json").write_text("{not json", encoding="utf-8")
    assert list(store.load([0, 1])) == [0]
    assert store.resumed == 1


def test_save_leaves_no_temporary_files(tiny, tmp_path):
    store = Checkpoint(tmp_path, tiny, events=True, fingerprint=FP)
    store.save(run_one(tiny, 0, events=True))
    assert sorted(p.name for p in store.path.iterdir()) == ["rep-00000-events.parquet", "rep-00000.json"]


def test_key_ignores_name_description_and_replication_count(tiny):
    key = scenario_key(tiny, FP)
    assert scenario_key(tweak(tiny, run__replications=40), FP) == key
    assert scenario_key(tiny.model_copy(update={"name": "other", "description": "x"}), FP) == key


@pytest.mark.parametrize(
    "change",
    [
        {"run__seed": 7},
        {"run__days": 4},
        {"run__warmup_days": 2},
        {"utc__triage_redirect_probability": 0.25},
        {"changes__x8_ia_nurse_redirects": True},
    ],
    ids=lambda c: next(iter(c)),
)
def test_key_changes_with_anything_that_changes_results(tiny, change):
    assert scenario_key(tweak(tiny, **change), FP) != scenario_key(tiny, FP)


def test_key_changes_with_the_code(tiny):
    assert scenario_key(tiny, "a") != scenario_key(tiny, "b")
    assert code_fingerprint() == code_fingerprint()


def test_folder_counts_removes_and_refuses_to_resume_when_asked(tiny, tmp_path):
    out = tmp_path / "results" / "current"
    folder = CheckpointFolder(out)
    assert folder.path == out.parent / ".current-checkpoint"
    assert folder.kept() == 0
    folder.for_scenario(tiny).save(ReplicationResult(0, {"x": 1.0}))
    folder.for_scenario(tweak(tiny, run__seed=9)).save(ReplicationResult(0, {"x": 1.0}))
    assert folder.kept() == 2
    assert CheckpointFolder(out, resume=True).kept() == 2
    # --no-resume discards what this command's scenario kept, not another scenario's
    fresh = CheckpointFolder(out, resume=False)
    assert fresh.for_scenario(tiny).load([0]) == {}
    assert fresh.kept() == 1
    fresh.remove()
    assert folder.kept() == 1
    other = CheckpointFolder(out)
    other.for_scenario(tweak(tiny, run__seed=9))
    other.remove()
    assert not folder.path.exists()


def test_a_finished_run_removes_only_its_own_scenarios_replications(tiny, tmp_path):
    """A one-replication run used to wipe another scenario's seven kept replications."""
    out = tmp_path / "results" / "shared"
    first = CheckpointFolder(out).for_scenario(tiny)
    for rep in range(7):
        first.save(ReplicationResult(rep, {"x": float(rep)}))
    second = CheckpointFolder(out)
    second.for_scenario(tweak(tiny, run__seed=9)).save(ReplicationResult(0, {"x": 1.0}))
    second.remove()
    again = CheckpointFolder(out)
    assert sorted(again.for_scenario(tiny).load(list(range(7)))) == list(range(7))


def test_the_folder_sits_beside_the_resolved_output_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CheckpointFolder(".").path == tmp_path.parent / f".{tmp_path.name}-checkpoint"


def test_a_scenario_name_cannot_leave_the_folder(tiny, tmp_path):
    odd = tiny.model_copy(update={"name": "../../escape/x"})
    store = Checkpoint(tmp_path, odd, events=False, fingerprint=FP)
    assert store.path.parent == tmp_path


def test_only_replications_kept_before_the_command_count_as_resumed(tiny, tmp_path):
    folder = CheckpointFolder(tmp_path / "out")
    folder.for_scenario(tiny).save(ReplicationResult(0, {"x": 1.0}))
    # the same scenario met again within the same command (a repeated sweep point) is reused...
    assert list(folder.for_scenario(tiny).load([0])) == [0]
    # ...but it was not kept from an earlier run
    assert folder.resumed() == 0
    rerun = CheckpointFolder(tmp_path / "out")
    rerun.for_scenario(tiny).load([0, 1])
    assert rerun.resumed() == 1


@pytest.mark.parametrize(
    "module, kept",
    [
        ("outputs/report.py", True),
        ("app/pages.py", True),
        ("experiments/sweep.py", True),
        ("experiments/new_planner.py", True),
        ("cli.py", True),
        ("model/pathway.py", False),
        ("model/new_station.py", False),
        ("analysis/kpis.py", False),
        ("inputs/config.py", False),
        ("experiments/runner.py", False),
    ],
)
def test_the_fingerprint_names_what_a_replications_numbers_depend_on(tmp_path, monkeypatch, module, kept):
    """Editing (or adding) a module that arranges or shows runs keeps kept replications; the model's discards them."""
    import shutil

    import sim.experiments.checkpoint as checkpoint

    copy = tmp_path / "sim"
    shutil.copytree(checkpoint.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(checkpoint, "PACKAGE_DIR", copy)
    before = checkpoint.code_fingerprint()
    path = copy / module
    path.write_text((path.read_text() if path.exists() else "") + "\n# edited\n", encoding="utf-8")
    assert (checkpoint.code_fingerprint() == before) is kept
