"""An adaptive bound on checks in flight: as many as the stack answers without queueing.

A fixed bound is wrong one way or the other: above what the cores can work through, checks
queue until they miss their deadline (at twice the capacity, goodput collapsed); below what
a slow or stalled system holds in flight (each check waits up to its deadline for it), the
gateway refuses checks it could serve. So the bound follows how fast the systems answer.

Time is cut into windows of `window_s`. At the end of each, the median over the window's
checks of how long their systems took to answer (per check the median of the systems that
answered: one that timed out, is down or is alone in being slow says nothing about the
load, and the circuit breaker deals with it) is compared with the lowest such median of
the last `memory` windows:

- above `tolerance` times that while the machine's cores are saturated (`cores_busy`, at
  least `saturated` of them busy in the window), work is queueing for the cores: the bound
  shrinks in proportion (tolerance / ratio, by half at most). Slow answers while the cores
  have room are a fault's doing (a bus catching up after a cut, a replica taking over
  partitions), not load: refusing checks would not make them faster;
- otherwise, if the checks in flight came near the bound (half of it) in the window, it
  grows by half (checks held up to their deadline by one system that does not answer need
  room at once); if they did not, it grows back towards its resting value by a quarter
  per window (after an overload, a fault then finds room again);
- a window in which checks were held but no system answered (the bus is down, the network
  cut, every asked system stalled) is no sign of load unless the last window with answers
  was congested: the bound grows by half too.

It stays between `minimum` and `maximum` (INTEROP_MAX_IN_FLIGHT).
"""

from __future__ import annotations

import logging
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

GROWTH = 1.25
BUSY_GROWTH = 1.5
STRONGEST_SHRINK = 0.5
# The checks in flight came near the bound: this share of it.
NEAR = 0.5


def _unknown() -> float | None:
    return None


@dataclass
class AdaptiveLimit:
    maximum: int
    minimum: int = 4
    tolerance: float = 1.5
    window_s: float = 0.5
    memory: int = 120
    # Where the bound starts, and where it drifts back to when the load is light.
    resting: float = 32.0
    value: float | None = None
    # The share of the machine's cores busy since the last call, None when unknown (then
    # slow answers alone count as congestion).
    cores_busy: Callable[[], float | None] = _unknown
    saturated: float = 0.85
    _samples: list[float] = field(default_factory=list)
    _medians: deque[float] = field(default_factory=deque)
    _window_end: float | None = None
    _peak: int = 0
    _congested: bool = False

    def __post_init__(self) -> None:
        self.resting = max(self.minimum, min(self.resting, self.maximum))
        self.value = self._clamped(self.resting if self.value is None else self.value)
        self._medians = deque(maxlen=self.memory)

    @property
    def bound(self) -> int:
        assert self.value is not None
        return int(self.value)

    @property
    def congested(self) -> bool:
        """Whether the last window with answers showed work queueing."""
        return self._congested

    def held(self, in_flight: int, now: float) -> None:
        """A check came with `in_flight` checks held (`now` on the monotonic clock)."""
        self._peak = max(self._peak, in_flight)
        self._roll(now)

    def observe(self, latency_ms: float | None, now: float) -> None:
        """A check ended: how long the systems that answered took (their median), None
        when none answered."""
        if latency_ms is not None:
            self._samples.append(latency_ms)
        self._roll(now)

    def _roll(self, now: float) -> None:
        if self._window_end is None:
            self._window_end = now + self.window_s
        elif now >= self._window_end:
            self._update()
            self._window_end = now + self.window_s

    def _update(self) -> None:
        assert self.value is not None
        busy = self._peak >= NEAR * self.value
        if self._samples:
            median = statistics.median(self._samples)
            self._medians.append(median)
            ratio = median / max(min(self._medians), 1e-3)
            busy_share = self.cores_busy()
            saturated = busy_share is None or busy_share >= self.saturated
            was, self._congested = self._congested, ratio > self.tolerance and saturated
            if self._congested:
                self.value *= max(STRONGEST_SHRINK, self.tolerance / ratio)
            elif busy:
                self.value *= BUSY_GROWTH
            elif self.value < self.resting:
                self.value = min(self.resting, self.value * GROWTH)
            self._tell(was, ratio, busy_share)
        elif busy and not self._congested:
            self.value *= BUSY_GROWTH
        self.value = self._clamped(self.value)
        self._samples.clear()
        self._peak = 0

    def _tell(self, was: bool, ratio: float, busy_share: float | None) -> None:
        """Into the log when work starts or stops queueing."""
        bound = int(self._clamped(self.value or 0))
        if self._congested and not was:
            cores = "" if busy_share is None else f" with {busy_share:.0%} of the cores busy"
            log.warning(
                "checks queueing: the systems answer %.1fx slower than lately%s; "
                "admitting %d at once at most",
                ratio,
                cores,
                bound,
            )
        elif was and not self._congested:
            log.info("answers as fast as lately again (%.1fx); %d at once at most", ratio, bound)

    def _clamped(self, value: float) -> float:
        return max(float(self.minimum), min(value, float(self.maximum)))
