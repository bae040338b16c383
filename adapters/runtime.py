"""The adapter loop: consume a system's request topic as a group member, answer each query.

Queries are handled concurrently (up to `concurrency` at once) so one slow call to the
system does not hold up the others; a query already past its deadline is dropped
unopened, since the gateway has stopped waiting for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import grpc

from adapters.registry import AdapterSpec
from broker.bus import Bus, BusError, Message, Subscription
from broker.config import Topics
from broker.envelope import Keyring
from broker.wire import (
    TEST_SESSION_HEADER,
    UnreadableMessage,
    deadline_of,
    pack_reply,
    unpack_query,
)
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

log = logging.getLogger(__name__)

_STATUS = {
    grpc.StatusCode.UNAVAILABLE: pb.OUTCOME_STATUS_UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: pb.OUTCOME_STATUS_TIMEOUT,
    grpc.StatusCode.PERMISSION_DENIED: pb.OUTCOME_STATUS_NOT_PERMITTED,
}


class _NotSupported(Exception):
    """The query asks the system for something it does not do."""


@dataclass
class AdapterStats:
    answered: int = 0
    expired: int = 0
    failed: int = 0
    dead_lettered: int = 0


class Adapter:
    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        spec: AdapterSpec,
        address: str,
        keyring: Keyring,
        concurrency: int = 64,
    ) -> None:
        self._bus = bus
        self._keyring = keyring
        self._topics = topics
        self._spec = spec
        self._address = address
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._channel: grpc.aio.Channel | None = None
        self._stub: object = None
        self.subscription: Subscription | None = None
        self.stats = AdapterStats()

    @property
    def group(self) -> str:
        return f"interop.adapter.{self._spec.name}"

    async def start(self) -> None:
        # A system that comes back should be used again within a second or two, not after
        # gRPC's default reconnect backoff of up to two minutes.
        self._channel = grpc.aio.insecure_channel(
            self._address,
            options=[
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.min_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 2000),
            ],
        )
        self._stub = self._spec.stub(self._channel)
        topics = self._topics
        await self._bus.ensure_topics(
            [topics.spec(topics.request(self._spec.name)), topics.spec(topics.dead_letter, False)]
        )
        self.subscription = await self._bus.subscribe(
            [self._topics.request(self._spec.name)], group=self.group
        )
        await self.subscription.ready()
        log.info(
            "adapter %s ready: group %s, system at %s", self._spec.name, self.group, self._address
        )

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
        if self._channel is not None:
            await self._channel.close()

    async def _handle(self, message: Message) -> None:
        deadline_ms = deadline_of(message)
        if deadline_ms is not None and time.time() * 1000 >= deadline_ms:
            self.stats.expired += 1
            log.debug("%s: query past its deadline dropped", self._spec.name)
            return
        try:
            query, reply_to = unpack_query(self._keyring, message)
        except UnreadableMessage as error:
            await self._dead_letter(message, str(error))
            return
        reply = await self._ask(query)
        out = pack_reply(self._keyring, reply)
        try:
            await self._bus.publish(reply_to, out.key, out.value, out.headers)
        except BusError as error:
            log.error("%s: could not send reply to %s: %s", self._spec.name, reply_to, error)

    async def _ask(self, query: bus_pb2.SystemQuery) -> bus_pb2.SystemReply:
        timeout = max(0.001, query.deadline_unix_ms / 1000 - time.time())
        metadata = ((TEST_SESSION_HEADER, query.test_session),) if query.test_session else None
        started = time.monotonic()
        reply = bus_pb2.SystemReply(correlation_id=query.correlation_id, system=self._spec.system)
        stub: Any = self._stub
        try:
            if query.HasField("crossing"):
                if not hasattr(stub, "RecordCrossing"):
                    raise _NotSupported(f"{self._spec.name} does not record crossings")
                request = mock_pb2.RecordCrossingRequest(
                    traveller=query.traveller, crossing=query.crossing
                )
                matches = [await stub.RecordCrossing(request, timeout=timeout, metadata=metadata)]
            else:
                search = mock_pb2.SearchRequest(
                    traveller=query.traveller, purpose=query.purpose, authority=query.authority
                )
                response = await stub.Search(search, timeout=timeout, metadata=metadata)
                matches = list(response.matches)
        except grpc.aio.AioRpcError as error:
            self.stats.failed += 1
            reply.status = _STATUS.get(error.code(), pb.OUTCOME_STATUS_ERROR)
            reply.detail = f"{error.code().name}: {error.details()}"
        except _NotSupported as error:
            reply.status = pb.OUTCOME_STATUS_ERROR
            reply.detail = str(error)
        else:
            self.stats.answered += 1
            reply.status = pb.OUTCOME_STATUS_ANSWERED
            reply.hits.extend(self._spec.translate(m) for m in matches)
        reply.system_latency_ms = int((time.monotonic() - started) * 1000)
        return reply

    async def _dead_letter(self, message: Message, reason: str) -> None:
        self.stats.dead_lettered += 1
        log.warning("%s: unreadable query sent to dead-letter topic: %s", self._spec.name, reason)
        headers = {
            **message.headers,
            "dead-letter-reason": reason.encode(),
            "source-topic": message.topic.encode(),
        }
        try:
            await self._bus.publish(self._topics.dead_letter, message.key, message.value, headers)
        except BusError as error:
            log.error("%s: dead-letter publish failed: %s", self._spec.name, error)
