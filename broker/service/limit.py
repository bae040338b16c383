"""An adaptive bound on checks in flight: as many as the stack answers without queueing.

A fixed bound is wrong one way or the other: above what the cores can work through, checks
queue until they miss their deadline (at twice the capacity, goodput collapsed); below what
a slow or stalled system holds in flight (each check waits up to its deadline for it), the
gateway refuses checks it could serve. So the bound follows how fast the systems answer.

Every `window_s` the median time the systems took to answer (only those that answered: one
that timed out or is down says nothing about load, and the circuit breaker deals with it)
is compared with the lowest such median of the last `memory` windows. Above `tolerance`
times that, work is queueing somewhere (the cores, the bus, a mock's event loop) and the
bound shrinks by a quarter; otherwise, if the bound was reached in the window, it grows by
a quarter. It stays between `minimum` and `maximum` (INTEROP_MAX_IN_FLIGHT).
"""

from __future__ import annotations

import statistics
from collections import deque
from dataclasses import dataclass, field

GROWTH = 1.25
SHRINK = 0.75


@dataclass
class AdaptiveLimit:
    maximum: int
    minimum: int = 4
    tolerance: float = 3.0
    window_s: float = 0.5
    memory: int = 120
    value: float = 16.0
    _samples: list[float] = field(default_factory=list)
    _medians: deque[float] = field(default_factory=deque)
    _window_end: float | None = None
    _reached: bool = False

    def __post_init__(self) -> None:
        self.value = max(self.minimum, min(self.value, self.maximum))
        self._medians = deque(maxlen=self.memory)

    @property
    def bound(self) -> int:
        return int(self.value)

    def reached(self) -> None:
        """A check came when the bound was reached: it would have taken more."""
        self._reached = True

    def observe(self, latency_ms: float, now: float) -> None:
        """How long the systems that answered a check took (the slowest of them)."""
        if self._window_end is None:
            self._window_end = now + self.window_s
        self._samples.append(latency_ms)
        if now >= self._window_end:
            self._update()
            self._window_end = now + self.window_s

    def _update(self) -> None:
        median = statistics.median(self._samples)
        self._samples.clear()
        self._medians.append(median)
        if median > self.tolerance * min(self._medians):
            self.value = max(self.minimum, self.value * SHRINK)
        elif self._reached:
            self.value = min(self.maximum, self.value * GROWTH)
        self._reached = False
