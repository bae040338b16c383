"""When each check of an open-loop phase is meant to be sent.

The schedule is fixed before the first send and never waits for an answer: a
slow server does not slow the arrivals, so every stall shows up in the latency
measured from the intended send time (no coordinated omission).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum


class Arrivals(Enum):
    """How sends are spread within a second."""

    CONSTANT = "constant"
    POISSON = "poisson"


@dataclass(frozen=True, slots=True)
class Phase:
    """A stretch of the run at one offered rate."""

    rate: float
    duration_s: float

    @property
    def expected_sends(self) -> int:
        return round(self.rate * self.duration_s)


def offsets(phase: Phase, arrivals: Arrivals, rng: random.Random) -> Iterator[float]:
    """Intended send times in seconds from the start of the phase, ascending, < duration."""
    if arrivals is Arrivals.CONSTANT:
        yield from _constant(phase)
    else:
        yield from _poisson(phase, rng)


def _constant(phase: Phase) -> Iterator[float]:
    gap = 1.0 / phase.rate
    for i in range(phase.expected_sends):
        yield i * gap


def _poisson(phase: Phase, rng: random.Random) -> Iterator[float]:
    # Exponential gaps give a Poisson process: the same mean rate with realistic bursts.
    at = rng.expovariate(phase.rate)
    while at < phase.duration_s:
        yield at
        at += rng.expovariate(phase.rate)
