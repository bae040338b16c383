"""A served part's start-up heap is set aside from the garbage collector, and the records
the memory bus retains are not rescanned by it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from broker.transport.bus.base import TopicSpec
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.heap import settle_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


def test_settling_freezes_what_start_up_built(unfrozen: None) -> None:
    built = [[n] for n in range(1000)]
    frozen = settle_heap("test")
    assert frozen == gc.get_freeze_count() >= len(built)
    # Frozen objects are out of every generation: a collection does not scan them.
    assert not any(o is built for o in gc.get_objects())
    assert all(gc.is_tracked(b) for b in built), "still tracked, only set aside"


def test_settling_keeps_what_is_still_referenced_and_frees_the_rest(unfrozen: None) -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    cycle = Node()
    kept = Node()
    del cycle  # garbage in a cycle: collected before the freeze, not kept forever
    settle_heap("test")
    assert not any(isinstance(o, Node) and o is not kept for o in gc.get_objects())
    assert kept.me is kept


async def test_the_memory_bus_keeps_its_records_out_of_the_collectors_sight() -> None:
    broker = MemoryBroker()
    bus = MemoryBus(broker)
    await bus.start()
    await bus.ensure_topics([TopicSpec("t", partitions=2)])
    sub = await bus.subscribe(["t"], None)
    for n in range(50):
        await bus.publish("t", f"k{n}".encode(), b"v" * n, {"h": str(n).encode()})
    gc.collect(0)  # the youngest generation's collection is enough
    records = [r for part in broker.topic("t").partitions for r in part.log]
    assert len(records) == 50
    assert not any(gc.is_tracked(r) for r in records)
    # What subscribers receive is unchanged: topic, key, value, headers, partition, offset.
    received = [await sub.__anext__() for _ in range(50)]
    assert sorted(m.key for m in received) == sorted(f"k{n}".encode() for n in range(50))
    first = next(m for m in received if m.key == b"k7")
    assert (first.topic, first.value, dict(first.headers)) == ("t", b"v" * 7, {"h": b"7"})
    assert [m.offset for m in received if m.partition == first.partition] == list(
        range(sum(1 for m in received if m.partition == first.partition))
    )
    await bus.stop()
