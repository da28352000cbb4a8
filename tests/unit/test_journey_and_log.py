"""The model's own process driver (Journey) and its event log's columns."""

import gc
import weakref

import numpy as np
import simpy

from sim.model.eventlog import TIME_COLUMNS, EventLog
from sim.model.pathway import Journey


def _trace(start):
    """Times and values a journey sees, started with ``start`` (``env.process`` or ``Journey``)."""
    env = simpy.Environment()
    seen = []
    done = env.event()

    def journey(name, wait):
        seen.append((name, "start", env.now))
        value = yield env.timeout(wait, value=name.upper())
        seen.append((name, value, env.now))
        if name == "b":
            done.succeed("done")
        yield env.timeout(1)
        seen.append((name, (yield done), env.now))  # "a" waits for it; "c" yields it once processed

    def later():
        yield env.timeout(5)
        start(env, journey("c", 0.5))

    start(env, journey("a", 3))
    start(env, journey("b", 2))
    start(env, later())
    env.run()
    return seen


def test_a_journey_sees_what_a_simpy_process_sees():
    assert _trace(lambda env, g: Journey(g)) == _trace(lambda env, g: env.process(g))
    assert ("c", "done", 6.5) in _trace(lambda env, g: Journey(g))


def test_a_finished_journey_is_freed_without_the_garbage_collector():
    env = simpy.Environment()

    def journey():
        yield env.timeout(1)

    collecting = gc.isenabled()
    gc.disable()
    try:
        generator = journey()
        ref = weakref.ref(generator)
        Journey(generator)
        del generator
        assert ref() is not None  # the journey waits for its timeout
        env.run()
        assert ref() is None
    finally:
        if collecting:
            gc.enable()


def test_the_event_log_becomes_numpy_arrays_at_the_end_of_the_run():
    log = EventLog(3)
    log.door_arrival[1] = 12.5
    log.activities[2] |= 4
    log.outcome[0] = 3
    log.sda_no_slot[1] |= True
    log.close()
    for name in TIME_COLUMNS:
        assert isinstance(getattr(log, name), np.ndarray) and getattr(log, name).dtype == np.float64
    assert np.array_equal(log.door_arrival, [np.nan, 12.5, np.nan], equal_nan=True)
    assert log.activities.dtype == np.int32 and log.activities.tolist() == [0, 0, 4]
    assert log.outcome.dtype == np.int8 and log.outcome.tolist() == [3, 0, 0]
    assert log.sda_no_slot.dtype == bool and log.sda_no_slot.tolist() == [False, True, False]
