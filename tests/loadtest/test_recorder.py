"""HDR recording: percentiles, counts that add up, per system, per hop, over time."""

from __future__ import annotations

import pytest

from loadtest.load.observation import Observation, SystemAnswer, server_timing
from loadtest.load.recorder import Tally, Timeline

ANSWERED = (SystemAnswer("sis", "ANSWERED", 3), SystemAnswer("vis", "ANSWERED", 7))


def answered(at: float, latency_s: float, lag_s: float = 0.0) -> Observation:
    return Observation(at, at + lag_s, at + latency_s, verdict="CLEAR", systems=ANSWERED)


def test_percentiles_of_a_known_distribution() -> None:
    tally = Tally(0.0, open_loop=True)
    for i in range(1, 1001):  # 1 ms .. 1000 ms
        tally.scheduled(i / 100)
        tally.add(answered(i / 100, i / 1000))
    latency = tally.summary(10.0).latency
    assert latency.count == 1000
    assert latency.p50_ms == pytest.approx(500, rel=0.002)
    assert latency.p90_ms == pytest.approx(900, rel=0.002)
    assert latency.p99_ms == pytest.approx(990, rel=0.002)
    assert latency.max_ms == pytest.approx(1000, rel=0.002)
    assert latency.min_ms == pytest.approx(1, rel=0.002)
    assert latency.at(75) == pytest.approx(750, rel=0.002)
    assert latency.mean_ms == pytest.approx(500.5)  # exact: from the sum, not the buckets
    assert latency.p50_ms <= latency.p90_ms <= latency.p99_ms <= latency.p999_ms <= latency.max_ms


def test_latency_counts_from_the_intended_send_and_service_time_from_the_actual_one() -> None:
    tally = Tally(0.0, open_loop=True)
    tally.add(answered(0.0, latency_s=0.300, lag_s=0.200))
    summary = tally.summary(1.0)
    assert summary.latency.max_ms == pytest.approx(300, rel=0.002)
    assert summary.service_time.max_ms == pytest.approx(100, rel=0.002)
    assert summary.send_lag.max_ms == pytest.approx(200, rel=0.002)


def test_counts_add_up_with_errors_incomplete_reports_and_hits() -> None:
    tally = Tally(0.0, open_loop=True)
    for i in range(10):
        tally.scheduled(i * 0.1)
    for i in range(6):
        tally.add(answered(i * 0.1, 0.01))
    tally.add(Observation(0.6, 0.6, 0.7, error="DEADLINE_EXCEEDED"))
    tally.add(Observation(0.7, 0.7, 0.8, error="UNAVAILABLE"))
    timed_out = (SystemAnswer("sis", "ANSWERED", 3), SystemAnswer("vis", "TIMEOUT", 2000))
    tally.add(Observation(0.8, 0.8, 2.9, verdict="INCOMPLETE", systems=timed_out))
    tally.add(Observation(0.9, 0.9, 1.0, verdict="HIT", hits=2, systems=ANSWERED))
    s = tally.summary(2.0)
    assert (s.offered, s.completed, s.answered, s.errors) == (10, 10, 8, 2)
    assert s.errors_by_status == {"DEADLINE_EXCEEDED": 1, "UNAVAILABLE": 1}
    assert s.verdicts == {"CLEAR": 6, "HIT": 1, "INCOMPLETE": 1}
    assert sum(s.verdicts.values()) == s.answered
    assert (s.incomplete_reports, s.reports_with_hits) == (1, 1)
    assert s.error_share == pytest.approx(0.2)
    assert s.incomplete_share == pytest.approx(1 / 8)
    assert s.systems["vis"].outcomes == {"ANSWERED": 7, "TIMEOUT": 1}
    # Only answered calls count towards a system's latency.
    assert s.systems["vis"].latency.count == 7
    assert s.systems["vis"].latency.max_ms == pytest.approx(7, rel=0.002)
    # The last check ended at 2.9 s: the stretch lasted that long, not its nominal 2 s.
    assert s.duration_s == pytest.approx(2.9)
    assert s.achieved_rate == pytest.approx(10 / 2.9, rel=0.001)
    assert s.offered_rate == pytest.approx(5.0)


def test_closed_loop_has_no_offered_figures() -> None:
    tally = Tally(0.0, open_loop=False)
    tally.add(answered(0.0, 0.01))
    assert tally.summary(1.0).offered is None
    assert tally.summary(1.0).offered_rate is None


def test_hops_from_server_timing_trailers() -> None:
    hops = server_timing(
        [
            ("server-timing", 'gateway.validate;dur=0.4, sis.call;dur=3.25;desc="mock"'),
            ("server-timing", 'broken, sis.queue;dur=x, merge;dur="0.2"'),
            ("other", "a;dur=1"),
        ]
    )
    assert hops == (("gateway.validate", 0.4), ("sis.call", 3.25), ("merge", 0.2))
    tally = Tally(0.0, open_loop=True)
    tally.add(Observation(0.0, 0.0, 0.01, verdict="CLEAR", systems=ANSWERED, hops=hops))
    summary = tally.summary(1.0)
    assert summary.hops.reported
    assert summary.hops.by_hop["sis.call"].max_ms == pytest.approx(3.25, rel=0.002)


def test_no_hops_reported_is_said_so() -> None:
    tally = Tally(0.0, open_loop=True)
    tally.add(answered(0.0, 0.01))
    assert not tally.summary(1.0).hops.reported
    assert tally.summary(1.0).hops.by_hop == {}


def test_timeline_counts_by_interval_and_in_flight() -> None:
    timeline = Timeline(interval_s=1.0)
    for i in range(20):  # 10/s for 2 s, each taking 1.5 s
        at = i / 10
        timeline.scheduled(at)
        timeline.sent(at)
        timeline.add(Observation(at, at, at + 1.5, verdict="CLEAR"))
    points = timeline.points()
    assert [p.t_s for p in points] == [0.0, 1.0, 2.0, 3.0]
    assert [p.offered for p in points] == [10, 10, 0, 0]
    assert [p.completed for p in points] == [0, 5, 10, 5]
    assert sum(p.completed for p in points) == 20
    assert [p.in_flight for p in points] == [10, 15, 5, 0]
    assert points[0].p99_ms is None
    assert points[2].p50_ms == pytest.approx(1500, rel=0.01)
