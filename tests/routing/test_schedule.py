"""Ferry schedule: the wait at the port for a given arrival time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.schedule import FerrySchedule, next_departure, wait_seconds

WIB = ZoneInfo("Asia/Jakarta")
BKH = FerrySchedule(departures_per_day=27)  # headway 3200 s


def at(h: int, m: int = 0, s: int = 0, day: int = 2) -> datetime:
    return datetime(2026, 3, day, h, m, s, tzinfo=WIB)


def test_evenly_spaced_from_midnight():
    assert BKH.headway_s == 3200.0
    assert wait_seconds(BKH, at(0)) == 0.0  # a boat leaves at 00:00
    assert wait_seconds(BKH, at(0, 0, 1)) == pytest.approx(3199.0)
    assert wait_seconds(BKH, at(0, 53, 20)) == 0.0  # 3200 s after midnight
    assert next_departure(BKH, at(1)) == at(1, 46, 40)  # 2 x 3200 s


def test_wait_moves_with_the_arrival_as_the_schedule_says():
    base = at(10, 0)
    w0 = wait_seconds(BKH, base)
    for shift in (60.0, 600.0, 1500.0):
        w = wait_seconds(BKH, base + timedelta(seconds=shift))
        assert w == pytest.approx((w0 - shift) % BKH.headway_s, abs=1e-6)
    # a whole headway later the wait is the same again
    assert wait_seconds(BKH, base + timedelta(seconds=3200)) == pytest.approx(w0)
    assert all(0 <= wait_seconds(BKH, base + timedelta(minutes=k)) < 3200 for k in range(200))


def test_last_boat_of_the_day_then_the_first_of_the_next():
    last = at(0) + timedelta(seconds=26 * 3200)  # 23:06:40
    assert next_departure(BKH, last + timedelta(seconds=1)) == at(0, day=3)


def test_first_departure_offset_and_time_zones():
    sched = FerrySchedule(departures_per_day=24, first_departure_min=30)
    assert next_departure(sched, at(5, 10)) == at(5, 30)
    assert next_departure(sched, at(5, 40)) == at(6, 30)
    # the same instant given in UTC waits just as long
    utc = at(5, 10).astimezone(UTC)
    assert wait_seconds(sched, utc) == 20 * 60


def test_timetable_overrides_even_spacing():
    sched = FerrySchedule(departures_per_day=3, timetable=(360.0, 720.0, 1080.0))
    assert next_departure(sched, at(5)) == at(6)
    assert next_departure(sched, at(6)) == at(6)
    assert next_departure(sched, at(19)) == at(6, day=3)


def test_bad_schedules_and_naive_times_are_rejected():
    with pytest.raises(ValueError, match="departures_per_day"):
        FerrySchedule(departures_per_day=0)
    with pytest.raises(ValueError, match="first_departure_min"):
        FerrySchedule(departures_per_day=2, first_departure_min=1440)
    with pytest.raises(ValueError, match="timezone-aware"):
        wait_seconds(BKH, datetime(2026, 3, 2, 10))
