"""The gateway's adaptive bound on checks in flight: it grows while the systems answer as
fast as lately and the bound is reached, shrinks when their answers slow down, and is not
moved by a system that does not answer."""

from __future__ import annotations

import pytest

from broker.domain.answers import Answer
from broker.domain.errors import Overloaded
from broker.service.admission import Admission
from broker.service.limit import AdaptiveLimit
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s


def windows(limit: AdaptiveLimit, latency_ms: float, count: int, start: float = 0.0) -> float:
    """`count` windows of checks that all took `latency_ms`; the time after them."""
    now = start
    for _ in range(count):
        for _ in range(5):
            limit.observe(latency_ms, now)
            now += limit.window_s / 4
    return now


def test_it_grows_while_the_bound_is_reached_and_answers_stay_fast() -> None:
    limit = AdaptiveLimit(maximum=64, value=8)
    now = windows(limit, 30, 3)
    assert limit.bound == 8, "not reached: no reason to grow"
    for _ in range(4):
        limit.reached()
        now = windows(limit, 30, 1, now)
    assert 16 <= limit.bound <= 20
    for _ in range(40):
        limit.reached()
        now = windows(limit, 30, 1, now)
    assert limit.bound == 64


def test_it_shrinks_when_answers_take_several_times_longer_and_holds_a_floor() -> None:
    limit = AdaptiveLimit(maximum=64, value=32)
    now = windows(limit, 30, 3)
    windows(limit, 120, 3, now)
    assert limit.bound == int(32 * 0.75**3)
    windows(limit, 500, 20, now)
    assert limit.bound == limit.minimum


def test_a_system_that_does_not_answer_is_not_taken_for_load() -> None:
    admission = Admission(max_in_flight=64, limit=AdaptiveLimit(maximum=64, value=8))
    assert admission.limit is not None
    now = 0.0
    for _ in range(200):
        stalled = [
            Answer(s.SYSTEM_SIS, pb.OUTCOME_STATUS_ANSWERED, 30),
            Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_TIMEOUT, 2000),
        ]
        admission.observe(stalled, now)
        now += 0.05
    assert admission.bound == 8


def test_the_bound_of_an_adaptive_admission_is_the_lower_of_limit_and_maximum() -> None:
    admission = Admission(max_in_flight=2, limit=AdaptiveLimit(maximum=64, value=16))
    assert admission.bound == 2
    adaptive = Admission(max_in_flight=64, limit=AdaptiveLimit(maximum=64, value=1))
    assert adaptive.bound == 4, "never below the limit's minimum"
    with adaptive.admit("a"), adaptive.admit("b"), adaptive.admit("c"), adaptive.admit("d"):
        with pytest.raises(Overloaded, match="bound of this gateway"):
            with adaptive.admit("e"):
                pass
    assert adaptive.in_flight == 0, "a refused check holds no place"
