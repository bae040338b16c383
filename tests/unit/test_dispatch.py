"""Gathering replies: duplicates and late replies are dropped, no wait past the deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from broker.domain.answers import Answer
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.dispatcher import BusDispatcher
from broker.transport.envelope import Keyring
from broker.transport.rejection import Reason
from broker.transport.topics import Topics
from broker.transport.wire import pack_reply, unpack_query
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s
from stack.bootstrap import adapter_keyring, dev_channels, gateway_keyring
from stack.settings import Settings
from systems import REGISTRY

TOPICS = Topics(prefix="unit")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    directory = tmp_path_factory.mktemp("keys")
    Keyring.generate_dev(directory, dev_channels(REGISTRY, ["gw1"]))
    return Settings(keys_dir=str(directory))


@pytest.fixture(scope="module")
def keys(settings: Settings) -> Keyring:
    return gateway_keyring(settings)


@pytest_asyncio.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    yield bus
    await bus.stop()


@pytest_asyncio.fixture
async def dispatcher(bus: MemoryBus, keys: Keyring) -> AsyncIterator[BusDispatcher]:
    dispatcher = BusDispatcher(bus, TOPICS, "gw-test", keys, REGISTRY.catalog)
    await dispatcher.start()
    yield dispatcher
    await dispatcher.stop()


async def _echo(
    bus: MemoryBus, settings: Settings, system: str, replies: int = 1, delay: float = 0.0
) -> None:
    """A stand-in adapter answering each query `replies` times after `delay`."""
    keys, spec = adapter_keyring(settings, system), REGISTRY[system].spec
    subscription = await bus.subscribe([TOPICS.request(system)], group=f"adapter-{system}")
    await subscription.ready()
    async for message in subscription:
        received = unpack_query(keys, message, spec)
        await asyncio.sleep(delay)
        for _ in range(replies):
            out = pack_reply(keys, _answered(received.body), spec, received.reply_to)
            await bus.publish(received.reply_to, out.key, out.value, out.headers)


def _answered(query: bus_pb2.SystemQuery) -> bus_pb2.SystemReply:
    return bus_pb2.SystemReply(
        correlation_id=query.correlation_id,
        system=query.system,
        status=pb.OUTCOME_STATUS_ANSWERED,
        deadline_unix_ms=query.deadline_unix_ms,
    )


async def _ask(
    dispatcher: BusDispatcher, cid: str, systems: list[s.System.ValueType], budget: float
) -> list[Answer]:
    queries = [bus_pb2.SystemQuery(correlation_id=cid, system=x) for x in systems]
    return [a async for a in dispatcher.ask(cid, queries, time.monotonic() + budget)]


async def test_answers_and_timeouts(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher
) -> None:
    echo = asyncio.create_task(_echo(bus, settings, "sis"))
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


async def test_duplicate_replies_are_dropped(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher
) -> None:
    echo = asyncio.create_task(_echo(bus, settings, "ees", replies=3))
    await asyncio.sleep(0.01)
    answers = await _ask(dispatcher, "c2", [s.SYSTEM_EES], 1.0)
    await asyncio.sleep(0.05)
    echo.cancel()
    assert len(answers) == 1
    assert dispatcher.stats.duplicates + dispatcher.stats.late == 2


async def test_late_replies_are_dropped(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher
) -> None:
    echo = asyncio.create_task(_echo(bus, settings, "etias", delay=0.2))
    await asyncio.sleep(0.01)
    answers = await _ask(dispatcher, "c3", [s.SYSTEM_ETIAS], 0.05)
    await asyncio.sleep(0.3)
    echo.cancel()
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_TIMEOUT]
    assert dispatcher.stats.late == 1


async def test_a_bus_that_refuses_the_query_makes_the_system_unavailable(
    dispatcher: BusDispatcher, bus: MemoryBus
) -> None:
    await bus.stop()  # publishing now fails
    answers = await _ask(dispatcher, "c4", [s.SYSTEM_SIS], 0.2)
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_UNAVAILABLE]
    assert "bus" in answers[0].detail
    await bus.start()


async def test_a_forged_reply_is_not_taken(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher
) -> None:
    """A reply that is not sealed by a trusted service is dropped, and the system times out."""

    async def forge() -> None:
        vis = adapter_keyring(settings, "vis")
        subscription = await bus.subscribe([TOPICS.request("vis")], group="forger")
        await subscription.ready()
        async for message in subscription:
            received = unpack_query(vis, message, REGISTRY["vis"].spec)
            reply = _answered(received.body)
            out = pack_reply(vis, reply, REGISTRY["vis"].spec, received.reply_to)
            tampered = out.value[:-1] + bytes([out.value[-1] ^ 1])
            await bus.publish(received.reply_to, out.key, tampered, out.headers)
            await bus.publish(
                received.reply_to, out.key, reply.SerializeToString(), {"correlation-id": out.key}
            )
            # Another system's adapter holds no VIS key: its reply, relabelled, is forged.
            sis_reply = pack_reply(
                adapter_keyring(settings, "sis"), reply, REGISTRY["sis"].spec, received.reply_to
            )
            relabelled = {**sis_reply.headers, "system": b"vis"}
            await bus.publish(received.reply_to, out.key, sis_reply.value, relabelled)

    forger = asyncio.create_task(forge())
    await asyncio.sleep(0.01)
    answers = await _ask(dispatcher, "c5", [s.SYSTEM_VIS], 0.2)
    forger.cancel()
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_TIMEOUT]
    assert dispatcher.stats.dead_letters == {Reason.FORGED: 2, Reason.MALFORMED: 1}


class _StalledBus(MemoryBus):
    """A bus that never takes a message: Kafka gone, the producer waiting for it."""

    async def publish(self, *args: object, **kwargs: object) -> None:
        await asyncio.Event().wait()


async def test_a_bus_that_never_takes_the_query_still_answers_by_the_deadline(
    keys: Keyring,
) -> None:
    bus = _StalledBus(MemoryBroker())
    await bus.start()
    dispatcher = BusDispatcher(bus, TOPICS, "gw-stalled", keys, REGISTRY.catalog)
    await dispatcher.start()
    try:
        # Without the deadline bounding the publish, this waits for ever.
        answers = await asyncio.wait_for(
            _ask(dispatcher, "c6", [s.SYSTEM_SIS, s.SYSTEM_EES], 0.3), timeout=10
        )
    finally:
        await dispatcher.stop()
        await bus.stop()
    assert [(a.system, a.status) for a in answers] == [
        (s.SYSTEM_SIS, pb.OUTCOME_STATUS_UNAVAILABLE),
        (s.SYSTEM_EES, pb.OUTCOME_STATUS_UNAVAILABLE),
    ]
    assert all("did not take the query" in a.detail for a in answers)
    assert dispatcher.stats.unsent == 2
