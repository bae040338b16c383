"""Health that tells the truth: a part answers SERVING on grpc.health.v1 only while every
one of its checks passes, re-evaluated every second.

A check returns None when all is well, or the reason it is not (the bus cannot be reached,
no partition is assigned, the consumer is far behind or stalled). Changes are logged with
the reason, so an operator sees why a probe fails.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from broker.transport.bus import Bus
from broker.transport.grpc_server import GrpcServer

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[str | None]]
BUS_PROBE_TIMEOUT_S = 2.0


def bus_reachable(bus: Bus) -> Check:
    async def check() -> str | None:
        if await bus.reachable(BUS_PROBE_TIMEOUT_S):
            return None
        return "the bus does not answer"

    return check


class HealthWatch:
    def __init__(
        self, name: str, server: GrpcServer, checks: Sequence[Check], interval_s: float = 1.0
    ) -> None:
        self._name = name
        self._server = server
        self._checks = list(checks)
        self._interval_s = interval_s
        self.reasons: list[str] = []

    async def evaluate(self) -> bool:
        """Run every check once and set the server's status; whether it is serving."""
        reasons = [r for r in [await check() for check in self._checks] if r]
        if reasons != self.reasons:
            if reasons:
                log.warning("%s: NOT_SERVING: %s", self._name, "; ".join(reasons))
            else:
                log.info("%s: SERVING again", self._name)
        self.reasons = reasons
        await self._server.set_serving(not reasons)
        return not reasons

    async def run(self) -> None:
        """Evaluate every `interval_s` until cancelled."""
        while True:
            await self.evaluate()
            await asyncio.sleep(self._interval_s)
