"""The adapter loop: consume a system's request topic as a group member, answer each query.

Queries are handled concurrently (up to `concurrency` at once) so one slow call to the
system does not hold up the others; a query already past its deadline is dropped
unopened, since the gateway has stopped waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from adapters.port import BorderSystemClient, SystemCallFailed
from broker.domain.systems import SystemSpec
from broker.transport.bus import Bus, BusError, Message, Subscription
from broker.transport.envelope import Keyring
from broker.transport.inbox import Inbox
from broker.transport.rejection import Reason
from broker.transport.topics import Topics
from broker.transport.wire import deadline_of, pack_reply
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

log = logging.getLogger(__name__)


@dataclass
class AdapterStats:
    answered: int = 0
    expired: int = 0
    failed: int = 0
    dead_letters: Counter[Reason] = field(default_factory=Counter)


class Adapter:
    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        spec: SystemSpec,
        client: BorderSystemClient,
        keyring: Keyring,
        concurrency: int = 64,
    ) -> None:
        self._bus = bus
        self._keyring = keyring
        self._topics = topics
        self._spec = spec
        self._client = client
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self.subscription: Subscription | None = None
        self.stats = AdapterStats()
        self._inbox = Inbox(bus, topics, keyring, self.stats.dead_letters)

    @property
    def group(self) -> str:
        return f"interop.adapter.{self._spec.name}"

    async def start(self) -> None:
        topics = self._topics
        request_topic = topics.request(self._spec.name)
        await self._bus.ensure_topics(
            [topics.spec(request_topic), topics.spec(topics.dead_letter, False)]
        )
        self.subscription = await self._bus.subscribe([request_topic], group=self.group)
        await self.subscription.ready()
        log.info("adapter %s ready: group %s", self._spec.name, self.group)

    async def run(self) -> None:
        """Serve until cancelled. Call start() first."""
        assert self.subscription is not None, "start() first"
        async for message in self.subscription:
            await self._slots.acquire()
            task = asyncio.create_task(self._handle(message))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("adapter %s: query failed", self._spec.name, exc_info=task.exception())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.subscription is not None:
            await self.subscription.close()
        await self._client.close()

    async def _handle(self, message: Message) -> None:
        deadline_ms = deadline_of(message)
        if deadline_ms is not None and time.time() * 1000 >= deadline_ms:
            self.stats.expired += 1
            log.debug("%s: query past its deadline dropped", self._spec.name)
            return
        received = await self._inbox.query(message, self._spec)
        if received is None:
            return
        reply_to = received.reply_to
        reply = await self._ask(received.body)
        out = pack_reply(self._keyring, reply, self._spec, reply_to)
        try:
            await self._bus.publish(reply_to, out.key, out.value, out.headers)
        except BusError as error:
            log.error("%s: could not send reply to %s: %s", self._spec.name, reply_to, error)

    async def _ask(self, query: bus_pb2.SystemQuery) -> bus_pb2.SystemReply:
        timeout = max(0.001, query.deadline_unix_ms / 1000 - time.time())
        started = time.monotonic()
        reply = bus_pb2.SystemReply(
            correlation_id=query.correlation_id,
            system=self._spec.value,
            deadline_unix_ms=query.deadline_unix_ms,
        )
        try:
            if not query.HasField("crossing"):
                hits = list(await self._client.search(query, timeout))
            elif self._spec.records_crossings:
                hits = [await self._client.record_crossing(query, timeout)]
            else:
                raise SystemCallFailed(
                    pb.OUTCOME_STATUS_ERROR, f"{self._spec.name} does not record crossings"
                )
        except SystemCallFailed as failure:
            self.stats.failed += 1
            reply.status = failure.status
            reply.detail = failure.detail
        else:
            self.stats.answered += 1
            reply.status = pb.OUTCOME_STATUS_ANSWERED
            reply.hits.extend(hits)
        reply.system_latency_ms = int((time.monotonic() - started) * 1000)
        return reply
