"""Health that tells the truth: NOT_SERVING with the reason, and back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from adapters.runtime import STALL_S, Adapter
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.envelope import Keyring
from broker.transport.health import HealthWatch, bus_reachable
from broker.transport.topics import Topics
from broker.transport.wire import pack_query
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s
from stack.bootstrap import adapter_keyring, dev_channels, gateway_keyring
from stack.settings import Settings
from systems import REGISTRY

SIS = REGISTRY["sis"]
TOPICS = Topics(prefix="health-test", partitions=1)


class FakeServer:
    def __init__(self) -> None:
        self.serving: list[bool] = []

    async def set_serving(self, serving: bool) -> None:
        self.serving.append(serving)


class NoClient:
    async def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    directory = tmp_path_factory.mktemp("keys")
    Keyring.generate_dev(directory, dev_channels(REGISTRY, ["gw1"]))
    return Settings(keys_dir=str(directory))


@pytest_asyncio.fixture
async def bus() -> AsyncIterator[MemoryBus]:
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    yield bus
    await bus.stop()


def _adapter(bus: MemoryBus, keys: Settings) -> Adapter:
    keyring = adapter_keyring(keys, "sis")
    return Adapter(bus, TOPICS, SIS.spec, NoClient(), keyring)  # type: ignore[arg-type]


async def test_a_watch_reports_not_serving_with_its_reasons_and_comes_back() -> None:
    trouble: list[str | None] = ["the bus does not answer"]

    async def check() -> str | None:
        return trouble[0]

    server = FakeServer()
    watch = HealthWatch("part", server, [check])  # type: ignore[arg-type]
    assert not await watch.evaluate()
    assert watch.reasons == ["the bus does not answer"]
    trouble[0] = None
    assert await watch.evaluate()
    assert server.serving == [False, True]


async def test_a_stopped_bus_is_not_reachable(bus: MemoryBus) -> None:
    assert await bus_reachable(bus)() is None
    await bus.stop()
    assert await bus_reachable(bus)() == "the bus does not answer"
    await bus.start()


async def test_an_adapter_with_queries_waiting_and_none_taken_is_stalled(
    bus: MemoryBus, keys: Settings
) -> None:
    adapter = _adapter(bus, keys)
    await adapter.start()  # subscribed, but its loop does not run
    assert await adapter.trouble() is None
    gateway = gateway_keyring(keys)
    topic = TOPICS.request("sis")
    for n in range(3):
        query = bus_pb2.SystemQuery(correlation_id=f"c{n}", system=s.SYSTEM_SIS)
        out = pack_query(gateway, query, SIS.spec, topic, "health-test.reply.gw")
        await bus.publish(topic, out.key, out.value, out.headers)
    assert await adapter.trouble() is None, "queries waiting a moment are not a stall"
    adapter._last_taken = time.monotonic() - STALL_S - 1
    assert "3 queries waiting, none taken (stalled)" in (await adapter.trouble() or "")
    await adapter.stop()


async def test_an_adapter_without_a_partition_does_no_work(bus: MemoryBus, keys: Settings) -> None:
    first, second = _adapter(bus, keys), _adapter(bus, keys)
    await first.start()
    await second.start()  # one partition, two members: one of them gets nothing
    troubles = [await first.trouble(), await second.trouble()]
    assert sorted(t is None for t in troubles) == [False, True]
    assert any("no partition assigned" in (t or "") for t in troubles)
    await second.stop()
    assert await first.trouble() is None, "the partition came back to the one left"
    await first.stop()
