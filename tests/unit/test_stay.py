"""The 90/180-day rule on worked cases."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from mocks.stay import Stay, days_used, stay_allowed, stay_status, stays_from_crossings

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


def test_looking_ahead_old_days_leave_the_window() -> None:
    on = D(2026, 6, 1)
    # 80 days used 100 to 179 days ago: 10 days left today, yet a 90-day stay fits,
    # because each day of the new stay pushes one old day out of the window.
    long_ago = [Stay(on - dt.timedelta(days=179), on - dt.timedelta(days=100))]
    assert stay_status(long_ago, on).days_remaining == 10
    assert stay_allowed(long_ago, on) == 90
    # 80 days used just before: the old days stay in the window, 10 days it is.
    recent = [Stay(on - dt.timedelta(days=90), on - dt.timedelta(days=11))]
    assert stay_allowed(recent, on) == 10


def test_looking_ahead_from_inside_the_territory() -> None:
    on = D(2026, 6, 1)
    assert stay_allowed([Stay(on - dt.timedelta(days=89))], on) == 1, "today is the last day"
    assert stay_allowed([Stay(on - dt.timedelta(days=95))], on) == 0
    assert stay_allowed([], on) == 90


def _stay_allowed_by_counting(stays: list[Stay], on: dt.date) -> int:
    """The calculator's rule spelt out: extend the stay a day at a time, counting again."""
    planned = [s for s in stays if s.exit is not None or s.entry > on]
    start = min((s.entry for s in stays if s.exit is None and s.entry <= on), default=on)
    allowed = 0
    while allowed <= 90:
        day = on + dt.timedelta(days=allowed)
        if days_used([*planned, Stay(start, day)], day) > 90:
            break
        allowed += 1
    return allowed


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-400, 120), st.integers(0, 120), st.booleans()), max_size=6),
    st.integers(-10, 10),
)
def test_looking_ahead_agrees_with_counting_day_by_day(
    spans: list[tuple[int, int, bool]], shift: int
) -> None:
    on = dt.date(2026, 6, 1)
    stays = [
        Stay(on + dt.timedelta(days=a), None if still_in else on + dt.timedelta(days=a + n))
        for a, n, still_in in spans
    ]
    day = on + dt.timedelta(days=shift)
    assert stay_allowed(stays, day) == _stay_allowed_by_counting(stays, day)
