"""The replication runner counts its progress itself; a bar (tqdm) is made only when one is drawn."""

from __future__ import annotations

from sim.experiments.executors import Executor
from sim.experiments.replication import ReplicationResult
from sim.experiments.runner import ReplicationRunner


class _Instant(Executor):
    """Finishes every call at once with an empty result, without simulating."""

    def run(self, fn, calls, finished):
        for i, (_cfg, replication, *_rest) in enumerate(calls):
            finished(i, ReplicationResult(replication=replication, kpis={}))


def test_progress_is_reported_without_a_bar(small_current):
    seen = []
    runner = ReplicationRunner(_Instant(), progress=False, on_progress=lambda done, total: seen.append((done, total)))
    runner.add("a", small_current)
    runner.add("b", small_current)
    runner.run({"a": 2, "b": 1})
    assert runner._bar is None  # no tqdm for a run that draws no bar
    assert seen == [(1, 3), (2, 3), (3, 3)]
    runner.run({"a": 3})
    assert seen[-1] == (4, 4)
    assert [r.replication for r in runner.results("a")] == [0, 1, 2]
    runner.close()


def test_no_bar_off_a_terminal(small_current, capsys):
    """progress=True asks for a bar, but stderr captured by pytest is not a terminal: none is drawn."""
    with ReplicationRunner(_Instant(), progress=True) as runner:
        runner.add("a", small_current)
        runner.run({"a": 1})
        assert runner._bar is None
    assert capsys.readouterr().err == ""
