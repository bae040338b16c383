"""Taking sealed messages off the bus: open, accept each once, dead-letter the rest.

The adapters (queries) and the gateway's dispatcher (replies) receive through here, so a
forged, misdirected or replayed message is refused the same way on both sides: it goes
to the dead-letter topic with its reason in a header, and `dead_lettered(topic, reason)`
counts it for the metrics.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from broker.domain.systems import SystemCatalog, SystemSpec
from broker.transport.bus import Bus, BusError, Message
from broker.transport.envelope import Keyring
from broker.transport.rejection import Reason, Rejected
from broker.transport.replay import ReplayCache
from broker.transport.topics import Topics
from broker.transport.wire import Body, Received, unpack_query, unpack_reply
from interop.v1 import bus_pb2

log = logging.getLogger(__name__)

DEAD_LETTER_REASON = "dead-letter-reason"
SOURCE_TOPIC = "source-topic"
REJECTED_BY = "rejected-by"


class Inbox:
    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        keyring: Keyring,
        dead_lettered: Callable[[str, str], None],
    ) -> None:
        self._bus = bus
        self._topics = topics
        self._keyring = keyring
        self._replays = ReplayCache()
        self._dead_lettered = dead_lettered

    async def query(
        self, message: Message, system: SystemSpec
    ) -> Received[bus_pb2.SystemQuery] | None:
        """The query for `system`, or None once it went to the dead letters."""
        return await self._accepted(message, lambda: unpack_query(self._keyring, message, system))

    async def reply(
        self, message: Message, catalog: SystemCatalog
    ) -> Received[bus_pb2.SystemReply] | None:
        """The reply, or None once it went to the dead letters."""
        return await self._accepted(message, lambda: unpack_reply(self._keyring, message, catalog))

    async def _accepted(
        self, message: Message, unpack: Callable[[], Received[Body]]
    ) -> Received[Body] | None:
        try:
            received = unpack()
            if not self._replays.first_time(
                received.message_id, received.deadline_unix_ms, int(time.time() * 1000)
            ):
                raise Rejected(Reason.REPLAYED, f"message {received.message_id.hex()} seen before")
        except Rejected as rejected:
            await self._dead_letter(message, rejected)
            return None
        return received

    async def _dead_letter(self, message: Message, rejected: Rejected) -> None:
        self._dead_lettered(message.topic, rejected.reason.value)
        log.warning(
            "%s: message on %s sent to the dead-letter topic: %s",
            self._keyring.service,
            message.topic,
            rejected,
        )
        headers = {
            **message.headers,
            DEAD_LETTER_REASON: str(rejected).encode(),
            SOURCE_TOPIC: message.topic.encode(),
            REJECTED_BY: self._keyring.service.encode(),
        }
        try:
            await self._bus.publish(self._topics.dead_letter, message.key, message.value, headers)
        except BusError as error:
            log.error("%s: dead-letter publish failed: %s", self._keyring.service, error)
