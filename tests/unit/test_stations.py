import numpy as np
import simpy

from sim.model.stations import Station


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
