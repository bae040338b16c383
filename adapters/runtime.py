"""The adapter loop: consume a system's request topic as a group member, answer each query.

Queries are handled concurrently (up to `concurrency` at once) so one slow call to the
system does not hold up the others; a query already past its deadline is dropped
unopened, since the gateway has stopped waiting for it. Each query's call continues the
check's trace, and the reply says when the call began and ended (the gateway's hop times).
"""

from __future__ import annotations

import asyncio
import logging
import time

from adapters.metrics import AdapterMetrics
from adapters.port import BorderSystemClient, SystemCallFailed
from broker.domain.systems import SystemSpec
from broker.domain.trace import TraceContext
from broker.transport.bus import Bus, BusError, Message, Subscription
from broker.transport.envelope import Keyring
from broker.transport.inbox import Inbox
from broker.transport.timing import CallTimes, sent_at, stamped_reply, traceparent_of
from broker.transport.topics import Kind, Topics
from broker.transport.wire import deadline_of, pack_reply
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

log = logging.getLogger(__name__)

# A query with less time left than this cannot be asked and answered before its deadline.
MIN_REMAINING_MS = 5
# How long a stopping adapter waits for the queries in hand (their deadlines end them sooner).
DRAIN_S = 5.0
# How long leaving the group may take on stop. Leaving while the group rebalances can wait
# on the rebalance; past this the member just goes, and the group coordinator reassigns
# its partitions when its session times out (what a crash would cost, no more).
LEAVE_S = 3.0
# A consumer with more queries waiting than this is far behind; one holding queries and
# taking none for STALL_S is stalled (e.g. stuck in a rebalance): either is unhealthy.
MAX_LAG = 1000
STALL_S = 5.0


class Adapter:
    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        spec: SystemSpec,
        client: BorderSystemClient,
        keyring: Keyring,
        concurrency: int = 64,
        metrics: AdapterMetrics | None = None,
    ) -> None:
        self._bus = bus
        self._keyring = keyring
        self._topics = topics
        self._spec = spec
        self._client = client
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self.subscription: Subscription | None = None
        self.metrics = metrics or AdapterMetrics.alone(spec.name)
        self._last_taken = time.monotonic()
        self._inbox = Inbox(bus, topics, keyring, self.metrics.dead_lettered)

    @property
    def group(self) -> str:
        return f"interop.adapter.{self._spec.name}"

    async def start(self) -> None:
        topics = self._topics
        request_topic = topics.request(self._spec.name)
        await self._bus.ensure_topics(
            [
                topics.spec(request_topic, Kind.QUERY),
                topics.spec(topics.dead_letter, Kind.DEAD_LETTER),
            ]
        )
        self.subscription = await self._bus.subscribe([request_topic], group=self.group)
        await self.subscription.ready()
        log.info("adapter %s ready: group %s", self._spec.name, self.group)

    async def run(self) -> None:
        """Serve until cancelled. Call start() first."""
        assert self.subscription is not None, "start() first"
        async for message in self.subscription:
            self._last_taken = time.monotonic()
            await self._slots.acquire()
            task = asyncio.create_task(self._handle(message))
            self._tasks.add(task)
            task.add_done_callback(self._done)

    async def trouble(self) -> str | None:
        """Why this adapter cannot do its work now, or None (its health check)."""
        if self.subscription is None:
            return f"adapter {self._spec.name} is not consuming yet"
        if not self.subscription.assigned_partitions():
            return f"adapter {self._spec.name}: no partition assigned in group {self.group}"
        waiting = await self.subscription.lag()
        if waiting > MAX_LAG:
            return f"adapter {self._spec.name}: {waiting} queries waiting (far behind)"
        if waiting and time.monotonic() - self._last_taken > STALL_S:
            return f"adapter {self._spec.name}: {waiting} queries waiting, none taken (stalled)"
        return None

    async def measure_lag(self) -> None:
        """Read how far behind each owned partition is into the metrics (before a scrape)."""
        if self.subscription is not None:
            self.metrics.lag(await self.subscription.partition_lag())

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("adapter %s: query failed", self._spec.name, exc_info=task.exception())

    async def stop(self, drain_s: float = DRAIN_S) -> None:
        """Leave the group, committing what was consumed, then finish the queries in hand
        (each is bounded by its deadline, all by `drain_s`). Call after run() has stopped.

        Leaving first hands the partitions to the other members at once: queries that
        arrive meanwhile would otherwise wait, unread, until the drain is over."""
        if self.subscription is not None:
            try:
                await asyncio.wait_for(self.subscription.close(), LEAVE_S)
            except TimeoutError:
                log.warning(
                    "adapter %s: leaving group %s took over %.0f s; stopping without it "
                    "(the group reassigns its partitions when its session times out)",
                    self._spec.name,
                    self.group,
                    LEAVE_S,
                )
        if self._tasks:
            log.info("adapter %s: finishing %d queries", self._spec.name, len(self._tasks))
            _, late = await asyncio.wait(set(self._tasks), timeout=drain_s)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self._client.close()
        # What this replica did, for operators comparing the members of a group.
        ended = ", ".join(f"{count} {outcome}" for outcome, count in self.metrics.ended().items())
        log.info("adapter %s stopped: %s", self._spec.name, ended)

    async def _handle(self, message: Message) -> None:
        deadline_ms = deadline_of(message)
        if deadline_ms is not None and time.time() * 1000 >= deadline_ms - MIN_REMAINING_MS:
            # The gateway gives up at the deadline: an answer now would come too late, and
            # asking the system would delay the queries behind this one.
            self.metrics.expired.inc()
            log.debug("%s: query at or past its deadline dropped", self._spec.name)
            return
        received = await self._inbox.query(message, self._spec)
        if received is None:
            return
        reply_to = received.reply_to
        trace = TraceContext.continuing(traceparent_of(message))
        reply, call = await self._ask(received.body, trace)
        self._observe(message, call)
        out = pack_reply(self._keyring, reply, self._spec, reply_to)
        try:
            await self._bus.publish(reply_to, out.key, out.value, stamped_reply(out.headers, call))
        except BusError as error:
            log.error("%s: could not send reply to %s: %s", self._spec.name, reply_to, error)

    async def _ask(
        self, query: bus_pb2.SystemQuery, trace: TraceContext
    ) -> tuple[bus_pb2.SystemReply, CallTimes]:
        started = time.time()
        timeout = max(0.001, query.deadline_unix_ms / 1000 - started)
        reply = bus_pb2.SystemReply(
            correlation_id=query.correlation_id,
            system=self._spec.value,
            deadline_unix_ms=query.deadline_unix_ms,
        )
        try:
            if not query.HasField("crossing"):
                hits = list(await self._client.search(query, timeout, trace))
            elif self._spec.records_crossings:
                hits = [await self._client.record_crossing(query, timeout, trace)]
            else:
                raise SystemCallFailed(
                    pb.OUTCOME_STATUS_ERROR, f"{self._spec.name} does not record crossings"
                )
        except SystemCallFailed as failure:
            self.metrics.failed.inc()
            reply.status = failure.status
            reply.detail = failure.detail
        else:
            self.metrics.answered.inc()
            reply.status = pb.OUTCOME_STATUS_ANSWERED
            reply.hits.extend(hits)
        call = CallTimes(started, time.time())
        reply.system_latency_ms = int(call.seconds * 1000)
        return reply, call

    def _observe(self, message: Message, call: CallTimes) -> None:
        """The query's wait since the gateway sent it, and the system call's time."""
        sent = sent_at(message)
        if sent is not None:
            self.metrics.queue_wait.observe(max(0.0, call.started - sent))
        self.metrics.system_call.observe(call.seconds)
