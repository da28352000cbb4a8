import numpy as np
import pytest

from sim.inputs.config import CarveOut, SlotDiary
from sim.model.slots import NHS111_POOL, OVERFLOW_POOL, SlotBook, pool_of_slots, slots_by_hour


def _spec(n=4, start=8, end=10, lead=30, hour_weights=None, carve_out=None):
    return SlotDiary(
        slots_per_day=[n] * 7 if isinstance(n, int) else n,
        session_start_hour=start,
        session_end_hour=end,
        appointment_min=10,
        booking_lead_min=lead,
        hour_weights=hour_weights,
        carve_out=carve_out,
    )


def _diary(n=4, start=8, end=10, lead=30, days=2, weekday=0, **kw):
    return SlotBook(_spec(n, start, end, lead, **kw), days, weekday, "test")


def test_slots_spread_evenly_over_session():
    book = _diary(n=4)
    assert book.day_times[0] == [480.0, 510.0, 540.0, 570.0]
    assert book.day_times[1][0] == 1440 + 480.0


def test_books_earliest_free_slot_after_lead():
    book = _diary(n=4)
    assert book.book(470.0) == 510.0  # 480 is too soon (470 + 30 = 500)
    assert book.book(470.0) == 540.0  # next free one
    assert book.book(475.0) == 570.0
    assert book.book(476.0) is None  # none left today
    assert book.book(1440 + 400.0) == 1440 + 480.0  # tomorrow is a new day


def test_never_overbooks_and_never_books_the_past():
    book = _diary(n=6, lead=0)
    got = [book.book(t) for t in (480.0, 480.0, 500.0, 600.0, 600.0, 600.0)]
    booked = [g for g in got if g is not None]
    assert len(booked) == len(set(booked))
    assert got[:3] == [480.0, 500.0, 520.0]
    assert got[3] is None  # 600 is after the last slot (580)
    assert int(book.booked_flags().sum()) == 3


def test_booking_is_same_day_only():
    book = _diary(n=2, start=22, end=24, lead=120)
    assert book.book(23 * 60.0) is None  # would need a slot tomorrow


def test_is_open_means_slots_ran_out_not_closed():
    book = _diary(n=1, lead=30)
    assert book.is_open(400.0)
    assert book.book(400.0) == 480.0
    assert book.is_open(400.0)  # still open, just full
    assert not book.is_open(470.0)  # last slot (480) cannot be reached in time
    closed = _diary(n=[0] * 7)
    assert not closed.is_open(400.0)
    assert closed.book(400.0) is None


def test_weekday_capacity_follows_start_weekday():
    book = _diary(n=[1, 1, 1, 1, 1, 1, 5], days=2, weekday=6)  # day 0 is Sunday
    assert len(book.day_times[0]) == 5 and len(book.day_times[1]) == 1


@pytest.mark.parametrize("n", [1, 3, 30])
def test_slot_count_per_day(n):
    assert len(_diary(n=n, start=8, end=20).day_times[0]) == n


# ----------------------------------------------------------- slots by hour --
def _weights(**by_hour):
    w = [0.0] * 24
    for key, value in by_hour.items():
        w[int(key[1:])] = value
    return w


def test_hour_weights_place_the_slots_hour_by_hour():
    # 6 slots over 08:00-11:00 weighted 1:2:3 -> 1 at 08:00, 2 in 09:00, 3 in 10:00
    book = _diary(n=6, start=8, end=11, hour_weights=_weights(h8=1, h9=2, h10=3))
    assert book.day_times[0] == [480.0, 540.0, 570.0, 600.0, 620.0, 640.0]


def test_hour_weights_round_to_whole_slots_by_largest_remainder():
    # 5 slots, three equal hours: quotas 1.67 each -> 1, 1, 1 and the two spare slots to the earliest hours
    assert slots_by_hour(5, np.array(_weights(h8=1, h9=1, h10=1))).tolist()[8:11] == [2, 2, 1]
    # 7 slots weighted 1:2:4 -> exactly 1, 2, 4
    assert slots_by_hour(7, np.array(_weights(h8=1, h9=2, h10=4))).tolist()[8:11] == [1, 2, 4]
    assert slots_by_hour(60, np.linspace(0.0, 3.0, 24)).sum() == 60


def test_hour_weights_keep_to_the_part_of_an_hour_inside_the_session():
    # session 08:30-10:00: the 08:00 hour offers only 08:30-09:00
    book = _diary(n=4, start=8.5, end=10, hour_weights=_weights(h8=1, h9=1))
    assert book.day_times[0] == [510.0, 525.0, 540.0, 570.0]


def test_hour_weights_by_weekday():
    monday, tuesday = _weights(h8=1), _weights(h9=1)
    book = _diary(n=2, start=8, end=10, days=2, hour_weights=[monday, tuesday] + [monday] * 5)
    assert book.day_times[0] == [480.0, 510.0]
    assert book.day_times[1] == [1440 + 540.0, 1440 + 570.0]


def test_hour_weights_are_checked_against_the_session():
    with pytest.raises(ValueError, match="21:00 lies outside the session 8-20"):
        _spec(n=4, start=8, end=20, hour_weights=_weights(h21=1))
    with pytest.raises(ValueError, match="all zero on Mon"):
        _spec(n=[3, 0, 0, 0, 0, 0, 0], start=8, end=20, hour_weights=[[0.0] * 24] + [_weights(h9=1)] * 6)
    _spec(n=[0, 3, 3, 3, 3, 3, 3], start=8, end=20, hour_weights=[[0.0] * 24] + [_weights(h9=1)] * 6)  # no slots Monday


# -------------------------------------------------------- next-day booking --
def test_next_day_booking_takes_tomorrows_earliest_free_slot():
    book = _diary(n=4, start=8, end=10, days=2)  # 08:00, 08:30, 09:00, 09:30 each day
    assert book.book(600.0) is None  # 10:00: after today's last slot
    assert book.book_next_day(600.0) == 1440 + 480.0
    assert book.book_next_day(600.0) == 1440 + 510.0
    assert book.book(1440 + 400.0) == 1440 + 540.0  # tomorrow's own bookings come after them
    assert book.book_next_day(1440 + 600.0) is None  # the run ends


# -------------------------------------------------------------- carve-out --
def test_pool_of_slots_interleaves_the_share():
    assert pool_of_slots(5, 0.4) == [False, True, False, True, False]
    assert sum(pool_of_slots(60, 0.25)) == 15
    assert sum(pool_of_slots(5, 0.5)) == 3  # 2.5 rounds up
    assert not any(pool_of_slots(5, 0.0)) and all(pool_of_slots(5, 1.0))


def test_carved_out_diary_books_each_pool_separately():
    # 5 slots 08:00-10:00 every 24 min: 480, 504, 528, 552, 576; 40% (2) for NHS 111
    book = _diary(n=5, start=8, end=10, carve_out=CarveOut(nhs111=0.4))
    assert book.book(400.0, NHS111_POOL, who=1) == 504.0
    assert book.book(400.0, NHS111_POOL, who=2) == 552.0
    assert book.book(400.0, NHS111_POOL, who=3) is None  # 111's share is full...
    assert book.is_open(400.0, NHS111_POOL)
    assert book.book(400.0, OVERFLOW_POOL, who=4) == 480.0  # ...while the overflow share is not
    assert sorted(book.slot_times()[book.booked_flags()].tolist()) == [480.0, 504.0, 552.0]
    # patient 3 was refused while an overflow slot stood unused, but none of 111's own: not counted
    assert book.refused_while_unused() == 0


def test_refused_while_unused_counts_patients_refused_on_a_day_with_spare_slots():
    book = _diary(n=4, start=8, end=10, days=2)  # 08:00, 08:30, 09:00, 09:30
    assert book.book(520.0, who=1) == 570.0  # 08:40 + 30 -> 09:30; 08:00-09:00 left unused
    assert book.book(530.0, who=2) is None
    assert book.book(530.0, who=2) is None  # the same patient twice counts once
    assert book.book(700.0, who=3) is None
    assert book.refused_while_unused() == 2
    for t in (1440 + 400.0,) * 4:  # day 1: every slot booked
        book.book(t)
    assert book.book(1440 + 700.0, who=4) is None
    assert book.refused_while_unused() == 2
    assert book.refused_while_unused(first_day=1) == 0
