"""The Kafka bus: aiokafka against an Apache Kafka broker (KRaft), tuned for latency.

- `start()` connects a producer and an admin client; when no broker answers within
  `connect_timeout_s` it raises `BusUnavailable` with one line saying where it looked and
  what to do, instead of retrying for ever.
- `ensure_topics()` creates the missing topics (partitions, replication, `retention.ms`,
  `min.insync.replicas`) and waits until every partition has a leader, so a publish or
  subscribe right after works. Existing topics are left as they are.
- Topics are not auto-created: the broker started by deploy/kafka/kafka.sh has
  `auto.create.topics.enable=false`, and `publish`/`subscribe` on a topic the cluster does
  not know raise `BusError` at once (the in-memory bus does the same).
- A group subscription is an `AIOKafkaConsumer` in that group (earliest offset for a new
  group, auto-commit); `ready()` waits for the group join to complete. Consumers refresh
  their metadata every `metadata_max_age_ms` (5 s; aiokafka's default is 5 min): a member
  that joined before a new topic's metadata reached the broker it asked is given no
  partition, and only a metadata change makes the group rebalance again (on a 3-broker
  cluster that left an adapter unassigned for minutes).
- A group-less subscription assigns itself every partition, seeks to the end and resolves
  the positions before `ready()` returns, so it sees exactly what is published after.

Latency and CPU: the producer waits `linger_ms` (default 1 ms) so that the messages of
concurrent checks leave in one request instead of one request each, with `acks=1` (on one
node "all" is the same round trip; a `durable` publish goes through a second producer with
`acks=all`, started on first use); consumers ask the broker to answer fetches as soon as
one byte is there (`fetch_min_bytes=1`) and hold an empty fetch up to `fetch_max_wait_ms`
(half a second: an idle consumer asks twice a second, and a record still comes at once),
and hand out the records of a fetch one by one from a local buffer (`getmany`), so a busy
consumer pays for one fetch per batch, not per record.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import ConsumerStoppedError, KafkaConnectionError, KafkaError
from aiokafka.structs import ConsumerRecord

from broker.transport.bus.base import BusError, Message, TopicSpec
from broker.transport.bus.kafka_base import KafkaBusBase

log = logging.getLogger(__name__)

# How long one `getmany` waits for records before looking again, and how many it takes.
_FETCH_POLL_MS = 1000
_MAX_RECORDS_PER_POLL = 500
# Asked about when probing the bus; it need not exist.
_PROBE_TOPIC = "__interop_probe"
TOPIC_ALREADY_EXISTS = 36
UNKNOWN_TOPIC_OR_PARTITION = 3
LEADER_NOT_AVAILABLE = 5


class _ReadyListener(ConsumerRebalanceListener):  # type: ignore[misc]
    """Marks a group member ready once the group has given it its partitions (maybe none)."""

    def __init__(self) -> None:
        self.assigned = asyncio.Event()

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.assigned.set()


class KafkaSubscription:
    """One aiokafka consumer; iterate to receive, `close()` to leave the group."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        group: str | None,
        listener: _ReadyListener | None,
        ready_timeout_s: float,
    ) -> None:
        self._consumer = consumer
        self.group = group
        self._listener = listener
        self._ready_timeout_s = ready_timeout_s
        self._closed = False
        self._buffer: deque[ConsumerRecord[bytes, bytes]] = deque()

    def __aiter__(self) -> KafkaSubscription:
        return self

    async def __anext__(self) -> Message:
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            try:
                batches = await self._consumer.getmany(
                    timeout_ms=_FETCH_POLL_MS, max_records=_MAX_RECORDS_PER_POLL
                )
            except ConsumerStoppedError:
                raise StopAsyncIteration from None
            except KafkaError as exc:
                raise BusError(f"receiving failed: {exc}") from exc
            for records in batches.values():
                self._buffer.extend(records)
        return _message(self._buffer.popleft())

    async def ready(self) -> None:
        if self._closed:
            raise BusError("subscription is closed")
        if self._listener is None:
            return  # group-less: positioned before subscribe() returned
        try:
            await asyncio.wait_for(self._listener.assigned.wait(), self._ready_timeout_s)
        except TimeoutError:
            raise BusError(
                f"group {self.group!r} got no partition assignment within "
                f"{self._ready_timeout_s:g}s"
            ) from None

    def assigned_partitions(self) -> frozenset[tuple[str, int]]:
        if self._closed:
            return frozenset()
        return frozenset((tp.topic, tp.partition) for tp in self._consumer.assignment())

    async def lag(self) -> int:
        return sum((await self.partition_lag()).values())

    async def partition_lag(self) -> dict[tuple[str, int], int]:
        # Records fetched but not handed out yet are behind the consumer's position.
        waiting = Counter((r.topic, r.partition) for r in self._buffer)
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            key = (tp.topic, tp.partition)
            waiting[key] += max(0, high - await self._consumer.position(tp)) if high else 0
        return dict(waiting)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.group is not None:
            self._hand_back()
        try:
            await self._consumer.stop()
        except KafkaError as exc:  # leaving the group is best effort
            log.warning("closing a consumer failed: %s", exc)

    def _hand_back(self) -> None:
        """Records fetched but not handed out yet go back to the group: the position that
        stop() commits is moved back to the first of them on each partition, so that the
        member taking the partition over reads them (they were lost with the member)."""
        first: dict[TopicPartition, int] = {}
        for record in self._buffer:
            tp = TopicPartition(record.topic, record.partition)
            first[tp] = min(first.get(tp, record.offset), record.offset)
        self._buffer.clear()
        for tp, offset in first.items():
            try:
                self._consumer.seek(tp, offset)
            except (KafkaError, ValueError) as exc:  # no longer assigned: nothing to commit
                log.warning("handing back %s from offset %d failed: %s", tp, offset, exc)


class KafkaBus(KafkaBusBase):
    """The `Bus` port on aiokafka."""

    def __init__(self, bootstrap: str, client_id: str, **settings: Any) -> None:
        super().__init__(bootstrap, client_id, **settings)
        self._producer: AIOKafkaProducer | None = None
        self._durable: AIOKafkaProducer | None = None
        self._durable_starting = asyncio.Lock()
        self._admin: AIOKafkaAdminClient | None = None
        self._subscriptions: list[KafkaSubscription] = []

    # -- lifecycle ------------------------------------------------------------------------

    async def _connect(self, what: str, start: Any) -> None:
        try:
            await asyncio.wait_for(start(), self.connect_timeout_s)
        except TimeoutError:
            raise self._unavailable(
                f"{what}: no answer within {self.connect_timeout_s:g}s"
            ) from None
        except (KafkaConnectionError, OSError):
            raise self._unavailable(f"{what}: connection refused or unreachable") from None
        except KafkaError as exc:
            raise BusError(f"connecting the {what} to {self.bootstrap} failed: {exc}") from None

    async def start(self) -> None:
        if self._producer is not None:
            return
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks=self._acks,
            linger_ms=self._linger_ms,
            request_timeout_ms=self._request_timeout_ms,
            retry_backoff_ms=20,
        )
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap,
            client_id=f"{self.client_id}-admin",
            request_timeout_ms=self._request_timeout_ms,
            retry_backoff_ms=20,
        )
        try:
            await self._connect("producer", producer.start)
            await self._connect("admin client", admin.start)
        except BaseException:
            await _quietly(producer.stop())
            await _quietly(admin.close())
            raise
        self._producer = producer
        self._admin = admin

    async def stop(self) -> None:
        subs, self._subscriptions = self._subscriptions, []
        for sub in subs:
            await sub.close()
        producer, self._producer = self._producer, None
        durable, self._durable = self._durable, None
        admin, self._admin = self._admin, None
        for running in (producer, durable):
            if running is not None:
                await _quietly(running.stop())
        if admin is not None:
            await _quietly(admin.close())

    async def reachable(self, timeout_s: float) -> bool:
        # A metadata request for one topic: a full one would describe every topic of the
        # cluster, and decoding that every second costs more than the rest of an idle part.
        _, admin = self._started()
        try:
            await asyncio.wait_for(admin.describe_topics([_PROBE_TOPIC]), timeout_s)
        except (TimeoutError, KafkaError, OSError):
            return False
        return True

    def _started(self) -> tuple[AIOKafkaProducer, AIOKafkaAdminClient]:
        if self._producer is None or self._admin is None:
            raise BusError(f"bus {self.client_id!r} is not started")
        return self._producer, self._admin

    # -- topics ---------------------------------------------------------------------------

    async def _describe(self, names: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Partitions per topic the cluster knows; unknown topics are left out."""
        _, admin = self._started()
        try:
            described: list[dict[str, Any]] = await admin.describe_topics(list(names))
        except KafkaError as exc:
            raise BusError(f"describing topics {list(names)} failed: {exc}") from exc
        found: dict[str, list[dict[str, Any]]] = {}
        for topic in described:
            if topic["error_code"] == 0:
                found[topic["topic"]] = list(topic["partitions"])
            elif topic["error_code"] not in (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE):
                raise BusError(f"topic {topic['topic']!r}: error code {topic['error_code']}")
        return found

    async def _leaders(self, names: Sequence[str]) -> dict[str, list[int]]:
        found = await self._describe(names)
        return {name: [p["leader"] for p in partitions] for name, partitions in found.items()}

    async def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        _, admin = self._started()
        if not topics:
            return
        existing = await self._describe([spec.name for spec in topics])
        new = [
            NewTopic(
                spec.name,
                spec.partitions,
                spec.replication,
                topic_configs=spec.configs(),
            )
            for spec in topics
            if spec.name not in existing
        ]
        if new:
            try:
                response = await admin.create_topics(new, timeout_ms=self._request_timeout_ms)
            except KafkaError as exc:
                raise BusError(f"creating topics failed: {exc}") from exc
            for name, code, message in response.topic_errors:
                if code not in (0, TOPIC_ALREADY_EXISTS):
                    raise BusError(f"creating topic {name!r} failed: {message} (error {code})")
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
        producer, _ = self._started()
        if durable:
            producer = await self._durable_producer()
        if topic not in self._known_topics:
            await self._partitions([topic])
        try:
            await producer.send_and_wait(
                topic,
                value=value,
                key=key,
                headers=[(name, bytes(v)) for name, v in (headers or {}).items()],
            )
        except KafkaError as exc:
            raise BusError(f"publishing to {topic!r} failed: {exc}") from exc

    async def _durable_producer(self) -> AIOKafkaProducer:
        """The `acks=all` producer, started by the first durable publish."""
        async with self._durable_starting:
            if self._durable is None:
                durable = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    client_id=f"{self.client_id}-durable",
                    acks="all",
                    # Durable records (audit anchors, dead letters) go in the background:
                    # the same linger lets those of concurrent checks share a request.
                    linger_ms=self._linger_ms,
                    request_timeout_ms=self._request_timeout_ms,
                    retry_backoff_ms=20,
                )
                try:
                    await self._connect("durable producer", durable.start)
                except BaseException:
                    await _quietly(durable.stop())
                    raise
                self._durable = durable
        return self._durable

    async def subscribe(self, topics: Sequence[str], group: str | None) -> KafkaSubscription:
        self._started()
        if not topics:
            raise BusError("subscribe needs at least one topic")
        names = list(dict.fromkeys(topics))
        partitions = await self._partitions(names)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            group_id=group,
            auto_offset_reset="earliest" if group is not None else "latest",
            enable_auto_commit=group is not None,
            auto_commit_interval_ms=self._auto_commit_interval_ms,
            fetch_min_bytes=1,
            fetch_max_wait_ms=self._fetch_max_wait_ms,
            session_timeout_ms=self._session_timeout_ms,
            heartbeat_interval_ms=self._heartbeat_interval_ms,
            request_timeout_ms=self._request_timeout_ms,
            metadata_max_age_ms=self._metadata_max_age_ms,
            retry_backoff_ms=20,
        )
        listener: _ReadyListener | None = None
        try:
            await self._connect("consumer", consumer.start)
            if group is not None:
                listener = _ReadyListener()
                consumer.subscribe(names, listener=listener)
            else:
                tps = [TopicPartition(name, p) for name in names for p in range(partitions[name])]
                consumer.assign(tps)
                await consumer.seek_to_end(*tps)
                for tp in tps:
                    await consumer.position(tp)
        except BaseException:
            await _quietly(consumer.stop())
            raise
        sub = KafkaSubscription(consumer, group, listener, self.ready_timeout_s)
        self._subscriptions = [s for s in self._subscriptions if not s._closed]
        self._subscriptions.append(sub)
        return sub


def _message(record: ConsumerRecord[bytes, bytes]) -> Message:
    return Message(
        topic=record.topic,
        key=record.key if record.key is not None else b"",
        value=record.value if record.value is not None else b"",
        headers={name: bytes(value) for name, value in (record.headers or ())},
        partition=record.partition,
        offset=record.offset,
    )


async def _quietly(closing: Any) -> None:
    try:
        await closing
    except Exception as exc:  # closing a half-started client must not hide the real error
        log.debug("ignored while closing: %s", exc)
