"""Faults a test team injects into a mock: latency, errors, outages.

A plan is a frozen value made from the `Faults` message; `decide` says what happens to
one call (how long to wait, which error to raise) so the rules are tested without a
server or a clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import grpc

from interop.mock.v1 import mock_pb2


class FaultError(ValueError):
    """A Faults message that cannot be applied; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class MockFault(Exception):
    """An injected fault: the call fails with `code` (a gRPC status) and `message`."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Injected:
    """What one call suffers: a delay, then maybe an error instead of the answer."""

    delay_s: float = 0.0
    error: grpc.StatusCode | None = None
    message: str = ""


@dataclass(frozen=True)
class FaultPlan:
    latency_s: float = 0.0
    median_s: float = 0.0
    sigma: float = 0.0
    error_probability: float = 0.0
    every_nth: int = 0
    error_code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE
    error_message: str = "injected fault"
    outage_until: float = 0.0

    @classmethod
    def from_message(cls, faults: mock_pb2.Faults, now: float) -> FaultPlan:
        if not 0.0 <= faults.error_probability <= 1.0:
            raise FaultError("faults.error_probability", "must be between 0 and 1")
        if faults.latency_sigma < 0 or not math.isfinite(faults.latency_sigma):
            raise FaultError("faults.latency_sigma", "must be a finite number >= 0")
        code = grpc.StatusCode.UNAVAILABLE
        if faults.error_code:
            try:
                code = grpc.StatusCode[faults.error_code.upper()]
            except KeyError:
                raise FaultError(
                    "faults.error_code", f"{faults.error_code!r} is not a gRPC status name"
                ) from None
            if code == grpc.StatusCode.OK:
                raise FaultError("faults.error_code", "OK is not an error")
        return cls(
            latency_s=faults.latency_ms / 1000,
            median_s=faults.latency_median_ms / 1000,
            sigma=faults.latency_sigma,
            error_probability=faults.error_probability,
            every_nth=faults.error_every_nth,
            error_code=code,
            error_message=faults.error_message or "injected fault",
            outage_until=now + faults.outage_seconds if faults.outage_seconds else 0.0,
        )

    def decide(self, call_number: int, now: float, rng: random.Random) -> Injected:
        """The fate of call number `call_number` (1-based) at time `now`."""
        if now < self.outage_until:
            return Injected(
                error=grpc.StatusCode.UNAVAILABLE,
                message=f"outage for {self.outage_until - now:.0f} s more",
            )
        delay = self.latency_s
        if self.median_s:
            delay += rng.lognormvariate(math.log(self.median_s), self.sigma)
        failed = (self.every_nth and call_number % self.every_nth == 0) or (
            self.error_probability and rng.random() < self.error_probability
        )
        if failed:
            return Injected(delay, self.error_code, self.error_message)
        return Injected(delay)
