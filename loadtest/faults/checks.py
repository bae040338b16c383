"""What each check of a fault run came to: its fate against the deadline, and whether its
report said the right thing about each system.

A `Collector` is one more sink of the load tool's runner: it keeps every check of the
measured part (the report keeps only histograms) on the runner's clock, so that the
fault's instants can be set against them.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from loadtest.load.observation import Observation
from loadtest.load.report import RunReport
from systems import REGISTRY

ANSWERED = "ANSWERED"
# What a report may say of a system the fault keeps from answering.
NOT_REACHED = frozenset({"TIMEOUT", "UNAVAILABLE"})
CLIENT_TIMEOUT = "DEADLINE_EXCEEDED"


class Fate(enum.Enum):
    IN_TIME = "answered in time"
    CLEAN_ERROR = "clean error"
    LATE = "late"
    HUNG = "hung"


@dataclass(frozen=True)
class Promise:
    """When a check must end: its deadline, plus `slack_s` for the answer's way back."""

    deadline_s: float
    slack_s: float

    @property
    def by_s(self) -> float:
        return self.deadline_s + self.slack_s


@dataclass(frozen=True)
class Check:
    """One check as the client saw it; times in seconds on the load run's clock."""

    intended_s: float
    sent_s: float
    ended_s: float
    error: str | None
    statuses: Mapping[str, str]
    # Why each system that did not answer did not, as the report says.
    reasons: Mapping[str, str]
    verdict: str
    correlation_id: str

    @classmethod
    def of(cls, observation: Observation) -> Check:
        return cls(
            observation.intended_s,
            observation.sent_s,
            observation.ended_s,
            observation.error,
            {answer.system: answer.status for answer in observation.systems},
            {a.system: a.detail for a in observation.systems if a.status != ANSWERED},
            observation.verdict,
            observation.correlation_id,
        )

    @property
    def answered(self) -> bool:
        return self.error is None

    @property
    def complete(self) -> bool:
        """A report in which every system answered."""
        return self.answered and all(self.statuses.get(s) == ANSWERED for s in REGISTRY.names)

    def fate(self, promise: Promise) -> Fate:
        if self.error == CLIENT_TIMEOUT:
            return Fate.HUNG
        if self.ended_s - self.sent_s > promise.by_s:
            return Fate.LATE
        return Fate.IN_TIME if self.answered else Fate.CLEAN_ERROR

    def good(self, promise: Promise) -> bool:
        return self.complete and self.fate(promise) is Fate.IN_TIME


@dataclass(frozen=True)
class Expected:
    """What a fault may do to a report: which systems it may keep from answering, and
    which gRPC statuses a call may end with instead of a report."""

    systems: frozenset[str]
    errors: frozenset[str] = frozenset()
    # Calls sent before the fault began must still end with a report (a graceful stop).
    drains: bool = False

    def wrong(self, check: Check) -> str | None:
        """Why the check's outcome is not one this fault may cause, or None."""
        if not check.answered:
            if check.error in self.errors or check.error == CLIENT_TIMEOUT:
                return None
            return f"gRPC status {check.error}"
        if set(check.statuses) != set(REGISTRY.names):
            return f"systems in the report: {sorted(check.statuses)}"
        for system, status in check.statuses.items():
            if status == ANSWERED:
                continue
            if system not in self.systems or status not in NOT_REACHED:
                return f"{system} {status}"
            if not check.reasons.get(system):
                return f"{system} {status} without a reason"
        if check.verdict == "CLEAR" and not check.complete:
            return "CLEAR although a system did not answer"
        return None


class Collector:
    """Keeps every check the load tool reports (a `Sink` of its runner)."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.started = asyncio.Event()
        self._origin = 0.0

    def scheduled(self, intended_s: float) -> None:
        if not self.started.is_set():
            # The first send of the measured part is due now: this ties the run's clock
            # to this process's.
            self._origin = time.perf_counter() - intended_s
            self.started.set()

    def sent(self, sent_s: float) -> None:
        """Sends are known from their checks."""

    def add(self, observation: Observation) -> None:
        self.checks.append(Check.of(observation))

    def now(self) -> float:
        """The load run's clock now."""
        return time.perf_counter() - self._origin

    async def measuring(self, load: asyncio.Task[RunReport]) -> None:
        """Until the measured part of the `load` begins (its warm-up done)."""
        started = asyncio.create_task(self.started.wait())
        await asyncio.wait([started, load], return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            started.cancel()
            load.result()
            raise RuntimeError("the load ended before it began")


def recovery_s(
    checks: Sequence[Check], promise: Promise, fault_start_s: float, healed_s: float
) -> float | None:
    """Seconds from the fault's healing until checks were good again and stayed good: the
    intended send of the first good check after the last bad one. 0 when none went bad
    after the fault began, None when the run ended before they were good again."""
    since = [c for c in sorted(checks, key=lambda c: c.intended_s) if c.intended_s >= fault_start_s]
    bad = [i for i, c in enumerate(since) if not c.good(promise)]
    if not bad:
        return 0.0
    if bad[-1] + 1 == len(since):
        return None
    return max(0.0, since[bad[-1] + 1].intended_s - healed_s)
