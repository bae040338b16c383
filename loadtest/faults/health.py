"""What the parts' grpc.health.v1 said during a fault run, polled twice a second."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

POLL_S = 0.5
SERVING = "SERVING"
# No answer at all: the process is down, stopped or frozen.
SILENT = "NO ANSWER"


@dataclass(frozen=True)
class Change:
    at_s: float
    status: str


@dataclass
class HealthLog:
    """Per part, each change of its status, on the load run's clock."""

    changes: dict[str, list[Change]] = field(default_factory=dict)

    def record(self, part: str, at_s: float, status: str) -> None:
        seen = self.changes.setdefault(part, [])
        if not seen or seen[-1].status != status:
            seen.append(Change(at_s, status))

    def status_at(self, part: str, at_s: float) -> str | None:
        before = [c for c in self.changes.get(part, []) if c.at_s <= at_s]
        return before[-1].status if before else None

    def not_serving(self, part: str, since_s: float) -> list[tuple[float, str]]:
        """When `part` stopped serving after `since_s`, and how (a status or no answer)."""
        return [
            (c.at_s, c.status)
            for c in self.changes.get(part, [])
            if c.at_s >= since_s and c.status != SERVING
        ]

    def describe(self, since_s: float) -> str:
        """Parts that were not serving after `since_s`: when, and when they served again."""
        lines = []
        for part, changes in sorted(self.changes.items()):
            later = [c for c in changes if c.at_s >= since_s]
            if any(c.status != SERVING for c in later):
                steps = ", ".join(f"{c.status} at {c.at_s - since_s:+.1f} s" for c in later)
                lines.append(f"{part}: {steps}")
        return "; ".join(lines) or "every part SERVING throughout"


async def _status(stub: health_pb2_grpc.HealthStub) -> str:
    try:
        reply = await stub.Check(health_pb2.HealthCheckRequest(), timeout=POLL_S)
    except grpc.aio.AioRpcError:
        return SILENT
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))


async def _poll(addresses: Mapping[str, str], clock: Callable[[], float], log: HealthLog) -> None:
    channels = {part: grpc.aio.insecure_channel(a) for part, a in addresses.items()}
    stubs = {part: health_pb2_grpc.HealthStub(c) for part, c in channels.items()}
    try:
        while True:
            statuses = await asyncio.gather(*(_status(s) for s in stubs.values()))
            now = clock()
            for part, status in zip(stubs, statuses, strict=True):
                log.record(part, now, status)
            await asyncio.sleep(POLL_S)
    finally:
        for channel in channels.values():
            await channel.close()


@contextlib.asynccontextmanager
async def watched(
    addresses: Mapping[str, str], clock: Callable[[], float]
) -> AsyncIterator[HealthLog]:
    """Poll every part's health while the block runs."""
    log = HealthLog()
    task = asyncio.create_task(_poll(addresses, clock, log), name="health-watch")
    try:
        yield log
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def parts_named(addresses: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """One health address per part (a part serving several answers the same on each)."""
    return {part: health[0] for part, health in addresses.items() if health}
