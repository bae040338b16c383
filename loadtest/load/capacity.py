"""Ramps and the search for the highest rate that meets the SLO.

`find_max` probes rates through a function it is given (in a run, a step of load and
its SLO verdict), so the search is tested with a fake target. Strategy: grow the rate
geometrically from `start` while probes pass, which brackets the capacity between the
last pass and the first failure; then bisect that bracket until it is narrower than
`precision`. Bounded three ways: the probe count, the time spent, and `ceiling`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Probe = Callable[[float], Awaitable[bool]]
# Below one check per second a load test says nothing a single `interop check` would not.
MIN_RATE = 1.0


@dataclass(frozen=True, slots=True)
class Ramp:
    """Rates from `start` to `stop` (inclusive) in increments of `increment`."""

    start: float
    stop: float
    increment: float

    @classmethod
    def parse(cls, text: str) -> Ramp:
        """'50:800:50' -> Ramp(50, 800, 50)."""
        try:
            start, stop, increment = (float(part) for part in text.split(":"))
        except ValueError:
            raise ValueError(f"ramp {text!r}: expected START:STOP:STEP, e.g. 50:800:50") from None
        if start <= 0 or increment <= 0 or stop < start:
            raise ValueError(f"ramp {text!r}: need 0 < START <= STOP and STEP > 0")
        return cls(start, stop, increment)

    def rates(self) -> list[float]:
        count = int((self.stop - self.start) / self.increment + 1e-9) + 1
        return [round(self.start + i * self.increment, 6) for i in range(count)]


@dataclass(frozen=True, slots=True)
class SearchLimits:
    start: float
    ceiling: float
    growth: float
    precision: float
    max_probes: int
    max_time_s: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The highest passing rate (None if none passed) and why the search stopped."""

    max_rate: float | None
    lowest_failing: float | None
    probes: int
    stopped_because: str


async def find_max(
    probe: Probe, limits: SearchLimits, clock: Callable[[], float] = time.monotonic
) -> SearchResult:
    started = clock()
    passed: float | None = None
    failed: float | None = None
    probes = 0

    def out_of_budget() -> str | None:
        if probes >= limits.max_probes:
            return f"probe limit ({limits.max_probes}) reached"
        if clock() - started >= limits.max_time_s:
            return f"time limit ({limits.max_time_s:.0f} s) reached"
        return None

    rate = limits.start
    while (reason := out_of_budget()) is None:
        probes += 1
        if await probe(rate):
            passed = rate
        else:
            failed = rate
        nxt = _next_rate(passed, failed, limits)
        if nxt is None:
            reason = _settled(passed, failed, limits)
            break
        rate = nxt
    return SearchResult(passed, failed, probes, reason)


def _next_rate(passed: float | None, failed: float | None, limits: SearchLimits) -> float | None:
    if failed is None:
        if passed is None or passed >= limits.ceiling:
            return None
        return min(limits.ceiling, passed * limits.growth)
    if passed is None:
        return None if failed <= MIN_RATE else _rounded(failed / 2)
    middle = _rounded((passed + failed) / 2)
    if failed - passed <= limits.precision * passed or middle in (passed, failed):
        return None
    return middle


def _rounded(rate: float) -> float:
    """Three significant digits: 21.09375 checks/s is 21.1, as a person would probe it."""
    return float(f"{rate:.3g}")


def _settled(passed: float | None, failed: float | None, limits: SearchLimits) -> str:
    if failed is None:
        return f"ceiling ({limits.ceiling:g}/s) met the SLO"
    if passed is None:
        return f"even {failed:g}/s missed the SLO"
    return f"bracket {passed:g}-{failed:g}/s narrower than {limits.precision:.0%}"
