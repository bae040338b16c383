"""The 90/180-day rule on worked cases."""

from __future__ import annotations

import datetime as dt

from mocks.stay import Stay, days_used, stay_status, stays_from_crossings

D = dt.date


def test_entry_and_exit_day_both_count() -> None:
    assert days_used([Stay(D(2026, 1, 1), D(2026, 1, 1))], D(2026, 1, 1)) == 1
    assert days_used([Stay(D(2026, 1, 1), D(2026, 1, 10))], D(2026, 3, 1)) == 10


def test_open_stay_runs_to_the_day_of_the_check() -> None:
    status = stay_status([Stay(D(2026, 1, 1))], D(2026, 3, 31))
    assert status.days_used == 90
    assert (status.days_remaining, status.overstay_days) == (0, 0)
    over = stay_status([Stay(D(2026, 1, 1))], D(2026, 4, 5))
    assert (over.days_used, over.days_remaining, over.overstay_days) == (95, 0, 5)


def test_the_window_moves_day_by_day() -> None:
    stays = [Stay(D(2026, 1, 1), D(2026, 3, 1))]  # 60 days
    window_end = D(2026, 1, 1) + dt.timedelta(days=179)
    assert days_used(stays, window_end) == 60
    assert days_used(stays, window_end + dt.timedelta(days=1)) == 59
    assert days_used(stays, window_end + dt.timedelta(days=60)) == 0


def test_crossings_pair_into_stays() -> None:
    crossings = [("EXIT", D(2026, 2, 10)), ("ENTRY", D(2026, 2, 1)), ("ENTRY", D(2026, 5, 1))]
    assert stays_from_crossings(crossings) == [
        Stay(D(2026, 2, 1), D(2026, 2, 10)),
        Stay(D(2026, 5, 1)),
    ]
