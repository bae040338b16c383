"""The Kafka bus on librdkafka (confluent-kafka): the same contract, the protocol work in C.

aiokafka encodes and decodes every Kafka request in Python; for the small messages of a
border check that is most of an adapter's CPU. librdkafka does it in its own threads,
outside the GIL. The asyncio side is a thin bridge:

- **Publishing**: `produce()` queues the record at once; one thread per producer serves
  delivery reports (`poll`) and resolves the waiting futures on the event loop in one hop
  per batch of reports, not one per record. `publish` returns once the broker has the
  record (`acks=1`; `durable=True` goes through a second, idempotent producer with
  `acks=all`, started on first use).
- **Consuming**: one thread per subscription waits for a record (at most 200 ms at a
  time), takes what else has been fetched with it (up to 500) and hands the batch to the
  event loop in one hop; the subscription yields them one by one. While the loop has
  `_MAX_BUFFERED` records not handed out, the thread waits, so a slow consumer does not
  pull a whole topic into memory. The group commits (every second, and on close) the
  offsets of the records handed out, not of those fetched: what a member that goes had
  fetched but not handed out is read by the member taking its partitions over.
- A group subscription is ready when the group has assigned its partitions (maybe none);
  a group-less one assigns every partition at its current end offset, read before
  `subscribe` returns, so it sees exactly what is published after.

Settings mirror the aiokafka bus (`linger.ms`, `fetch.wait.max.ms`, session and heartbeat
times), and unknown topics are refused the same way (`BusError`, no auto-creation).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future as ThreadFuture
from typing import Any

from confluent_kafka import (
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka import (
    Message as RdMessage,
)
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from broker.transport.bus.base import BusError, Message, TopicSpec
from broker.transport.bus.kafka_base import KafkaBusBase

log = logging.getLogger(__name__)

_PROBE_TOPIC = "__interop_probe"
_CONSUME_BATCH = 500
_CONSUME_WAIT_S = 0.2
_MAX_BUFFERED = 2000
_POLL_WAIT_S = 0.1
# How often the pump thread reads how far behind the consumer is.
_LAG_READ_S = 0.1


# Errors while a partition's leader is being elected or its metadata is not known yet.
_LEADER_MOVING = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError._TIMED_OUT,
        KafkaError._TRANSPORT,
    }
)


def _kafka_error(exc: BaseException) -> KafkaError | None:
    if isinstance(exc, KafkaException) and exc.args and isinstance(exc.args[0], KafkaError):
        return exc.args[0]
    return None


class _Delivery:
    """A producer and the thread that serves its delivery reports."""

    def __init__(self, config: dict[str, Any], name: str) -> None:
        self.producer = Producer(config)
        self._done: list[tuple[asyncio.Future[None], KafkaError | None]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            self.producer.poll(_POLL_WAIT_S)
            self._hand_over()
        self.producer.flush(2.0)
        self._hand_over()

    def _hand_over(self) -> None:
        if self._done and self._loop is not None:
            done, self._done = self._done, []
            try:
                self._loop.call_soon_threadsafe(_settle, done)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass

    def send(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        headers: list[tuple[str, str | bytes | None]],
    ) -> asyncio.Future[None]:
        assert self._loop is not None
        future: asyncio.Future[None] = self._loop.create_future()

        def delivered(err: KafkaError | None, _msg: Any) -> None:
            self._done.append((future, err))

        self.producer.produce(topic, value, key, headers=headers, on_delivery=delivered)
        return future

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(5.0)


def _settle(done: list[tuple[asyncio.Future[None], KafkaError | None]]) -> None:
    for future, err in done:
        if future.done():
            continue
        if err is None:
            future.set_result(None)
        else:
            future.set_exception(BusError(f"publishing failed: {err.str()}"))


class RdKafkaSubscription:
    """One librdkafka consumer fed by its own thread; iterate to receive."""

    def __init__(
        self,
        consumer: Consumer,
        group: str | None,
        loop: asyncio.AbstractEventLoop,
        ready_timeout_s: float,
    ) -> None:
        self._consumer = consumer
        self.group = group
        self._loop = loop
        self._ready_timeout_s = ready_timeout_s
        self._buffer: deque[RdMessage] = deque()
        self._arrived = asyncio.Event()
        self._assigned = asyncio.Event()
        self._assignment: frozenset[tuple[str, int]] = frozenset()
        # Per partition: the end offset and the consumer's position, read by the pump
        # thread (a librdkafka consumer answers one caller at a time).
        self._behind: dict[tuple[str, int], int] = {}
        self._behind_read = 0.0
        # Per partition, the offset after the last record handed out, and what was stored.
        self._handed: dict[tuple[str, int], int] = {}
        self._stored: dict[tuple[str, int], int] = {}
        self._failure: BaseException | None = None
        self._closed = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._pump, name=f"consume-{group}", daemon=True)

    # Called by librdkafka inside consume(), on the pump thread.
    def on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assignment = frozenset((tp.topic, tp.partition) for tp in partitions)
        self._call(self._assigned.set)

    def on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assignment = frozenset()

    def start(self, assigned: frozenset[tuple[str, int]] | None) -> None:
        if assigned is not None:
            self._assignment = assigned
            self._assigned.set()
        self._thread.start()

    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed
            self._stopping.set()

    def _pump(self) -> None:
        while not self._stopping.is_set():
            if len(self._buffer) >= _MAX_BUFFERED:
                time.sleep(0.005)
                continue
            try:
                # consume(n, timeout) waits for n records or the timeout; poll returns
                # with the first record, and what else is fetched already comes with it.
                first = self._consumer.poll(_CONSUME_WAIT_S)
                if first is None:
                    batch = []
                else:
                    batch = [first, *self._consumer.consume(_CONSUME_BATCH - 1, 0)]
            except (KafkaException, RuntimeError) as exc:
                if self._stopping.is_set():
                    return
                self._call(self._fail, exc)
                return
            records = [m for m in batch if m.error() is None]
            for bad in batch:
                err = bad.error()
                if err is not None and err.code() != KafkaError._PARTITION_EOF:
                    log.warning("consumer of group %s: %s", self.group, err.str())
            if records:
                self._call(self._deliver, records)
            self._store_handed_out()
            if time.monotonic() - self._behind_read >= _LAG_READ_S:
                self._read_behind()

    def _read_behind(self) -> None:
        """Records after the consumer's position per partition, from cached end offsets."""
        self._behind_read = time.monotonic()
        behind: dict[tuple[str, int], int] = {}
        try:
            positions = self._consumer.position([TopicPartition(t, p) for t, p in self._assignment])
            for tp in positions:
                _, high = self._consumer.get_watermark_offsets(tp, cached=True)
                known = high >= 0 and tp.offset >= 0
                behind[(tp.topic, tp.partition)] = max(0, high - tp.offset) if known else 0
        except (KafkaException, RuntimeError):
            return
        self._behind = behind

    def _deliver(self, records: list[RdMessage]) -> None:
        self._buffer.extend(records)
        self._arrived.set()

    def _fail(self, exc: BaseException) -> None:
        self._failure = exc
        self._arrived.set()

    def __aiter__(self) -> RdKafkaSubscription:
        return self

    async def __anext__(self) -> Message:
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            if self._failure is not None:
                raise BusError(f"receiving failed: {self._failure}")
            self._arrived.clear()
            await self._arrived.wait()
        record = self._buffer.popleft()
        self._handed[(record.topic() or "", record.partition() or 0)] = (record.offset() or 0) + 1
        return _message(record)

    async def ready(self) -> None:
        if self._closed:
            raise BusError("subscription is closed")
        try:
            await asyncio.wait_for(self._assigned.wait(), self._ready_timeout_s)
        except TimeoutError:
            raise BusError(
                f"group {self.group!r} got no partition assignment within "
                f"{self._ready_timeout_s:g}s"
            ) from None

    def assigned_partitions(self) -> frozenset[tuple[str, int]]:
        return frozenset() if self._closed else self._assignment

    async def lag(self) -> int:
        return sum((await self.partition_lag()).values())

    async def partition_lag(self) -> dict[tuple[str, int], int]:
        waiting: Counter[tuple[str, int]] = Counter(
            (m.topic() or "", m.partition() or 0) for m in self._buffer
        )
        if self._closed:
            return dict(waiting)
        for key in self._assignment:
            waiting[key] += self._behind.get(key, 0)
        return dict(waiting)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self._arrived.set()
        await asyncio.to_thread(self._thread.join, 5.0)
        await asyncio.to_thread(self._leave)

    def _leave(self) -> None:
        try:
            self._store_handed_out()
        finally:
            try:
                self._consumer.close()  # commits the stored offsets and leaves the group
            except (KafkaException, RuntimeError) as exc:
                log.warning("closing a consumer failed: %s", exc)

    def _store_handed_out(self) -> None:
        """Store, for the group's next commit, the offset after the last record handed out
        per partition (on the pump thread: a consumer answers one caller at a time).
        Records fetched but not handed out are not stored: when this member goes, the
        member taking the partition over reads them."""
        if self.group is None:
            return
        handed = dict(self._handed)
        if handed == self._stored:
            return
        try:
            self._consumer.store_offsets(
                offsets=[TopicPartition(t, p, offset) for (t, p), offset in handed.items()]
            )
        except KafkaException as exc:  # a partition just given away: its next owner stores
            log.debug("storing offsets failed: %s", exc)
            return
        self._stored = handed


class RdKafkaBus(KafkaBusBase):
    """The `Bus` port on librdkafka."""

    def __init__(self, bootstrap: str, client_id: str, **settings: Any) -> None:
        super().__init__(bootstrap, client_id, **settings)
        self._producer: _Delivery | None = None
        self._durable: _Delivery | None = None
        self._admin: AdminClient | None = None
        self._subscriptions: list[RdKafkaSubscription] = []

    def _base(self) -> dict[str, Any]:
        return {
            "bootstrap.servers": self.bootstrap,
            "client.id": self.client_id,
            "socket.timeout.ms": self._request_timeout_ms,
            "reconnect.backoff.ms": 20,
            "reconnect.backoff.max.ms": 1000,
            "log_level": 3,
            "logger": log,
        }

    def _producer_config(self, durable: bool) -> dict[str, Any]:
        config = self._base() | {
            "acks": "all" if durable else str(self._acks),
            "linger.ms": self._linger_ms,
            "message.timeout.ms": self._request_timeout_ms * 2,
            "retry.backoff.ms": 20,
        }
        if durable:
            config["enable.idempotence"] = True
        return config

    async def start(self) -> None:
        if self._producer is not None:
            return
        admin = AdminClient(self._base())
        try:
            await asyncio.to_thread(admin.list_topics, _PROBE_TOPIC, self.connect_timeout_s)
        except KafkaException as exc:
            err = _kafka_error(exc)
            if err is not None and err.code() in (
                KafkaError._TRANSPORT,
                KafkaError._TIMED_OUT,
                KafkaError._ALL_BROKERS_DOWN,
            ):
                silent = await asyncio.to_thread(_accepts_connections, self.bootstrap)
                raise self._unavailable(
                    f"no answer within {self.connect_timeout_s:g}s"
                    if silent
                    else "connection refused or unreachable"
                ) from None
            raise BusError(f"connecting to {self.bootstrap} failed: {exc}") from None
        producer = _Delivery(self._producer_config(durable=False), f"deliver-{self.client_id}")
        producer.start(asyncio.get_running_loop())
        self._producer = producer
        self._admin = admin

    async def stop(self) -> None:
        subs, self._subscriptions = self._subscriptions, []
        for sub in subs:
            await sub.close()
        for delivery in (self._producer, self._durable):
            if delivery is not None:
                await asyncio.to_thread(delivery.stop)
        self._producer = self._durable = None
        self._admin = None

    def _started(self) -> tuple[_Delivery, AdminClient]:
        if self._producer is None or self._admin is None:
            raise BusError(f"bus {self.client_id!r} is not started")
        return self._producer, self._admin

    async def reachable(self, timeout_s: float) -> bool:
        _, admin = self._started()
        try:
            await asyncio.wait_for(
                asyncio.to_thread(admin.list_topics, _PROBE_TOPIC, timeout_s), timeout_s + 0.5
            )
        except (TimeoutError, KafkaException):
            return False
        return True

    # -- topics ---------------------------------------------------------------------------

    async def _leaders(self, names: Sequence[str]) -> dict[str, list[int]]:
        _, admin = self._started()
        found: dict[str, list[int]] = {}
        for name in names:
            try:
                metadata = await asyncio.to_thread(
                    admin.list_topics, name, self._request_timeout_ms / 1000
                )
            except KafkaException as exc:
                raise BusError(f"describing topic {name!r} failed: {exc}") from exc
            topic = metadata.topics.get(name)
            if topic is None or topic.error is not None or not topic.partitions:
                continue
            found[name] = [topic.partitions[p].leader for p in sorted(topic.partitions)]
        return found

    async def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        _, admin = self._started()
        if not topics:
            return
        existing = await self._leaders([spec.name for spec in topics])
        new = [
            NewTopic(
                spec.name,
                spec.partitions,
                spec.replication,
                config=spec.configs(),
            )
            for spec in topics
            if spec.name not in existing
        ]
        if new:
            futures: dict[str, ThreadFuture[None]] = admin.create_topics(
                new, request_timeout=self._request_timeout_ms / 1000
            )
            for name, future in futures.items():
                try:
                    await asyncio.wrap_future(future)
                except KafkaException as exc:
                    err = _kafka_error(exc)
                    if err is None or err.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                        raise BusError(f"creating topic {name!r} failed: {exc}") from exc
        await self._wait_for_leaders([spec.name for spec in topics])

    # -- records --------------------------------------------------------------------------

    async def publish(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        headers: Mapping[str, bytes] | None = None,
        *,
        durable: bool = False,
    ) -> None:
        delivery, _ = self._started()
        if durable:
            delivery = self._durable_producer()
        if topic not in self._known_topics:
            await self._partitions([topic])
        try:
            future = delivery.send(
                topic, key, value, [(name, bytes(v)) for name, v in (headers or {}).items()]
            )
        except (KafkaException, BufferError) as exc:
            raise BusError(f"publishing to {topic!r} failed: {exc}") from exc
        await future

    def _durable_producer(self) -> _Delivery:
        if self._durable is None:
            durable = _Delivery(self._producer_config(durable=True), f"durable-{self.client_id}")
            durable.start(asyncio.get_running_loop())
            self._durable = durable
        return self._durable

    async def subscribe(self, topics: Sequence[str], group: str | None) -> RdKafkaSubscription:
        self._started()
        if not topics:
            raise BusError("subscribe needs at least one topic")
        names = list(dict.fromkeys(topics))
        partitions = await self._partitions(names)
        config = self._base() | {
            "group.id": group if group is not None else f"{self.client_id}-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest" if group is not None else "latest",
            "enable.auto.commit": group is not None,
            # Offsets are stored as records are handed out, not as they are fetched.
            "enable.auto.offset.store": False,
            "auto.commit.interval.ms": self._auto_commit_interval_ms,
            "fetch.min.bytes": 1,
            "fetch.wait.max.ms": self._fetch_max_wait_ms,
            "session.timeout.ms": self._session_timeout_ms,
            "heartbeat.interval.ms": self._heartbeat_interval_ms,
            "topic.metadata.refresh.interval.ms": 5000,
            "enable.partition.eof": False,
        }
        consumer = Consumer(config)
        sub = RdKafkaSubscription(consumer, group, asyncio.get_running_loop(), self.ready_timeout_s)
        try:
            if group is not None:
                consumer.subscribe(names, on_assign=sub.on_assign, on_revoke=sub.on_revoke)
                sub.start(None)
            else:
                tps = await asyncio.to_thread(self._at_end, consumer, names, partitions)
                consumer.assign(tps)
                sub.start(frozenset((tp.topic, tp.partition) for tp in tps))
        except BaseException:
            await asyncio.to_thread(consumer.close)
            raise
        self._subscriptions = [s for s in self._subscriptions if not s._closed]
        self._subscriptions.append(sub)
        return sub

    def _at_end(
        self, consumer: Consumer, names: Sequence[str], partitions: Mapping[str, int]
    ) -> list[TopicPartition]:
        """Every partition of `names` at its end offset now (read, not resolved later)."""
        tps = []
        for name in names:
            for p in range(partitions[name]):
                tp = TopicPartition(name, p, OFFSET_END)
                tp.offset = self._end_of(consumer, tp)
                tps.append(tp)
        return tps

    def _end_of(self, consumer: Consumer, tp: TopicPartition) -> int:
        """The partition's end offset; retried while its leader moves (a new topic's
        metadata, a broker that just failed over)."""
        give_up = time.monotonic() + self._request_timeout_ms / 1000
        while True:
            try:
                _, high = consumer.get_watermark_offsets(
                    tp, timeout=self._request_timeout_ms / 1000
                )
                return int(high)
            except KafkaException as exc:
                err = _kafka_error(exc)
                moving = err is not None and (err.retriable() or err.code() in _LEADER_MOVING)
                if not moving or time.monotonic() > give_up:
                    raise BusError(
                        f"reading the end of {tp.topic}[{tp.partition}] failed: {exc}"
                    ) from exc
                time.sleep(0.05)


def _accepts_connections(bootstrap: str) -> bool:
    """Whether some bootstrap address takes a TCP connection (a broker that is silent,
    or another service), as against none listening."""
    for address in bootstrap.split(","):
        host, _, port = address.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1.0):
                return True
        except (OSError, ValueError):
            continue
    return False


def _message(record: RdMessage) -> Message:
    headers: Any = record.headers()  # a list of (name, value) pairs, or None
    return Message(
        topic=record.topic() or "",
        key=record.key() or b"",
        value=record.value() or b"",
        headers={name: bytes(value or b"") for name, value in headers} if headers else {},
        partition=record.partition() or 0,
        offset=record.offset() or 0,
    )
