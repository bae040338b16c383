"""The in-memory bus: the port's semantics inside one process, on asyncio.

Used by `interop up` on a laptop with no Kafka, and by the unit tests. It mirrors what the
Kafka bus does with the broker configured by deploy/kafka/kafka.sh:

- topics have N partitions; a record's partition is `crc32(key) % N` (stable across runs);
- each partition keeps a bounded log (the last `max_records` records, 10 000 by default);
  offsets grow forever, like Kafka's;
- consumer groups: members of a group share the partitions of the topics they subscribe
  to, assigned round-robin over the sorted (topic, partition) pairs, rebalanced whenever a
  member joins or leaves; the group's position per partition is shared, so a partition
  that moves to another member continues where the group was (each record is delivered
  to exactly one member); a new group starts from the earliest retained record;
- group-less subscribers read every partition alone, from the end of each partition at
  the time `subscribe()` returns (it is ready at once);
- topics are NOT auto-created: publishing to, or subscribing to, a topic that
  `ensure_topics` did not create raises `BusError`, as the Kafka bus does against a
  broker with `auto.create.topics.enable=false`.

Several `MemoryBus` handles can share one `MemoryBroker` (see `MemoryBroker.shared`), so
the all-in-one launcher's gateway and adapters talk to each other; stopping a handle
closes only the subscriptions opened through it.

Time-based retention (`TopicSpec.retention_ms`) is not applied: only the record bound is.
Everything runs on one event loop (no locks); `replication` is ignored.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import ClassVar, cast

from broker.transport.bus.base import BusError, Message, TopicSpec

DEFAULT_MAX_RECORDS = 10_000

TopicPartition = tuple[str, int]


def partition_for(key: bytes, partitions: int) -> int:
    """The partition of a key: stable across processes and runs."""
    return zlib.crc32(key) % partitions


# A record as a partition keeps it: one flat tuple of bytes and strings, the key, the value,
# then each header's name and value. The garbage collector stops tracking such a tuple at
# the first collection that sees it, so the tens of thousands of records retained are not
# rescanned at every full collection (as Message objects they were most of what
# `interop up` kept, and paused it for up to 70 ms). The `Message` is built when read.
_Record = tuple[bytes | str, ...]


def _flat(headers: Mapping[str, bytes]) -> tuple[str | bytes, ...]:
    pairs: Iterable[tuple[str, bytes]] = headers.items()
    return tuple(chain.from_iterable(pairs))


class _Partition:
    __slots__ = ("index", "log", "next_offset", "topic")

    def __init__(self, topic: str, index: int, max_records: int) -> None:
        self.topic = topic
        self.index = index
        self.log: deque[_Record] = deque(maxlen=max_records)
        self.next_offset = 0

    @property
    def start_offset(self) -> int:
        return self.next_offset - len(self.log)

    def append(self, record: _Record) -> None:
        self.log.append(record)
        self.next_offset += 1

    def read(self, offset: int) -> Message:
        record = self.log[offset - self.start_offset]
        key, value = cast(bytes, record[0]), cast(bytes, record[1])
        headers = cast(dict[str, bytes], dict(zip(record[2::2], record[3::2], strict=True)))
        return Message(self.topic, key, value, headers, self.index, offset)


class _Topic:
    __slots__ = ("name", "partitions", "retention_ms")

    def __init__(self, spec: TopicSpec, max_records: int) -> None:
        self.name = spec.name
        self.retention_ms = spec.retention_ms
        self.partitions = [_Partition(spec.name, i, max_records) for i in range(spec.partitions)]


class _Group:
    __slots__ = ("members", "name", "positions")

    def __init__(self, name: str) -> None:
        self.name = name
        self.members: list[MemorySubscription] = []
        self.positions: dict[TopicPartition, int] = {}


class MemoryBroker:
    """The shared state: topics, their logs, the consumer groups and the subscribers."""

    _shared: ClassVar[dict[str, MemoryBroker]] = {}

    def __init__(self, max_records: int = DEFAULT_MAX_RECORDS) -> None:
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self.max_records = max_records
        self._topics: dict[str, _Topic] = {}
        self._groups: dict[str, _Group] = {}
        self._subscribers: dict[str, list[MemorySubscription]] = {}

    @classmethod
    def shared(cls, name: str = "default") -> MemoryBroker:
        """The process-wide broker called `name`, created on first use."""
        broker = cls._shared.get(name)
        if broker is None:
            broker = cls._shared[name] = cls()
        return broker

    # -- topics ---------------------------------------------------------------------------

    def create_topic(self, spec: TopicSpec) -> bool:
        """Create a topic unless it exists; returns whether it was created."""
        if spec.partitions < 1:
            raise BusError(f"topic {spec.name!r}: partitions must be at least 1")
        if not spec.name:
            raise BusError("topic name must not be empty")
        if spec.name in self._topics:
            return False
        self._topics[spec.name] = _Topic(spec, self.max_records)
        return True

    def topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            raise BusError(
                f"unknown topic {name!r}: topics are not auto-created, call ensure_topics first"
            )
        return topic

    def partition(self, tp: TopicPartition) -> _Partition:
        return self._topics[tp[0]].partitions[tp[1]]

    # -- records --------------------------------------------------------------------------

    def append(
        self, topic_name: str, key: bytes, value: bytes, headers: Mapping[str, bytes]
    ) -> None:
        topic = self.topic(topic_name)
        index = partition_for(key, len(topic.partitions))
        part = topic.partitions[index]
        part.append((bytes(key), bytes(value), *_flat(headers)))
        tp = (topic_name, index)
        for sub in self._subscribers.get(topic_name, ()):
            sub.notify(tp)

    # -- subscriptions --------------------------------------------------------------------

    def add(self, sub: MemorySubscription) -> None:
        for name in sub.topics:
            self._subscribers.setdefault(name, []).append(sub)
        if sub.group is None:
            positions = {
                (name, index): part.next_offset
                for name in sub.topics
                for index, part in enumerate(self._topics[name].partitions)
            }
            sub.assign(tuple(positions), positions)
            return
        group = self._groups.get(sub.group)
        if group is None:
            group = self._groups[sub.group] = _Group(sub.group)
        group.members.append(sub)
        self._rebalance(group)

    def remove(self, sub: MemorySubscription) -> None:
        for name in sub.topics:
            subs = self._subscribers.get(name)
            if subs is not None and sub in subs:
                subs.remove(sub)
        if sub.group is None:
            return
        group = self._groups.get(sub.group)
        if group is None or sub not in group.members:
            return
        group.members.remove(sub)
        sub.assign((), group.positions)
        # The group keeps its positions after its last member leaves, as Kafka keeps
        # committed offsets: a member that joins later continues where the group was.
        self._rebalance(group)

    def _rebalance(self, group: _Group) -> None:
        """Round-robin over the sorted (topic, partition) pairs among subscribed members."""
        topics = sorted({name for member in group.members for name in member.topics})
        owned: dict[int, list[TopicPartition]] = {id(m): [] for m in group.members}
        turn = 0
        for name in topics:
            eligible = [m for m in group.members if name in m.topics]
            for index, part in enumerate(self._topics[name].partitions):
                tp = (name, index)
                if tp not in group.positions:
                    group.positions[tp] = part.start_offset
                owned[id(eligible[turn % len(eligible)])].append(tp)
                turn += 1
        for member in group.members:
            member.assign(tuple(owned[id(member)]), group.positions)


class MemorySubscription:
    """One consumer of a `MemoryBroker`; iterate to receive, `close()` to leave."""

    def __init__(self, broker: MemoryBroker, topics: Sequence[str], group: str | None) -> None:
        self._broker = broker
        self.topics: tuple[str, ...] = tuple(dict.fromkeys(topics))
        self.group = group
        self._assigned: tuple[TopicPartition, ...] = ()
        self._assigned_set: frozenset[TopicPartition] = frozenset()
        # For a group member, the group's shared positions; for a lone subscriber, its own.
        self._positions: dict[TopicPartition, int] = {}
        self._turn = 0
        self._wakeup = asyncio.Event()
        self._closed = False

    # -- called by the broker -------------------------------------------------------------

    def assign(self, tps: tuple[TopicPartition, ...], positions: dict[TopicPartition, int]) -> None:
        self._assigned = tps
        self._assigned_set = frozenset(tps)
        self._positions = positions
        self._turn = 0
        self._wakeup.set()

    def notify(self, tp: TopicPartition) -> None:
        if tp in self._assigned_set:
            self._wakeup.set()

    # -- the Subscription protocol --------------------------------------------------------

    def __aiter__(self) -> MemorySubscription:
        return self

    async def __anext__(self) -> Message:
        while True:
            if self._closed:
                raise StopAsyncIteration
            message = self._take()
            if message is not None:
                return message
            self._wakeup.clear()
            await self._wakeup.wait()

    def _take(self) -> Message | None:
        assigned = self._assigned
        count = len(assigned)
        for step in range(count):
            tp = assigned[(self._turn + step) % count]
            part = self._broker.partition(tp)
            position = max(self._positions[tp], part.start_offset)
            if position < part.next_offset:
                self._positions[tp] = position + 1
                self._turn = (self._turn + step + 1) % count
                return part.read(position)
        return None

    async def ready(self) -> None:
        if self._closed:
            raise BusError("subscription is closed")

    def assigned_partitions(self) -> frozenset[TopicPartition]:
        return self._assigned_set

    async def lag(self) -> int:
        return sum((await self.partition_lag()).values())

    async def partition_lag(self) -> dict[TopicPartition, int]:
        waiting = {}
        for tp in self._assigned:
            part = self._broker.partition(tp)
            waiting[tp] = part.next_offset - max(self._positions[tp], part.start_offset)
        return waiting

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._broker.remove(self)
        self._wakeup.set()


class MemoryBus:
    """A handle on a `MemoryBroker` implementing the `Bus` port."""

    def __init__(self, broker: MemoryBroker | None = None, client_id: str = "memory") -> None:
        self.broker = broker if broker is not None else MemoryBroker()
        self.client_id = client_id
        self._started = False
        self._subscriptions: list[MemorySubscription] = []

    async def start(self) -> None:
        self._started = True

    async def stop(self) -> None:
        self._started = False
        subs, self._subscriptions = self._subscriptions, []
        for sub in subs:
            await sub.close()

    async def reachable(self, timeout_s: float) -> bool:
        return self._started

    def _check_started(self) -> None:
        if not self._started:
            raise BusError(f"bus {self.client_id!r} is not started")

    async def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        self._check_started()
        for spec in topics:
            self.broker.create_topic(spec)

    async def publish(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        headers: Mapping[str, bytes] | None = None,
        *,
        durable: bool = False,  # one process holds the only copy either way
    ) -> None:
        self._check_started()
        self.broker.append(topic, key, value, headers or {})
        # Let consumers run between records, as a network round trip would.
        await asyncio.sleep(0)

    async def subscribe(self, topics: Sequence[str], group: str | None) -> MemorySubscription:
        self._check_started()
        if not topics:
            raise BusError("subscribe needs at least one topic")
        for name in topics:
            self.broker.topic(name)
        sub = MemorySubscription(self.broker, topics, group)
        self.broker.add(sub)
        self._subscriptions = [s for s in self._subscriptions if not s._closed]
        self._subscriptions.append(sub)
        return sub
