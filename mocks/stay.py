"""The EES 90/180-day calculator.

A short stay may not exceed 90 days in any 180-day period; the entry day and the exit
day both count. For a check on day D we count the days of stay in [D-179, D].
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

WINDOW_DAYS = 180
MAX_STAY_DAYS = 90


@dataclass(frozen=True)
class Stay:
    """One stay: entry day and exit day (None while the person is still in)."""

    entry: dt.date
    exit: dt.date | None = None


def stays_from_crossings(crossings: Sequence[tuple[str, dt.date]]) -> list[Stay]:
    """Pair ENTRY/EXIT crossings in date order into stays; an exit without entry is ignored."""
    stays: list[Stay] = []
    entry: dt.date | None = None
    for direction, day in sorted(crossings, key=lambda c: c[1]):
        if direction == "ENTRY" and entry is None:
            entry = day
        elif direction == "EXIT" and entry is not None:
            stays.append(Stay(entry, day))
            entry = None
    if entry is not None:
        stays.append(Stay(entry))
    return stays


def days_used(stays: Sequence[Stay], on: dt.date) -> int:
    """Days of stay within the 180-day window ending on `on` (an open stay runs to `on`)."""
    start = on - dt.timedelta(days=WINDOW_DAYS - 1)
    used = 0
    for stay in stays:
        first = max(stay.entry, start)
        last = min(stay.exit or on, on)
        if last >= first:
            used += (last - first).days + 1
    return used


@dataclass(frozen=True)
class StayStatus:
    days_used: int
    days_remaining: int
    overstay_days: int
    # How many days in a row, from `on`, the person may be (or stay) in the territory.
    stay_allowed: int


def stay_allowed(stays: Sequence[Stay], on: dt.date) -> int:
    """Look ahead day by day, as the EU short-stay calculator does.

    Days of earlier stays drop out of the moving window, so a traveller with few days
    left today may still stay longer than that; we extend the stay one day at a time
    while every day of it keeps the window at 90 days or less. Days are day numbers and
    the days of closed stays are counted once into running sums, so a look-ahead costs a
    few hundred additions, not a count of every stay for every day.
    """
    today = on.toordinal()
    planned = [s for s in stays if s.exit is not None or s.entry > on]
    start = min((s.entry for s in stays if s.exit is None and s.entry <= on), default=on)
    first = today - WINDOW_DAYS + 1
    closed = _covered_days([s for s in planned if s.exit is not None], first)
    # Stays still open run to the day looked at: the one that runs now, and any other.
    open_entries = [start.toordinal()] + [s.entry.toordinal() for s in planned if s.exit is None]
    allowed = 0
    while allowed <= MAX_STAY_DAYS:
        day = today + allowed
        window = day - WINDOW_DAYS + 1
        used = closed[allowed + WINDOW_DAYS] - closed[allowed]
        used += sum(day - max(entry, window) + 1 for entry in open_entries if entry <= day)
        if used > MAX_STAY_DAYS:
            break
        allowed += 1
    return allowed


def _covered_days(stays: Sequence[Stay], first: int) -> list[int]:
    """Running sums of how many of `stays` cover each day from day number `first` on:
    `sums[j] - sums[i]` counts the days covered in [first + i, first + j)."""
    days = WINDOW_DAYS + MAX_STAY_DAYS + 1
    covering = [0] * days
    for stay in stays:
        assert stay.exit is not None
        lo = max(0, stay.entry.toordinal() - first)
        hi = min(days - 1, stay.exit.toordinal() - first)
        for index in range(lo, hi + 1):
            covering[index] += 1
    return list(itertools.accumulate(covering, initial=0))


def stay_status(stays: Sequence[Stay], on: dt.date) -> StayStatus:
    used = days_used(stays, on)
    return StayStatus(
        used, max(0, MAX_STAY_DAYS - used), max(0, used - MAX_STAY_DAYS), stay_allowed(stays, on)
    )
