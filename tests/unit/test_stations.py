import numpy as np
import simpy

from sim.model.stations import ImpatientStation, Station


def _run(rota, jobs, start_weekday=0):
    """Patients (arrival, duration) through a station; returns start times."""
    env = simpy.Environment()
    st = Station(env, np.asarray(rota), start_weekday, "test")
    starts = {}

    def patient(i, t, d):
        yield env.timeout(t)
        req = st.request()
        if req is not None:
            yield req
        starts[i] = env.now
        yield env.timeout(d)
        st.release()

    for i, (t, d) in enumerate(jobs):
        env.process(patient(i, t, d))
    env.run(until=30 * 1440)  # a rota keeps the clock going forever
    return [starts[i] for i in range(len(jobs))], st


def test_fifo_single_server_by_hand():
    starts, st = _run([1] * 168, [(0, 10), (1, 10), (2, 5)])
    assert starts == [0, 10, 20]
    assert st.served == 3


def test_two_servers():
    starts, _ = _run([2] * 168, [(0, 10), (0, 10), (1, 10), (2, 1)])
    assert starts == [0, 0, 10, 10]


def test_rota_opens_and_closes():
    rota = [0] * 168
    rota[1] = 1  # one server 01:00-02:00 on Monday only
    starts, _ = _run(rota, [(0, 30), (10, 50), (20, 5)])
    # first two start at 60 and 90; the third waits a week for the next shift
    assert starts[:2] == [60, 90]
    assert starts[2] == 7 * 1440 + 60
    # the second patient is finished past 02:00 (no pre-emption) but no one starts after it


def test_queue_cost_does_not_depend_on_order_of_priority():
    # 2000 patients at once through one server: FIFO order is kept exactly
    jobs = [(0, 1)] * 2000
    starts, _ = _run([1] * 168, jobs)
    assert starts == list(range(2000))


def _capacity_each_hour(rota, start_weekday, hours):
    """The station's number on duty at the middle of each hour, as the model sees it."""
    env = simpy.Environment()
    st = Station(env, np.asarray(rota), start_weekday, "test")
    seen = []

    def look():
        yield env.timeout(30)
        for _ in range(hours):
            seen.append(st.capacity)
            yield env.timeout(60)

    env.process(look())
    env.run(until=hours * 60)
    return seen


def test_rota_is_followed_hour_by_hour_though_woken_only_at_changes():
    rng = np.random.default_rng(7)
    rota = rng.integers(0, 3, 168)
    rota[30:60] = 2  # a long stretch without change
    hours = 3 * 168
    assert _capacity_each_hour(rota, 2, hours) == [int(rota[(h + 48) % 168]) for h in range(hours)]
    # a pattern of day types: day 1 runs as a Sunday, and after the last day its type holds
    day_types = np.array([0, 6, 2])
    expected = [int(rota[day_types[min(h // 24, 2)] * 24 + h % 24]) for h in range(6 * 24)]
    assert _capacity_each_hour(rota, day_types, 6 * 24) == expected


def test_next_change_finds_the_next_different_hour_or_none():
    env = simpy.Environment()
    rota = np.ones(168, dtype=int)
    rota[24 + 9] = 3  # Tuesday 09:00-10:00
    st = Station(env, rota, 0, "test")
    assert st.next_change(0) == 33 and st.next_change(33) == 34 and st.next_change(34) == 33 + 168
    # a day-type pattern that ends on Mondays: nothing changes after Tuesday 10:00 of day 1
    st = Station(env, rota, np.array([0, 1, 0]), "test")
    assert st.next_change(34) is None


def test_a_queued_patient_starts_in_the_instant_the_server_frees():
    env = simpy.Environment()
    st = ImpatientStation(env, np.ones(168, dtype=int), 0, "test")
    events = []

    def patient(name, arrive, service, deadline):
        yield env.timeout(arrive)
        ticket = st.request(deadline, name)
        if ticket is not None:
            taken = yield ticket
            events.append((name, "taken" if taken else "left", env.now))
            if not taken:
                return
        else:
            events.append((name, "taken", env.now))
        yield env.timeout(service)
        st.release()

    env.process(patient("a", 0, 10, float("inf")))
    env.process(patient("b", 1, 5, 5))  # gives up at 5, found out when a finishes at 10
    env.process(patient("c", 2, 5, float("inf")))
    env.run(until=100)
    assert events == [("a", "taken", 0), ("b", "left", 10), ("c", "taken", 10)]
    assert st.left == 1 and st.served == 2 and not st.queue
