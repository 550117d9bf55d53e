"""Ferry timetables: when the next boat leaves and how long a vehicle waits for it.

A :class:`FerrySchedule` is either *evenly spaced* (``departures_per_day`` sailings,
the first at ``first_departure_min`` minutes after local midnight, one every
``24 h / departures_per_day``) or an explicit *timetable* of departure minutes after
local midnight, repeated every day. Times are local to ``timezone`` (both Bakauheni
and Merak are on WIB, ``Asia/Jakarta``). A vehicle arriving exactly at a departure
time catches it (wait 0).

Everything here is pure: no database, no graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DAY_S", "FerrySchedule", "next_departure", "wait_seconds"]

DAY_S = 86_400.0
_EPS_S = 1e-6


@dataclass(frozen=True)
class FerrySchedule:
    """When a ferry link's boats leave, in local time.

    Attributes
    ----------
    departures_per_day
        Sailings per direction in 24 hours (>= 1); used when ``timetable`` is empty.
    first_departure_min
        Minutes after local midnight of the first evenly spaced sailing (0 .. 1439).
    timetable
        Explicit departure minutes after local midnight (0 .. 1439.99); overrides the
        even spacing when given.
    timezone
        IANA zone of the timetable.
    """

    departures_per_day: int
    first_departure_min: float = 0.0
    timetable: tuple[float, ...] = ()
    timezone: str = "Asia/Jakarta"

    def __post_init__(self) -> None:
        """Validate the values."""
        if int(self.departures_per_day) < 1 and not self.timetable:
            msg = "departures_per_day must be >= 1"
            raise ValueError(msg)
        if not 0.0 <= self.first_departure_min < 1440.0:
            msg = "first_departure_min must be in [0, 1440)"
            raise ValueError(msg)
        if any(not 0.0 <= m < 1440.0 for m in self.timetable):
            msg = "timetable minutes must be in [0, 1440)"
            raise ValueError(msg)
        ZoneInfo(self.timezone)  # raises for an unknown zone

    @property
    def headway_s(self) -> float:
        """Seconds between evenly spaced sailings."""
        return DAY_S / int(self.departures_per_day)

    def departure_offsets_s(self) -> list[float]:
        """Departure times of one day, in seconds after local midnight, sorted."""
        if self.timetable:
            return sorted(m * 60.0 for m in self.timetable)
        first = (self.first_departure_min * 60.0) % self.headway_s
        return [first + i * self.headway_s for i in range(int(self.departures_per_day))]


def _aware(when: datetime, zone: ZoneInfo) -> datetime:
    if when.tzinfo is None:
        msg = "arrival time must be timezone-aware"
        raise ValueError(msg)
    return when.astimezone(zone)


def next_departure(schedule: FerrySchedule, arrival: datetime) -> datetime:
    """Return the first sailing at or after ``arrival``.

    Parameters
    ----------
    schedule
        The link's timetable.
    arrival
        When the vehicle is at the port, ready to board (timezone-aware).

    Returns
    -------
    datetime
        The departure, in the schedule's time zone.
    """
    zone = ZoneInfo(schedule.timezone)
    local = _aware(arrival, zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    since = (local - midnight).total_seconds()
    if schedule.timetable:
        offsets = schedule.departure_offsets_s()
        later = [s for s in offsets if s >= since - _EPS_S]
        offset = later[0] if later else DAY_S + offsets[0]
    else:
        head = schedule.headway_s
        first = (schedule.first_departure_min * 60.0) % head
        k = math.ceil((since - first - _EPS_S) / head)
        offset = first + k * head
    # Wall-clock arithmetic within the zone (WIB has no daylight saving).
    return midnight + timedelta(seconds=offset)


def wait_seconds(schedule: FerrySchedule, arrival: datetime) -> float:
    """Seconds from ``arrival`` at the port until the next sailing (0 if one leaves now)."""
    wait = next_departure(schedule, arrival) - _aware(arrival, ZoneInfo(schedule.timezone))
    return max(0.0, wait.total_seconds())
