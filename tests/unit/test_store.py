"""The results store's key and session store, and the executor scope."""

from __future__ import annotations

import pytest

from sim.experiments import store as store_module
from sim.experiments.checkpoint import scenario_key
from sim.experiments.executors import SerialExecutor, executor_scope
from sim.experiments.runner import ReplicationResult
from sim.experiments.store import SessionStore, replication_key

from ..conftest import tweak


class Watched(SerialExecutor):
    closed = False

    def close(self) -> None:
        self.closed = True


def test_an_executor_given_is_left_open_and_one_made_is_closed(monkeypatch):
    given = Watched()
    with executor_scope(given) as ex:
        assert ex is given
    assert not given.closed
    made = Watched()
    monkeypatch.setattr("sim.experiments.executors.make_executor", lambda jobs: made)
    with pytest.raises(RuntimeError), executor_scope(None, jobs=3) as ex:
        assert ex is made
        raise RuntimeError("a replication failed")
    assert made.closed  # closed on an error too


def test_the_disk_and_the_session_share_one_key(current_cfg):
    assert scenario_key(current_cfg, "code") == replication_key(current_cfg, "code")
    assert replication_key(current_cfg) != replication_key(current_cfg, "code")
    assert replication_key(tweak(current_cfg, run__seed=1)) != replication_key(current_cfg)


def test_a_session_keeps_replications_by_config_and_drops_the_oldest(current_cfg, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_STORED", 3)
    session = SessionStore({})
    kept = session.for_scenario(current_cfg)
    for rep in range(4):
        kept.save(ReplicationResult(rep, {"x": float(rep)}))
    assert sorted(kept.load([0, 1, 2, 3])) == [1, 2, 3]
    more = tweak(current_cfg, run__replications=4, name="renamed")
    assert session.missing(more) == [0]
    assert session.missing(tweak(current_cfg, run__seed=5)) == list(range(current_cfg.run.replications))
    # a store that must give the SDA slot use does not count a replication kept without it
    assert SessionStore(session.data, slot_use=True).for_scenario(current_cfg).load([1]) == {}
