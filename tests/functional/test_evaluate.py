"""evaluate: designs in, a tidy KPI table out, on common random numbers, reusing kept replications."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiments.evaluate import evaluate
from sim.experiments.runner import run_replications, summary_table
from sim.experiments.store import SessionStore
from sim.inputs.config import ConfigError

from ..conftest import tweak


@pytest.fixture(scope="module")
def tiny(current_cfg):
    return tweak(current_cfg, run__days=7, run__warmup_days=1, run__replications=5)


def test_a_design_equal_to_the_base_gives_the_plain_run(tiny):
    same = {"patients.sda_eligible": tiny.patients.sda_eligible}
    table = evaluate(tiny, [{}, same], 2, progress=False)
    assert list(table.columns[:2]) == ["design", "replication"]
    assert table[["design", "replication"]].values.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    plain = summary_table(run_replications(tweak(tiny, run__replications=2), progress=False))
    for design in (0, 1):
        rows = table[table["design"] == design].drop(columns="design").reset_index(drop=True)
        pd.testing.assert_frame_equal(rows[plain.columns], plain)


def test_designs_share_the_patients_and_kept_replications_are_reused(tiny):
    store = SessionStore()
    designs = [{"slot_diaries.gpcg_sda.slots_per_day": 10}, {"slot_diaries.gpcg_sda.slots_per_day": 60}]
    table = evaluate(tiny, designs, 2, store=store, progress=False).set_index(["design", "replication"])
    # common random numbers: the same walk-ins arrive whatever the SDA capacity
    assert (table.loc[0, "arrivals_per_day"] == table.loc[1, "arrivals_per_day"]).all()
    fewer = table.loc[0, "sda_redirections_front_door_per_day"].sum()
    assert fewer < table.loc[1, "sda_redirections_front_door_per_day"].sum()
    assert len(store.data) == 4
    marked = next(iter(store.data.values()))
    marked.kpis["arrivals_per_day"] = -1.0  # a kept replication is read, not rerun
    again = evaluate(tiny, designs, 2, store=store, progress=False)
    assert (again["arrivals_per_day"] == -1.0).sum() == 1


@pytest.mark.parametrize(
    "design, words",
    [
        ({"run.seed": 3}, "evaluate: design 0: run.seed: run settings are the base's"),
        ({"patients.sda_eligible": 2.0}, "evaluate: design 0: patients.sda_eligible = 2.0"),
        ({"patients.nope": 1}, "evaluate: design 0: patients.nope: no such parameter"),
    ],
)
def test_a_bad_design_is_one_line(tiny, design, words):
    with pytest.raises(ConfigError, match=words) as err:
        evaluate(tiny, [design], 1, progress=False)
    assert "\n" not in str(err.value)


def test_compare_takes_any_number_of_named_scenarios(tiny):
    from sim.experiments.evaluate import compare

    more = tweak(tiny, slot_diaries__gpcg_sda__slots_per_day=[60] * 7, run__seed=99)  # run settings: the baseline's
    table, tables = compare(tiny, {"same": tiny, "more SDA": more, "again": tiny}, replications=2, progress=False)
    assert list(tables) == ["baseline", "same", "more SDA", "again"]
    assert list(dict.fromkeys(table["scenario"])) == ["same", "more SDA", "again"]
    by = table.set_index(["scenario", "kpi"])
    assert by.loc[("same", "cost_total_annual_gbp"), "diff_mean"] == 0.0  # the baseline's own replications
    assert by.loc[("more SDA", "arrivals_per_day"), "diff_mean"] == 0.0  # paired: same patients, seed kept
    assert by.loc[("more SDA", "sda_redirections_front_door_per_day"), "diff_mean"] > 0
    with pytest.raises(ConfigError, match="'baseline' names the baseline"):
        compare(tiny, {"baseline": tiny})


def test_serial_and_parallel_give_the_same_table_and_disk_checkpoints_are_reused(tiny, tmp_path):
    from sim.experiments.checkpoint import CheckpointFolder

    designs = [{}, {"patients.accepts_redirection": 0.3}]
    serial = evaluate(tiny, designs, 2, progress=False)
    folder = CheckpointFolder(tmp_path / "out")
    parallel = evaluate(tiny, designs, 2, jobs=2, store=folder, progress=False)
    pd.testing.assert_frame_equal(serial, parallel, check_exact=True)
    again = CheckpointFolder(tmp_path / "out")
    pd.testing.assert_frame_equal(evaluate(tiny, designs, 2, store=again, progress=False), serial, check_exact=True)
    assert again.resumed() == 4  # every replication came from the disk
