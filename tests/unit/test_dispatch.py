"""Gathering replies: duplicates and late replies are dropped, no wait past the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest_asyncio

from broker.bus.memory import MemoryBroker, MemoryBus
from broker.config import Topics
from broker.dispatch import Answer, Dispatcher
from broker.wire import pack_reply, unpack_query
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s

TOPICS = Topics(prefix="unit")


@pytest_asyncio.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    yield bus
    await bus.stop()


@pytest_asyncio.fixture
async def dispatcher(bus: MemoryBus) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(bus, TOPICS, "gw-test")
    await dispatcher.start()
    yield dispatcher
    await dispatcher.stop()


async def _echo(bus: MemoryBus, system: str, replies: int = 1, delay: float = 0.0) -> None:
    """A stand-in adapter answering each query `replies` times after `delay`."""
    subscription = await bus.subscribe([TOPICS.request(system)], group=f"adapter-{system}")
    await subscription.ready()
    async for message in subscription:
        query, reply_to = unpack_query(message)
        await asyncio.sleep(delay)
        for _ in range(replies):
            reply = bus_pb2.SystemReply(
                correlation_id=query.correlation_id,
                system=query.system,
                status=pb.OUTCOME_STATUS_ANSWERED,
            )
            out = pack_reply(reply)
            await bus.publish(reply_to, out.key, out.value, out.headers)


async def _ask(dispatcher: Dispatcher, cid: str, systems: list[int], budget: float) -> list[Answer]:
    queries = [bus_pb2.SystemQuery(correlation_id=cid, system=x) for x in systems]  # type: ignore[misc]
    return [a async for a in dispatcher.ask(cid, queries, time.monotonic() + budget)]


async def test_answers_and_timeouts(bus: MemoryBus, dispatcher: Dispatcher) -> None:
    echo = asyncio.create_task(_echo(bus, "sis"))
    await asyncio.sleep(0.01)
    started = time.monotonic()
    answers = await _ask(dispatcher, "c1", [s.SYSTEM_SIS, s.SYSTEM_VIS], 0.3)
    elapsed = time.monotonic() - started
    echo.cancel()
    assert [(a.system, a.status) for a in answers] == [
        (s.SYSTEM_SIS, pb.OUTCOME_STATUS_ANSWERED),
        (s.SYSTEM_VIS, pb.OUTCOME_STATUS_TIMEOUT),
    ]
    assert elapsed < 2.0, "waited far past the deadline"


async def test_duplicate_replies_are_dropped(bus: MemoryBus, dispatcher: Dispatcher) -> None:
    echo = asyncio.create_task(_echo(bus, "ees", replies=3))
    await asyncio.sleep(0.01)
    answers = await _ask(dispatcher, "c2", [s.SYSTEM_EES], 1.0)
    await asyncio.sleep(0.05)
    echo.cancel()
    assert len(answers) == 1
    assert dispatcher.stats.duplicates + dispatcher.stats.late == 2


async def test_late_replies_are_dropped(bus: MemoryBus, dispatcher: Dispatcher) -> None:
    echo = asyncio.create_task(_echo(bus, "etias", delay=0.2))
    await asyncio.sleep(0.01)
    answers = await _ask(dispatcher, "c3", [s.SYSTEM_ETIAS], 0.05)
    await asyncio.sleep(0.3)
    echo.cancel()
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_TIMEOUT]
    assert dispatcher.stats.late == 1


async def test_a_bus_that_refuses_the_query_makes_the_system_unavailable(
    dispatcher: Dispatcher, bus: MemoryBus
) -> None:
    await bus.stop()  # publishing now fails
    answers = await _ask(dispatcher, "c4", [s.SYSTEM_SIS], 0.2)
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_UNAVAILABLE]
    assert "bus" in answers[0].detail
    await bus.start()
