"""The adapter loop: expired queries are dropped, unreadable ones go to the dead letters;
each ending is counted, and the call continues the query's trace to the system."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from adapters.metrics import AdapterFamilies, AdapterMetrics
from adapters.mock_client import MockSystemClient
from adapters.runtime import Adapter
from broker.domain.trace import TraceContext
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.envelope import Keyring
from broker.transport.grpc_server import GrpcServer
from broker.transport.timing import stamped_query
from broker.transport.topics import Kind, Topics
from broker.transport.wire import pack_query
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s
from mocks.faults import FaultPlan
from mocks.service import MockSystem
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


@dataclass
class Running:
    bus: MemoryBus
    adapter: Adapter
    mock: MockSystem
    registry: CollectorRegistry

    def sample(self, name: str, **labels: str) -> float | None:
        return self.registry.get_sample_value(name, {"system": "sis", **labels})


@pytest_asyncio.fixture
async def running(keys: Settings) -> AsyncIterator[Running]:
    mock = mock_system(SIS)
    server = GrpcServer("127.0.0.1:0", [mock.service()])
    await server.start()
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    await bus.ensure_topics([TOPICS.spec(REPLIES, Kind.REPLY)])
    client = MockSystemClient(f"127.0.0.1:{server.port}", SIS.mock.service, SIS.translate)
    registry = CollectorRegistry()
    metrics = AdapterMetrics(AdapterFamilies(registry), "sis")
    adapter = Adapter(bus, TOPICS, SIS.spec, client, adapter_keyring(keys, "sis"), metrics=metrics)
    await adapter.start()
    task = asyncio.create_task(adapter.run())
    yield Running(bus, adapter, mock, registry)
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


GATEWAY_SPAN = TraceContext("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")


async def _send(bus: MemoryBus, keys: Settings, deadline_ms: int) -> None:
    """A query as the gateway sends it, with its trace and when it went to the bus."""
    query = bus_pb2.SystemQuery(
        correlation_id="c1",
        system=s.SYSTEM_SIS,
        traveller=pb.Traveller(surname="X"),
        deadline_unix_ms=deadline_ms,
    )
    topic = TOPICS.request("sis")
    out = pack_query(gateway_keyring(keys), query, SIS.spec, topic, REPLIES)
    headers = stamped_query(out.headers, GATEWAY_SPAN.traceparent.encode(), time.time())
    await bus.publish(topic, out.key, out.value, headers)


def _queries(running: Running, outcome: str) -> float | None:
    return running.sample("interop_adapter_queries_total", outcome=outcome)


async def test_a_live_query_is_answered(running: Running, keys: Settings) -> None:
    await _send(running.bus, keys, int(time.time() * 1000) + 5000)
    assert len(await _replies(running.bus, 1.0)) == 1
    assert _queries(running, "answered") == 1
    assert running.sample("interop_adapter_queue_wait_seconds_count") == 1
    assert running.sample("interop_adapter_system_call_seconds_count") == 1


async def test_the_call_to_the_system_continues_the_queries_trace(
    running: Running, keys: Settings
) -> None:
    await _send(running.bus, keys, int(time.time() * 1000) + 5000)
    await _replies(running.bus, 1.0)
    (call,) = running.mock.sessions.get("").recent_calls(0)
    assert call.trace_id == GATEWAY_SPAN.trace_id


async def test_a_failed_call_is_counted(running: Running, keys: Settings) -> None:
    running.mock.sessions.get("").faults = FaultPlan(outage_until=float("inf"))
    await _send(running.bus, keys, int(time.time() * 1000) + 5000)
    assert len(await _replies(running.bus, 1.0)) == 1
    assert (_queries(running, "failed"), _queries(running, "answered")) == (1, 0)


async def test_an_expired_query_is_dropped_unanswered(running: Running, keys: Settings) -> None:
    await _send(running.bus, keys, int(time.time() * 1000) - 1)
    assert await _replies(running.bus, 0.5) == []
    assert (_queries(running, "expired"), _queries(running, "answered")) == (1, 0)


async def test_the_lag_of_each_owned_partition_is_read_before_a_scrape(running: Running) -> None:
    await running.adapter.measure_lag()
    topic = TOPICS.request("sis")
    lags = [
        running.sample("interop_adapter_consumer_lag", topic=topic, partition=str(p))
        for p in range(TOPICS.partitions)
    ]
    assert lags == [0] * TOPICS.partitions


async def test_an_unsealed_query_goes_to_the_dead_letter_topic(running: Running) -> None:
    bus = running.bus
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
    assert _queries(running, "dead_lettered") == 1
    labels = {"topic": TOPICS.request("sis"), "reason": "malformed"}
    assert running.registry.get_sample_value("interop_bus_dead_letters_total", labels) == 1
    await dead.close()


class _HeldClient:
    """A system that answers only when released, and tells when it has been asked."""

    def __init__(self) -> None:
        self.asked = asyncio.Event()
        self.release = asyncio.Event()

    async def search(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> list[pb.Hit]:
        self.asked.set()
        await self.release.wait()
        return []

    async def record_crossing(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> pb.Hit:
        raise AssertionError("not asked here")

    async def close(self) -> None:
        return None


async def test_a_stopping_adapter_leaves_its_group_then_answers_what_it_holds(
    keys: Settings,
) -> None:
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    await bus.ensure_topics([TOPICS.spec(REPLIES, Kind.REPLY)])
    client = _HeldClient()
    registry = CollectorRegistry()
    metrics = AdapterMetrics(AdapterFamilies(registry), "sis")
    adapter = Adapter(bus, TOPICS, SIS.spec, client, adapter_keyring(keys, "sis"), metrics=metrics)
    await adapter.start()
    running = asyncio.create_task(adapter.run())
    replies = await bus.subscribe([REPLIES], group="reader")
    await replies.ready()
    await _send(bus, keys, int(time.time() * 1000) + 5000)
    await asyncio.wait_for(client.asked.wait(), 2)
    running.cancel()
    stopping = asyncio.create_task(adapter.stop())
    await asyncio.sleep(0.05)
    assert adapter.subscription is not None
    assert adapter.subscription.assigned_partitions() == frozenset(), "left before the drain"
    assert not stopping.done(), "the query in hand is still being answered"
    client.release.set()
    await asyncio.wait_for(stopping, 2)
    async with asyncio.timeout(2):
        assert (await anext(aiter(replies))).key == b"c1"
    labels = {"system": "sis", "outcome": "answered"}
    assert registry.get_sample_value("interop_adapter_queries_total", labels) == 1
    await bus.stop()


async def test_a_stop_whose_leaving_hangs_still_ends_and_reports(
    running: Running, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Leaving a Kafka group during a rebalance can wait on the rebalance: a stop bounded
    # by nothing would be SIGKILLed by its supervisor and say nothing of what it did.
    monkeypatch.setattr("adapters.runtime.LEAVE_S", 0.2)
    subscription = running.adapter.subscription
    assert subscription is not None

    async def hangs() -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(subscription, "close", hangs)
    caplog.set_level("INFO", logger="adapters.runtime")
    await asyncio.wait_for(running.adapter.stop(), 5)
    assert "leaving group interop.adapter.sis took over" in caplog.text
    assert "adapter sis stopped: 0 answered" in caplog.text
