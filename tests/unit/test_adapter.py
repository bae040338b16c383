"""The adapter loop: expired queries are dropped, unreadable ones go to the dead letters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.mock_client import MockSystemClient
from adapters.runtime import Adapter
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.envelope import Keyring
from broker.transport.grpc_server import GrpcServer
from broker.transport.rejection import Reason
from broker.transport.topics import Topics
from broker.transport.wire import pack_query
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s
from stack.bootstrap import adapter_keyring, dev_channels, gateway_keyring, mock_system
from stack.settings import Settings
from systems import REGISTRY

SIS = REGISTRY["sis"]

TOPICS = Topics(prefix="adapter-test")
REPLIES = "adapter-test.reply.gw"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    directory = tmp_path_factory.mktemp("keys")
    Keyring.generate_dev(directory, dev_channels(REGISTRY, ["gw1"]))
    return Settings(keys_dir=str(directory))


@pytest_asyncio.fixture
async def running(keys: Settings) -> AsyncIterator[tuple[MemoryBus, Adapter]]:
    system = mock_system(SIS)
    server = GrpcServer("127.0.0.1:0", [system.service()])
    await server.start()
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    await bus.ensure_topics([TOPICS.spec(REPLIES)])
    client = MockSystemClient(f"127.0.0.1:{server.port}", SIS.mock.service, SIS.translate)
    adapter = Adapter(bus, TOPICS, SIS.spec, client, adapter_keyring(keys, "sis"))
    await adapter.start()
    task = asyncio.create_task(adapter.run())
    yield bus, adapter
    task.cancel()
    await adapter.stop()
    await bus.stop()
    await server.stop(0)


async def _replies(bus: MemoryBus, wait: float) -> list[bytes]:
    subscription = await bus.subscribe([REPLIES], group="reader")
    await subscription.ready()
    got = []
    try:
        async with asyncio.timeout(wait):
            async for message in subscription:
                got.append(message.value)
    except TimeoutError:
        pass
    await subscription.close()
    return got


async def _send(bus: MemoryBus, keys: Settings, deadline_ms: int) -> None:
    query = bus_pb2.SystemQuery(
        correlation_id="c1",
        system=s.SYSTEM_SIS,
        traveller=pb.Traveller(surname="X"),
        deadline_unix_ms=deadline_ms,
    )
    topic = TOPICS.request("sis")
    out = pack_query(gateway_keyring(keys), query, SIS.spec, topic, REPLIES)
    await bus.publish(topic, out.key, out.value, out.headers)


async def test_a_live_query_is_answered(running: tuple[MemoryBus, Adapter], keys: Settings) -> None:
    bus, adapter = running
    await _send(bus, keys, int(time.time() * 1000) + 5000)
    assert len(await _replies(bus, 1.0)) == 1
    assert adapter.stats.answered == 1


async def test_an_expired_query_is_dropped_unanswered(
    running: tuple[MemoryBus, Adapter], keys: Settings
) -> None:
    bus, adapter = running
    await _send(bus, keys, int(time.time() * 1000) - 1)
    assert await _replies(bus, 0.5) == []
    assert (adapter.stats.expired, adapter.stats.answered) == (1, 0)


async def test_an_unsealed_query_goes_to_the_dead_letter_topic(
    running: tuple[MemoryBus, Adapter],
) -> None:
    bus, adapter = running
    dead = await bus.subscribe([TOPICS.dead_letter], group="ops")
    await dead.ready()
    forged = bus_pb2.SystemQuery(
        correlation_id="c2", deadline_unix_ms=int(time.time() * 1e3) + 5000
    )
    await bus.publish(
        TOPICS.request("sis"),
        b"c2",
        forged.SerializeToString(),
        {"reply-to": REPLIES.encode(), "correlation-id": b"c2"},
    )
    async with asyncio.timeout(2):
        message = await anext(aiter(dead))
    assert message.headers["dead-letter-reason"].startswith(b"malformed")
    assert adapter.stats.dead_letters == {Reason.MALFORMED: 1}
    await dead.close()
