"""The service layer's dispatcher on the bus: fan a check out and gather the replies until
the deadline.

The gateway owns one reply topic. One reader task routes every reply to the check
waiting for it; a reply nobody waits for any more (late) or a second reply from the
same system (duplicate, e.g. after an adapter rebalance) is dropped and counted. The hops
of each answer (queue, call, reply) go into its check's trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from broker.domain.answers import Answer
from broker.domain.systems import System, SystemCatalog
from broker.domain.trace import PUBLISH, CheckTrace, SystemHops
from broker.transport.bus import Bus, BusError, Message, Subscription, TopicSpec
from broker.transport.envelope import Keyring
from broker.transport.inbox import Inbox
from broker.transport.metrics import DUPLICATE, LATE, DispatchMetrics
from broker.transport.timing import add_system_hops, stamped_query
from broker.transport.topics import Kind, Topics
from broker.transport.wire import pack_query
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

log = logging.getLogger(__name__)

_READ_RETRY_S = 0.5
# Replies waiting and none read for this long: the reader is stalled.
_STALL_S = 5.0


@dataclass
class _Pending:
    """One check waiting for its systems: what came (answers) and what is still out."""

    expected: frozenset[System]
    started: float
    trace: CheckTrace
    # The trace's header, as the queries carry it to the adapters.
    traceparent: bytes
    queue: asyncio.Queue[Answer] = field(default_factory=asyncio.Queue)
    seen: set[System] = field(default_factory=set)
    # Systems whose query the bus has not yet taken.
    unsent: set[System] = field(default_factory=set)
    # When each query was handed to the bus (Unix time), for its queue hop.
    sent_at: dict[System, float] = field(default_factory=dict)


class BusDispatcher:
    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        gateway_id: str,
        keyring: Keyring,
        catalog: SystemCatalog,
        metrics: DispatchMetrics | None = None,
    ) -> None:
        self._bus = bus
        self._keyring = keyring
        self._topics = topics
        self._catalog = catalog
        self.reply_topic = topics.reply(gateway_id)
        self._pending: dict[str, _Pending] = {}
        self._subscription: Subscription | None = None
        self._reader: asyncio.Task[None] | None = None
        self.metrics = metrics or DispatchMetrics(CollectorRegistry(), catalog)
        self._hops = {spec.value: SystemHops.of(spec.name) for spec in catalog}
        self._inbox = Inbox(bus, topics, keyring, self.metrics.dead_lettered)
        self._last_reply = time.monotonic()

    def topic_specs(self) -> list[TopicSpec]:
        t = self._topics
        return [
            *(t.spec(t.request(name), Kind.QUERY) for name in self._catalog.names),
            t.spec(self.reply_topic, Kind.REPLY),
            t.spec(t.audit, Kind.AUDIT),
            t.spec(t.dead_letter, Kind.DEAD_LETTER),
        ]

    async def start(self) -> None:
        await self._bus.ensure_topics(self.topic_specs())
        self._subscription = await self._bus.subscribe([self.reply_topic], group=None)
        await self._subscription.ready()
        self._reader = asyncio.create_task(self._read(self._subscription), name="reply-reader")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._subscription is not None:
            await self._subscription.close()

    async def _read(self, subscription: Subscription) -> None:
        """Route replies until stopped; a bus that fails is retried, never given up on."""
        while True:
            try:
                async for message in subscription:
                    await self._receive(message)
                return
            except BusError as error:
                log.error("reading replies failed, retrying: %s", error)
                await asyncio.sleep(_READ_RETRY_S)

    async def trouble(self) -> str | None:
        """Why replies cannot reach their checks now, or None (the gateway's health check)."""
        if self._subscription is None:
            return "the reply topic is not read yet"
        waiting = await self._subscription.lag()
        if waiting and time.monotonic() - self._last_reply > _STALL_S:
            return f"{waiting} replies waiting on {self.reply_topic}, none read (stalled)"
        return None

    async def _receive(self, message: Message) -> None:
        received = time.time()
        self._last_reply = time.monotonic()
        accepted = await self._inbox.reply(message, self._catalog)
        if accepted is not None:
            self._route(accepted.body, message, received)

    def _route(self, reply: bus_pb2.SystemReply, message: Message, received: float) -> None:
        pending = self._pending.get(reply.correlation_id)
        if pending is None:
            self.metrics.dropped(reply.system, LATE)
            log.info("late reply from %s for %s dropped", reply.system, reply.correlation_id)
        elif reply.system not in pending.expected or reply.system in pending.seen:
            self.metrics.dropped(reply.system, DUPLICATE)
            log.info("duplicate reply from %s for %s dropped", reply.system, reply.correlation_id)
        else:
            pending.seen.add(reply.system)
            sent = pending.sent_at.get(reply.system)
            add_system_hops(pending.trace, self._hops[reply.system], sent, message, received)
            self.metrics.waited(reply.system, time.monotonic() - pending.started)
            pending.queue.put_nowait(_answer(reply, pending.started))

    async def ask(
        self,
        correlation_id: str,
        queries: Sequence[bus_pb2.SystemQuery],
        deadline: float,
        trace: CheckTrace,
    ) -> AsyncIterator[Answer]:
        """Publish `queries` and yield one Answer per system as it comes, none after `deadline`.

        `deadline` is on the `time.monotonic()` clock; the queries carry the same instant
        on the wall clock so that adapters can drop what is already too late. Publishing is
        bounded by the deadline too: with the bus down, every system is UNAVAILABLE by then.
        """
        expected = frozenset(q.system for q in queries)
        traceparent = trace.context.traceparent.encode()
        pending = _Pending(expected, time.monotonic(), trace, traceparent)
        pending.unsent.update(pending.expected)
        self._pending[correlation_id] = pending
        sending = [asyncio.create_task(self._publish(q, pending)) for q in queries]
        done: set[System] = set()
        try:
            while len(done) < len(pending.expected):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    # A timeout scope, not wait_for: no task per answer.
                    async with asyncio.timeout(remaining):
                        answer = await pending.queue.get()
                except TimeoutError:
                    break
                done.add(answer.system)
                yield answer
            # Answers routed just before the deadline are answers, not timeouts.
            while not pending.queue.empty():
                answer = pending.queue.get_nowait()
                done.add(answer.system)
                yield answer
            for system in sorted(pending.expected - done):
                yield self._missing(system, pending)
        finally:
            for task in sending:
                task.cancel()
            del self._pending[correlation_id]

    def _missing(self, system: System, pending: _Pending) -> Answer:
        """The answer of a system that gave none by the deadline."""
        elapsed = _elapsed_ms(pending.started)
        self.metrics.waited(system, time.monotonic() - pending.started)
        if system in pending.unsent:
            self.metrics.unsent(system)
            detail = "the bus did not take the query before the deadline (bus unreachable?)"
            return Answer(system, pb.OUTCOME_STATUS_UNAVAILABLE, elapsed, detail=detail)
        return Answer(
            system, pb.OUTCOME_STATUS_TIMEOUT, elapsed, detail="no answer before the deadline"
        )

    async def _publish(self, query: bus_pb2.SystemQuery, pending: _Pending) -> None:
        system = self._catalog.spec(query.system)
        name, topic = system.name, self._topics.request(system.name)
        out = pack_query(self._keyring, query, system, topic, self.reply_topic)
        sent = pending.sent_at[query.system] = time.time()
        headers = stamped_query(out.headers, pending.traceparent, sent)
        try:
            await self._bus.publish(topic, out.key, out.value, headers)
        except BusError as error:
            log.error("could not send query to %s: %s", name, error)
            if query.system not in pending.seen:
                pending.seen.add(query.system)
                detail = f"bus: {error}"
                pending.queue.put_nowait(
                    Answer(query.system, pb.OUTCOME_STATUS_UNAVAILABLE, 0, detail=detail)
                )
        else:
            pending.unsent.discard(query.system)
            if not pending.unsent:
                pending.trace.lap(PUBLISH, time.monotonic())


def _elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _answer(reply: bus_pb2.SystemReply, started: float) -> Answer:
    return Answer(reply.system, reply.status, _elapsed_ms(started), tuple(reply.hits), reply.detail)
