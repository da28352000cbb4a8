import pytest

from sim.inputs.config import SlotDiary
from sim.model.slots import SlotBook


def _diary(n=4, start=8, end=10, lead=30, days=2, weekday=0, **kw):
    spec = SlotDiary(slots_per_day=[n] * 7 if isinstance(n, int) else n, session_start_hour=start,
                     session_end_hour=end, appointment_min=10, booking_lead_min=lead, **kw)
    return SlotBook(spec, days, weekday, "test")


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
