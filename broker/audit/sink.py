"""The service layer's audit sink: the chained file first, then a copy on the audit topic."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from broker.audit.trail import AuditTrail
from broker.transport.bus import Bus, BusError
from interop.v1 import bus_pb2

log = logging.getLogger(__name__)


class AuditSink:
    """Where the gateway sends each check's record: the chained file, then the audit topic.

    The file append completes before the check is answered, so no answered check goes
    unrecorded; the copy to the audit topic is sent in the background, so the caller does
    not wait for the bus to acknowledge it. `close` waits for copies still on their way.
    """

    def __init__(self, path: Path, bus: Bus, topic: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._trail = AuditTrail(path)
        self._bus = bus
        self._topic = topic
        self._sending: set[asyncio.Task[None]] = set()

    async def __call__(self, record: bus_pb2.AuditRecord) -> None:
        # Without fsync an append is a few microseconds: handing it to a thread would cost
        # more than doing it here.
        chain_hash = self._trail.append(record)
        task = asyncio.create_task(self._publish(record, chain_hash))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, record: bus_pb2.AuditRecord, chain_hash: str) -> None:
        try:
            await self._bus.publish(
                self._topic,
                record.correlation_id.encode(),
                record.SerializeToString(),
                {"chain-hash": chain_hash.encode()},
            )
        except BusError as error:
            log.error(
                "audit record %s not copied to %s (it is in the file): %s",
                record.correlation_id,
                self._topic,
                error,
            )

    async def close(self) -> None:
        await asyncio.gather(*self._sending, return_exceptions=True)
        self._trail.close()
