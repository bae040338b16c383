"""One conformance suite for the bus port, run on the in-memory bus and on real Kafka.

Every test takes `buses`, a factory of started buses of one kind, so a test can hold two
buses as two processes would (a gateway's and an adapter's, or two adapter replicas). The
Kafka runs are marked `kafka` and use the `kafka_bootstrap` fixture (a broker started by
deploy/kafka/kafka.sh, or the one named by INTEROP_KAFKA_BOOTSTRAP). Topic and group names
are unique per test, so runs against a shared broker do not collide.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from broker.transport.bus.base import (
    Bus,
    BusError,
    BusUnavailable,
    Message,
    Subscription,
    TopicSpec,
)
from broker.transport.bus.kafka import KafkaBus
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.bus.rdkafka import RdKafkaBus

RECEIVE_TIMEOUT_S = 10.0
QUIET_S = 0.5  # how long "nothing more arrives" is watched


@dataclass
class Buses:
    """Makes started buses of one kind; all of them share one broker."""

    kind: str
    make: Callable[[str], Awaitable[Bus]]
    made: list[Bus] = field(default_factory=list)

    async def __call__(self, client_id: str = "conformance") -> Bus:
        bus = await self.make(client_id)
        self.made.append(bus)
        return bus


KAFKA_BUSES: dict[str, type[KafkaBus] | type[RdKafkaBus]] = {
    "kafka": KafkaBus,
    "rdkafka": RdKafkaBus,
}


@pytest.fixture(
    params=[
        "memory",
        pytest.param("kafka", marks=pytest.mark.kafka),
        pytest.param("rdkafka", marks=pytest.mark.kafka),
    ]
)
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[Buses]:
    if request.param in KAFKA_BUSES:
        bootstrap: str = request.getfixturevalue("kafka_bootstrap")
        kind = KAFKA_BUSES[request.param]

        async def make(client_id: str) -> Bus:
            bus = kind(bootstrap, client_id=client_id)
            await bus.start()
            return bus

    else:
        broker = MemoryBroker()

        async def make(client_id: str) -> Bus:
            bus = MemoryBus(broker, client_id=client_id)
            await bus.start()
            return bus

    factory = Buses(request.param, make)
    try:
        yield factory
    finally:
        for bus in factory.made:
            await bus.stop()


def unique(prefix: str) -> str:
    return f"conf-{prefix}-{uuid.uuid4().hex[:10]}"


async def receive(
    sub: Subscription, count: int, timeout: float = RECEIVE_TIMEOUT_S
) -> list[Message]:
    """The next `count` messages of `sub`; fails when they do not all come in time."""
    got: list[Message] = []
    iterator = sub.__aiter__()
    deadline = time.monotonic() + timeout
    while len(got) < count:
        remaining = deadline - time.monotonic()
        try:
            got.append(await asyncio.wait_for(iterator.__anext__(), max(remaining, 0.001)))
        except TimeoutError:
            pytest.fail(f"received {len(got)} of {count} messages within {timeout:g}s")
    return got


async def nothing_more(sub: Subscription, quiet: float = QUIET_S) -> None:
    """Asserts that no further message arrives within `quiet` seconds."""
    try:
        extra = await asyncio.wait_for(sub.__aiter__().__anext__(), quiet)
    except TimeoutError:
        return
    pytest.fail(f"unexpected message: {extra}")


async def until(condition: Callable[[], bool], timeout: float = RECEIVE_TIMEOUT_S) -> None:
    """Return once `condition` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not so within {timeout:g}s")
        await asyncio.sleep(0.01)


async def wait_for_assignment(
    subs: list[Subscription], partitions: frozenset[tuple[str, int]], timeout: float = 15.0
) -> list[frozenset[tuple[str, int]]]:
    """Waits until the members own every partition, each exactly once, none empty-handed."""
    for sub in subs:
        await sub.ready()
    deadline = time.monotonic() + timeout
    while True:
        owned = [sub.assigned_partitions() for sub in subs]
        union = frozenset().union(*owned)
        disjoint = sum(len(o) for o in owned) == len(union)
        if union == partitions and disjoint and all(owned):
            return owned
        if time.monotonic() > deadline:
            pytest.fail(f"assignment did not settle: {owned}")
        await asyncio.sleep(0.05)


def all_partitions(topic: str, count: int) -> frozenset[tuple[str, int]]:
    return frozenset((topic, p) for p in range(count))


async def test_publish_and_receive_with_key_and_headers(buses: Buses) -> None:
    bus = await buses()
    topic = unique("basic")
    await bus.ensure_topics([TopicSpec(topic, partitions=2)])
    sub = await bus.subscribe([topic], group=unique("g"))
    await sub.ready()

    headers = {"correlation-id": b"c-1", "deadline": b"1700000000000", "empty": b""}
    await bus.publish(topic, b"key-1", b"\x00value\xff", headers)
    await bus.publish(topic, b"key-2", b"no headers")

    first, second = await receive(sub, 2)
    by_key = {m.key: m for m in (first, second)}
    message = by_key[b"key-1"]
    assert message.topic == topic
    assert message.value == b"\x00value\xff"
    assert dict(message.headers) == headers
    assert message.partition in (0, 1)
    assert message.offset >= 0
    assert by_key[b"key-2"].value == b"no headers"
    assert dict(by_key[b"key-2"].headers) == {}


async def test_a_durable_publish_keeps_its_place_among_the_others(buses: Buses) -> None:
    bus = await buses()
    topic = unique("durable")
    await bus.ensure_topics([TopicSpec(topic)])
    sub = await bus.subscribe([topic], group=unique("g"))
    await sub.ready()
    await bus.publish(topic, b"k", b"first")
    await bus.publish(topic, b"k", b"second", {"kind": b"anchor"}, durable=True)
    await bus.publish(topic, b"k", b"third", durable=True)
    assert [m.value for m in await receive(sub, 3)] == [b"first", b"second", b"third"]


async def test_order_is_kept_per_key(buses: Buses) -> None:
    bus = await buses()
    topic = unique("order")
    await bus.ensure_topics([TopicSpec(topic, partitions=4)])
    sub = await bus.subscribe([topic], group=unique("g"))
    await sub.ready()

    keys = [f"k{i}".encode() for i in range(6)]
    per_key = 20
    for n in range(per_key):
        for key in keys:
            await bus.publish(topic, key, str(n).encode())

    got = await receive(sub, per_key * len(keys))
    for key in keys:
        mine = [m for m in got if m.key == key]
        assert [int(m.value) for m in mine] == list(range(per_key))
        assert len({m.partition for m in mine}) == 1, "one key, one partition"
        offsets = [m.offset for m in mine]
        assert offsets == sorted(offsets)
    await nothing_more(sub)


async def test_two_replicas_sharing_partitions(buses: Buses) -> None:
    """Two members of one group (two adapter replicas): each record to exactly one."""
    topic = unique("replicas")
    group = unique("g")
    first_bus = await buses("replica-1")
    second_bus = await buses("replica-2")
    await first_bus.ensure_topics([TopicSpec(topic, partitions=4)])
    first = await first_bus.subscribe([topic], group=group)
    await first.ready()
    second = await second_bus.subscribe([topic], group=group)
    owned = await wait_for_assignment([first, second], all_partitions(topic, 4))

    count = 200
    for n in range(count):
        await first_bus.publish(topic, f"request-{n}".encode(), str(n).encode())

    got: dict[int, list[Message]] = {0: [], 1: []}
    all_in = asyncio.Event()

    async def drain(index: int, sub: Subscription) -> None:
        async for message in sub:
            got[index].append(message)
            if len(got[0]) + len(got[1]) >= count:
                all_in.set()

    tasks = [asyncio.create_task(drain(i, sub)) for i, sub in enumerate((first, second))]
    try:
        try:
            await asyncio.wait_for(all_in.wait(), RECEIVE_TIMEOUT_S)
        except TimeoutError:
            pass  # the assertions below say how many came
        await asyncio.sleep(QUIET_S)  # anything delivered twice would show up now
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    values = [m.value for m in got[0] + got[1]]
    assert len(values) == count, f"{len(values)} deliveries for {count} records"
    assert sorted(values) == sorted(str(n).encode() for n in range(count)), "each exactly once"
    assert got[0] and got[1], "both replicas got work"
    for index in (0, 1):
        assert {(m.topic, m.partition) for m in got[index]} <= owned[index]


async def test_group_rebalances_when_a_member_leaves(buses: Buses) -> None:
    topic = unique("leave")
    group = unique("g")
    first_bus = await buses("replica-1")
    second_bus = await buses("replica-2")
    await first_bus.ensure_topics([TopicSpec(topic, partitions=4)])
    first = await first_bus.subscribe([topic], group=group)
    await first.ready()
    second = await second_bus.subscribe([topic], group=group)
    await wait_for_assignment([first, second], all_partitions(topic, 4))

    await second.close()
    await wait_for_assignment([first], all_partitions(topic, 4))
    for n in range(8):
        await first_bus.publish(topic, f"after-leave-{n}".encode(), b"x")
    got = await receive(first, 8)
    assert {m.key for m in got} == {f"after-leave-{n}".encode() for n in range(8)}


async def test_groupless_subscriber_sees_only_what_is_published_after_ready(
    buses: Buses,
) -> None:
    bus = await buses()
    topic = unique("replies")
    await bus.ensure_topics([TopicSpec(topic, partitions=3)])
    for n in range(6):
        await bus.publish(topic, f"before-{n}".encode(), b"old")

    sub = await bus.subscribe([topic], group=None)
    await sub.ready()
    assert sub.assigned_partitions() == all_partitions(topic, 3)
    for n in range(6):
        await bus.publish(topic, f"after-{n}".encode(), b"new")

    got = await receive(sub, 6)
    assert sorted(m.key for m in got) == sorted(f"after-{n}".encode() for n in range(6))
    assert {m.value for m in got} == {b"new"}
    await nothing_more(sub)


async def test_two_groupless_subscribers_each_see_everything(buses: Buses) -> None:
    bus = await buses()
    topic = unique("fanout")
    await bus.ensure_topics([TopicSpec(topic, partitions=2)])
    one = await bus.subscribe([topic], group=None)
    two = await bus.subscribe([topic], group=None)
    await one.ready()
    await two.ready()
    for n in range(5):
        await bus.publish(topic, f"k{n}".encode(), b"v")
    assert len(await receive(one, 5)) == 5
    assert len(await receive(two, 5)) == 5


async def test_new_group_starts_from_earliest(buses: Buses) -> None:
    bus = await buses()
    topic = unique("earliest")
    await bus.ensure_topics([TopicSpec(topic, partitions=2)])
    for n in range(10):
        await bus.publish(topic, f"k{n}".encode(), str(n).encode())

    for _ in range(2):  # two different groups, each from the start
        sub = await bus.subscribe([topic], group=unique("g"))
        await sub.ready()
        got = await receive(sub, 10)
        assert sorted(int(m.value) for m in got) == list(range(10))
        await nothing_more(sub, 0.2)
        await sub.close()


async def test_group_resumes_where_its_last_member_left(buses: Buses) -> None:
    bus = await buses()
    topic = unique("resume")
    group = unique("g")
    await bus.ensure_topics([TopicSpec(topic, partitions=2)])
    for n in range(5):
        await bus.publish(topic, f"k{n}".encode(), b"first")
    sub = await bus.subscribe([topic], group=group)
    await sub.ready()
    await receive(sub, 5)
    await sub.close()

    for n in range(3):
        await bus.publish(topic, f"k{n}".encode(), b"second")
    again = await bus.subscribe([topic], group=group)
    await again.ready()
    got = await receive(again, 3)
    assert {m.value for m in got} == {b"second"}
    await nothing_more(again)


async def test_a_closing_member_hands_back_what_it_did_not_hand_out(buses: Buses) -> None:
    """Records a member fetched but never gave its caller go to the next member (an adapter
    stopping with queries fetched must not lose them)."""
    bus = await buses()
    topic = unique("handback")
    group = unique("g")
    await bus.ensure_topics([TopicSpec(topic, partitions=1)])
    for n in range(10):
        await bus.publish(topic, b"k", str(n).encode())
    sub = await bus.subscribe([topic], group=group)
    await sub.ready()
    # All ten were published before the member joined: its first fetch takes them all, and
    # seven stay in its buffer, not handed out.
    taken = await receive(sub, 3)
    await sub.close()

    again = await bus.subscribe([topic], group=group)
    await again.ready()
    rest = await receive(again, 7)
    assert [m.value for m in taken + rest] == [str(n).encode() for n in range(10)]
    await nothing_more(again)


async def test_lag_counts_per_partition_what_a_member_has_not_taken(buses: Buses) -> None:
    bus = await buses()
    topic = unique("lag")
    await bus.ensure_topics([TopicSpec(topic, partitions=2)])
    for n in range(10):
        await bus.publish(topic, f"k{n}".encode(), b"v")
    sub = await bus.subscribe([topic], group=unique("g"))
    await sub.ready()
    await receive(sub, 1)
    # Kafka learns each partition's end from its fetches: wait until it has seen both.
    deadline = time.monotonic() + RECEIVE_TIMEOUT_S
    while sum((lag := await sub.partition_lag()).values()) != 9:
        assert time.monotonic() < deadline, f"lag never reached 9: {lag}"
        await asyncio.sleep(0.05)
    assert set(lag) == all_partitions(topic, 2)
    assert await sub.lag() == 9
    await receive(sub, 9)
    assert await sub.partition_lag() == dict.fromkeys(all_partitions(topic, 2), 0)


async def test_ensure_topics_is_idempotent(buses: Buses) -> None:
    bus = await buses()
    topic = unique("ensure")
    await bus.ensure_topics([TopicSpec(topic, partitions=3, retention_ms=3_600_000)])
    await bus.ensure_topics([TopicSpec(topic, partitions=3, retention_ms=3_600_000)])
    # An existing topic is left as it is, even when asked for more partitions.
    await bus.ensure_topics([TopicSpec(topic, partitions=5), TopicSpec(unique("other"))])
    other_bus = await buses("another-process")
    await other_bus.ensure_topics([TopicSpec(topic, partitions=3)])

    sub = await bus.subscribe([topic], group=unique("g"))
    await sub.ready()
    assert sub.assigned_partitions() == all_partitions(topic, 3)
    await bus.publish(topic, b"k", b"v")
    assert (await receive(sub, 1))[0].value == b"v"


async def test_unknown_topics_are_not_created(buses: Buses) -> None:
    bus = await buses()
    missing = unique("missing")
    # Refused at once: within a bound far below a client's wait for metadata (40 s+).
    async with asyncio.timeout(20):
        with pytest.raises(BusError, match="unknown topic"):
            await bus.publish(missing, b"k", b"v")
        with pytest.raises(BusError, match="unknown topic"):
            await bus.subscribe([missing], group=unique("g"))
        with pytest.raises(BusError, match="unknown topic"):
            await bus.subscribe([missing], group=None)


async def test_closing_ends_iteration(buses: Buses) -> None:
    bus = await buses()
    topic = unique("close")
    await bus.ensure_topics([TopicSpec(topic)])
    sub = await bus.subscribe([topic], group=unique("g"))
    await sub.ready()

    got: list[Message] = []

    async def consume() -> None:
        async for message in sub:
            got.append(message)

    task = asyncio.create_task(consume())
    await bus.publish(topic, b"k", b"v")
    await until(lambda: bool(got))
    await sub.close()
    await asyncio.wait_for(task, RECEIVE_TIMEOUT_S)
    assert [m.value for m in got] == [b"v"]


async def test_multiple_topics_in_one_subscription(buses: Buses) -> None:
    bus = await buses()
    one, two = unique("multi-a"), unique("multi-b")
    await bus.ensure_topics([TopicSpec(one, partitions=2), TopicSpec(two, partitions=1)])
    sub = await bus.subscribe([one, two], group=unique("g"))
    await sub.ready()
    assert sub.assigned_partitions() == all_partitions(one, 2) | all_partitions(two, 1)
    await bus.publish(one, b"a", b"1")
    await bus.publish(two, b"b", b"2")
    got = await receive(sub, 2)
    assert {(m.topic, m.value) for m in got} == {(one, b"1"), (two, b"2")}


@pytest.mark.kafka
@pytest.mark.parametrize("kind", KAFKA_BUSES.values(), ids=KAFKA_BUSES.keys())
async def test_kafka_unreachable_bootstrap_is_reported_quickly(
    kind: type[KafkaBus] | type[RdKafkaBus],
) -> None:
    bus = kind("127.0.0.1:1", client_id="conformance", connect_timeout_s=3)
    # Given up after the connect timeout: a client left to itself retries for ever.
    async with asyncio.timeout(20):
        with pytest.raises(BusUnavailable, match=r"127\.0\.0\.1:1") as raised:
            await bus.start()
    assert "\n" not in str(raised.value)
    await bus.stop()
    with pytest.raises(BusError, match="not started"):
        await bus.publish("anything", b"k", b"v")


@pytest.mark.kafka
@pytest.mark.parametrize("kind", KAFKA_BUSES.values(), ids=KAFKA_BUSES.keys())
async def test_kafka_silent_bootstrap_is_reported_quickly(
    kind: type[KafkaBus] | type[RdKafkaBus],
) -> None:
    """A port that accepts connections but never answers (a wrong service, a hung broker)."""
    silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    address = f"127.0.0.1:{silent.getsockname()[1]}"
    try:
        bus = kind(address, client_id="conformance", connect_timeout_s=1)
        async with asyncio.timeout(20):
            with pytest.raises(BusUnavailable, match="no answer within 1s"):
                await bus.start()
        await bus.stop()
    finally:
        silent.close()
