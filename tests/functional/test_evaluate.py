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


@pytest.mark.parametrize("design, words", [
    ({"run.seed": 3}, "evaluate: design 0: run.seed: run settings are the base's"),
    ({"patients.sda_eligible": 2.0}, "evaluate: design 0: patients.sda_eligible = 2.0"),
    ({"patients.nope": 1}, "evaluate: design 0: patients.nope: no such parameter"),
])
def test_a_bad_design_is_one_line(tiny, design, words):
    with pytest.raises(ConfigError, match=words) as err:
        evaluate(tiny, [design], 1, progress=False)
    assert "\n" not in str(err.value)
