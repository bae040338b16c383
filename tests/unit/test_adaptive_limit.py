"""The gateway's adaptive bound on checks in flight: it grows while the checks in flight come
near it and the systems answer as fast as lately, shrinks when their answers slow down, is
not moved by a system that does not answer, makes room for checks that wait on a bus that
is down, and drifts back to its resting value once the load is light."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.domain.answers import Answer
from broker.domain.errors import Overloaded
from broker.service.admission import Admission
from broker.service.limit import AdaptiveLimit
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from stack.cores import CoresBusy

FOUR = (s.SYSTEM_SIS, s.SYSTEM_EES, s.SYSTEM_ETIAS, s.SYSTEM_EURODAC)


def windows(
    limit: AdaptiveLimit,
    latency_ms: float | None,
    count: int,
    start: float = 0.0,
    in_flight: int = 1,
) -> float:
    """`count` windows of checks that held `in_flight` places and ended after `latency_ms`
    (None: no system answered); the time after them."""
    now = start
    for _ in range(count * 4):
        limit.held(in_flight, now)
        limit.observe(latency_ms, now)
        now += limit.window_s / 4
    limit.held(0, now)  # ends the last window
    return now


def test_it_grows_while_checks_come_near_the_bound_and_answers_stay_fast() -> None:
    limit = AdaptiveLimit(maximum=64, resting=8)
    now = windows(limit, 30, 3, in_flight=2)
    assert limit.bound == 8, "far from the bound: no reason to grow"
    now = windows(limit, 30, 3, now, in_flight=8)
    assert limit.bound == 18, "8 -> 12 -> 18, then 8 held is far below 18"
    windows(limit, 30, 40, now, in_flight=64)
    assert limit.bound == 64


def test_it_shrinks_in_proportion_when_answers_slow_down_and_holds_a_floor() -> None:
    limit = AdaptiveLimit(maximum=64, resting=32)
    now = windows(limit, 30, 3)
    now = windows(limit, 60, 1, now, in_flight=32)
    assert limit.bound == 24, "twice as slow against a tolerance of 1.5: 32 * 1.5 / 2"
    assert limit.congested
    windows(limit, 1500, 20, now, in_flight=32)
    assert limit.bound == limit.minimum


def test_a_system_that_does_not_answer_is_not_taken_for_load() -> None:
    admission = Admission(max_in_flight=64, limit=AdaptiveLimit(maximum=64, resting=8))
    now = 0.0
    for _ in range(200):
        admission.limit.held(1, now)  # type: ignore[union-attr]
        stalled = [
            Answer(s.SYSTEM_SIS, pb.OUTCOME_STATUS_ANSWERED, 30),
            Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_TIMEOUT, 2000),
        ]
        admission.observe(stalled, now)
        now += 0.05
    assert admission.bound == 8


def test_one_slow_system_is_not_taken_for_load() -> None:
    admission = Admission(max_in_flight=64, limit=AdaptiveLimit(maximum=64, resting=8))
    now = 0.0
    for n in range(200):
        admission.limit.held(1, now)  # type: ignore[union-attr]
        late = 1800 if n > 50 else 30
        answers = [Answer(system, pb.OUTCOME_STATUS_ANSWERED, 30) for system in FOUR]
        admission.observe([*answers, Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_ANSWERED, late)], now)
        now += 0.05
    assert admission.bound == 8
    assert admission.limit is not None and not admission.limit.congested


def test_checks_held_while_no_system_answers_make_room_unless_the_stack_was_congested() -> None:
    down = AdaptiveLimit(maximum=64, resting=16)
    now = windows(down, 30, 3)
    now = windows(down, None, 2, now, in_flight=16)
    assert down.bound == int(16 * 1.5 * 1.5), "the bus is down: checks wait, the cores do not"
    flooded = AdaptiveLimit(maximum=64, resting=16)
    now = windows(flooded, 30, 3)
    now = windows(flooded, 600, 1, now, in_flight=16)
    shrunk = flooded.bound
    windows(flooded, None, 3, now, in_flight=16)
    assert flooded.bound == shrunk, "every answer timing out under load is no room"


def test_slow_answers_while_the_cores_have_room_are_no_congestion() -> None:
    share = [0.4]
    limit = AdaptiveLimit(maximum=64, resting=32, cores_busy=lambda: share[0])
    now = windows(limit, 30, 3)
    now = windows(limit, 600, 3, now, in_flight=8)
    assert limit.bound == 32 and not limit.congested, "a bus catching up, not load"
    share[0] = 0.97
    windows(limit, 600, 1, now, in_flight=32)
    assert limit.congested and limit.bound == 16


def test_the_share_of_busy_cores_from_proc_stat(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3\n")
    busy = CoresBusy(stat)
    stat.write_text("cpu  250 0 150 800 100 0 0 0 0 0\n")
    assert busy() == 200 / 300
    assert busy() is None, "no time passed"
    assert CoresBusy(tmp_path / "missing")() is None


def test_after_an_overload_it_drifts_back_to_its_resting_value() -> None:
    limit = AdaptiveLimit(maximum=64, resting=32)
    now = windows(limit, 30, 3)
    now = windows(limit, 600, 3, now, in_flight=32)
    assert limit.bound < 10
    now = windows(limit, 30, 10, now)
    assert limit.bound > 10
    windows(limit, 30, 40, now)
    assert limit.bound == 32


def test_the_bound_of_an_adaptive_admission_is_the_lower_of_limit_and_maximum() -> None:
    admission = Admission(max_in_flight=2, limit=AdaptiveLimit(maximum=64, resting=16))
    assert admission.bound == 2
    adaptive = Admission(max_in_flight=64, limit=AdaptiveLimit(maximum=64, resting=1))
    assert adaptive.bound == 4, "never below the limit's minimum"
    with adaptive.admit("a"), adaptive.admit("b"), adaptive.admit("c"), adaptive.admit("d"):
        with pytest.raises(Overloaded, match="bound of this gateway"):
            with adaptive.admit("e", now=0.0):
                pass
    assert adaptive.in_flight == 0, "a refused check holds no place"
