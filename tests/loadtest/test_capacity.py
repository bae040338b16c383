"""Ramps and the find-max search, on a fake target whose capacity is known."""

from __future__ import annotations

import pytest

from loadtest.load.capacity import Ramp, SearchLimits, find_max

LIMITS = SearchLimits(
    start=25, ceiling=5000, growth=2.0, precision=0.05, max_probes=20, max_time_s=600
)


class FakeTarget:
    """Meets the SLO up to `capacity` checks/s; each probe takes `probe_s` of a fake clock."""

    def __init__(self, capacity: float, probe_s: float = 10.0) -> None:
        self.capacity = capacity
        self.probe_s = probe_s
        self.now = 0.0
        self.rates: list[float] = []

    async def probe(self, rate: float) -> bool:
        self.rates.append(rate)
        self.now += self.probe_s
        return rate <= self.capacity

    def clock(self) -> float:
        return self.now


@pytest.mark.parametrize("capacity", [30.0, 337.0, 1234.5, 4999.0])
async def test_find_max_lands_within_the_precision_below_the_capacity(capacity: float) -> None:
    target = FakeTarget(capacity)
    result = await find_max(target.probe, LIMITS, target.clock)
    assert result.max_rate is not None and result.lowest_failing is not None
    assert result.max_rate <= capacity < result.lowest_failing
    assert result.lowest_failing - result.max_rate <= LIMITS.precision * result.max_rate
    assert "narrower than" in result.stopped_because
    assert result.probes == len(target.rates) <= LIMITS.max_probes


async def test_find_max_grows_geometrically_then_bisects() -> None:
    target = FakeTarget(337)
    await find_max(target.probe, LIMITS, target.clock)
    assert target.rates[:6] == [25, 50, 100, 200, 400, 300]


async def test_find_max_stops_at_the_ceiling_when_everything_passes() -> None:
    target = FakeTarget(1e9)
    result = await find_max(target.probe, LIMITS, target.clock)
    assert result.max_rate == LIMITS.ceiling
    assert result.lowest_failing is None
    assert "ceiling" in result.stopped_because


async def test_find_max_reports_none_when_even_the_lowest_rate_fails() -> None:
    target = FakeTarget(0.5)
    result = await find_max(target.probe, LIMITS, target.clock)
    assert result.max_rate is None
    assert "missed the SLO" in result.stopped_because
    assert min(target.rates) <= 1.0


async def test_find_max_is_bounded_by_probes_and_by_time() -> None:
    few = FakeTarget(337)
    by_count = await find_max(few.probe, SearchLimits(25, 5000, 2.0, 0.001, 5, 600), few.clock)
    assert by_count.probes == 5 and "probe limit" in by_count.stopped_because
    slow = FakeTarget(337, probe_s=100)
    by_time = await find_max(slow.probe, SearchLimits(25, 5000, 2.0, 0.001, 50, 350), slow.clock)
    assert by_time.probes == 4 and "time limit" in by_time.stopped_because
    assert by_time.max_rate == 200


def test_ramp_rates_include_both_ends() -> None:
    assert Ramp.parse("50:800:50").rates() == [50.0 * i for i in range(1, 17)]
    assert Ramp.parse("10:25:10").rates() == [10.0, 20.0]


@pytest.mark.parametrize("text", ["50:800", "800:50:50", "0:10:1", "a:b:c"])
def test_bad_ramps_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ramp"):
        Ramp.parse(text)
