"""The service layer's audit sink: the chained file first, then its anchor on the audit topic."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from broker.audit.anchor import publish_anchor
from broker.audit.trail import AuditTrail, Link
from broker.transport.bus import Bus, BusError
from broker.transport.envelope import ChannelKeys
from interop.v1 import bus_pb2

log = logging.getLogger(__name__)


class AuditSink:
    """Where a service sends each action's record: its trail's file, then the audit topic.

    The file append completes before the action is answered, so no answered check goes
    unrecorded; the anchor is published (acks=all) in the background, so the caller does
    not wait for the bus to acknowledge it. `close` waits for anchors still on their way.
    """

    def __init__(self, path: Path, bus: Bus, topic: str, keys: ChannelKeys, trail: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._trail = AuditTrail(path, keys, trail)
        self._name = trail
        self._bus = bus
        self._topic = topic
        self._sending: set[asyncio.Task[None]] = set()

    async def __call__(self, record: bus_pb2.AuditRecord) -> None:
        # Without fsync an append is a few microseconds: handing it to a thread would cost
        # more than doing it here.
        link = self._trail.append(record)
        task = asyncio.create_task(self._publish(record, link))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, record: bus_pb2.AuditRecord, link: Link) -> None:
        try:
            await publish_anchor(self._bus, self._topic, self._name, record, link)
        except BusError as error:
            log.error(
                "audit %s seq %d not anchored on %s (it is in the file): %s",
                self._name,
                link.seq,
                self._topic,
                error,
            )

    async def close(self) -> None:
        await asyncio.gather(*self._sending, return_exceptions=True)
        self._trail.close()
