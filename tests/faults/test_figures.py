"""The figures of the overload and soak runs: goodput counts only whole reports in time,
the accepted p99 leaves refusals out, RSS growth is counted from the settled sample, and
the soak's stretches split the run by the checks' intended send time."""

from __future__ import annotations

from typing import cast

from loadtest.faults.checks import Check
from loadtest.faults.memory import RssLog
from loadtest.faults.overload import Overload
from loadtest.faults.soak import Soak
from loadtest.faults.steady import REFUSED, Steady, percentile_ms
from loadtest.load.report import RunReport
from loadtest.procstat import Usage
from tests.faults.test_judging import check

NO_CPU = Usage(1.0, {}, 0.0)


def run(rate: float, checks: list[Check], duration_s: float = 10) -> Steady:
    """A steady run's figures (its report is not read by them)."""
    return Steady(rate, duration_s, cast(RunReport, None), tuple(checks), RssLog(), NO_CPU)


def test_goodput_counts_whole_reports_in_time_only() -> None:
    whole = [check(t / 10) for t in range(50)]
    partial = [check(5 + t / 10, missing={"vis": "TIMEOUT"}) for t in range(20)]
    late = [check(7 + t / 10, took=2.8) for t in range(10)]
    refused = [check(8 + t / 10, took=0.001, error=REFUSED) for t in range(30)]
    steady = run(20, [*whole, *partial, *late, *refused])
    assert steady.goodput == 50 / 10
    assert len(steady.refused) == 30 and len(steady.accepted) == 80


def test_the_accepted_p99_leaves_the_refusals_out() -> None:
    normal = run(10, [check(t / 10, took=0.05) for t in range(100)])
    fast_refusals = [check(t / 10, took=0.0005, error=REFUSED) for t in range(300)]
    slow = [check(t / 10, took=0.2) for t in range(100)]
    result = Overload(10, normal, run(20, [*slow, *fast_refusals]))
    assert round(result.normal_p99_ms) == 50
    assert round(result.accepted_p99_ms) == 200
    assert result.refusal_p99_ms < 1
    assert not result.met(), "4x the normal p99"


def test_rss_growth_is_counted_from_the_first_sample_after_settling() -> None:
    log = RssLog()
    for at, mib in ((0, 50), (60, 100), (120, 104), (180, 108)):
        log.samples.setdefault("gateway", []).append((at, mib))
    assert round(log.growth("gateway"), 2) == 1.16
    assert round(log.growth("gateway", since_s=60), 2) == 0.08
    assert log.first_last("gateway", since_s=60) == (100, 108)


def test_soak_stretches_split_by_intended_send_and_the_p99_of_each() -> None:
    checks = [check(t / 10, took=0.05) for t in range(600)]
    checks += [check(60 + t / 10, took=0.15) for t in range(600)]
    soak = Soak(30, run(20, checks, duration_s=120), settle_s=0, stretch_s=60)
    first, second = soak.stretches()
    assert (first.checks, second.checks) == (600, 600)
    assert round(first.p99_ms) == 50 and round(second.p99_ms) == 150
    assert percentile_ms([], 99) == 0.0
