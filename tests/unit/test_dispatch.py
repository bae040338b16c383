"""Gathering replies: duplicates and late replies are dropped, no wait past the deadline;
what happened is counted, and each answer's hops go into its check's trace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from broker.domain.answers import Answer
from broker.domain.trace import PUBLISH, CheckTrace, parse_traceparent
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.dispatcher import BusDispatcher
from broker.transport.envelope import Keyring
from broker.transport.metrics import DispatchMetrics
from broker.transport.timing import CallTimes, stamped_reply, traceparent_of
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


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest_asyncio.fixture
async def dispatcher(
    bus: MemoryBus, keys: Keyring, registry: CollectorRegistry
) -> AsyncIterator[BusDispatcher]:
    metrics = DispatchMetrics(registry, REGISTRY.catalog)
    dispatcher = BusDispatcher(bus, TOPICS, "gw-test", keys, REGISTRY.catalog, metrics)
    await dispatcher.start()
    yield dispatcher
    await dispatcher.stop()


def dropped(registry: CollectorRegistry, system: str, reason: str) -> float | None:
    labels = {"system": system, "reason": reason}
    return registry.get_sample_value("interop_gateway_replies_dropped_total", labels)


async def _echo(
    bus: MemoryBus,
    settings: Settings,
    system: str,
    replies: int = 1,
    delay: float = 0.0,
    traces: list[str] | None = None,
) -> None:
    """A stand-in adapter answering each query `replies` times after `delay`, saying when
    its call was, and noting the traceparent of each query in `traces`."""
    keys, spec = adapter_keyring(settings, system), REGISTRY[system].spec
    subscription = await bus.subscribe([TOPICS.request(system)], group=f"adapter-{system}")
    await subscription.ready()
    async for message in subscription:
        received = unpack_query(keys, message, spec)
        started = time.time()
        await asyncio.sleep(delay)
        if traces is not None:
            traces.append(traceparent_of(message) or "")
        for _ in range(replies):
            out = pack_reply(keys, _answered(received.body), spec, received.reply_to)
            headers = stamped_reply(out.headers, CallTimes(started, time.time()))
            await bus.publish(received.reply_to, out.key, out.value, headers)


def _answered(query: bus_pb2.SystemQuery) -> bus_pb2.SystemReply:
    return bus_pb2.SystemReply(
        correlation_id=query.correlation_id,
        system=query.system,
        status=pb.OUTCOME_STATUS_ANSWERED,
        deadline_unix_ms=query.deadline_unix_ms,
    )


async def _ask(
    dispatcher: BusDispatcher,
    cid: str,
    systems: list[s.System.ValueType],
    budget: float,
    trace: CheckTrace | None = None,
) -> list[Answer]:
    queries = [bus_pb2.SystemQuery(correlation_id=cid, system=x) for x in systems]
    traced = trace or CheckTrace.continuing(None)
    return [a async for a in dispatcher.ask(cid, queries, time.monotonic() + budget, traced)]


async def test_answers_and_timeouts(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
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
    # Each system's wait is timed, the answer's and the timeout's.
    for system, least in (("sis", 0.0), ("vis", 0.3)):
        labels = {"system": system}
        name = "interop_gateway_system_duration_seconds"
        assert registry.get_sample_value(f"{name}_count", labels) == 1
        assert (registry.get_sample_value(f"{name}_sum", labels) or 0) >= least


async def test_the_hops_of_each_answer_go_into_the_trace_it_continues(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher
) -> None:
    traces: list[str] = []
    echo = asyncio.create_task(_echo(bus, settings, "sis", delay=0.02, traces=traces))
    await asyncio.sleep(0.01)
    trace = CheckTrace.continuing(None)
    trace.mark(time.monotonic())
    await _ask(dispatcher, "c7", [s.SYSTEM_SIS], 1.0, trace)
    echo.cancel()
    hops = dict(trace.hops)
    assert list(hops) == [PUBLISH, "sis.queue", "sis.call", "sis.reply"]
    assert 0.015 < hops["sis.call"] < 0.5
    assert all(0 <= seconds < 0.5 for seconds in hops.values())
    # The query carries the check's trace: same trace id, the gateway's span as parent.
    assert parse_traceparent(traces[0]) == trace.context


async def test_duplicate_replies_are_dropped(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
) -> None:
    echo = asyncio.create_task(_echo(bus, settings, "ees", replies=3))
    await asyncio.sleep(0.01)
    answers = await _ask(dispatcher, "c2", [s.SYSTEM_EES], 1.0)
    await asyncio.sleep(0.05)
    echo.cancel()
    assert len(answers) == 1
    dropped_ees = [dropped(registry, "ees", reason) for reason in ("duplicate", "late")]
    assert sum(n or 0 for n in dropped_ees) == 2


async def test_late_replies_are_dropped(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
) -> None:
    echo = asyncio.create_task(_echo(bus, settings, "etias", delay=0.2))
    await asyncio.sleep(0.01)
    answers = await _ask(dispatcher, "c3", [s.SYSTEM_ETIAS], 0.05)
    await asyncio.sleep(0.3)
    echo.cancel()
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_TIMEOUT]
    assert dropped(registry, "etias", "late") == 1


async def test_a_bus_that_refuses_the_query_makes_the_system_unavailable(
    dispatcher: BusDispatcher, bus: MemoryBus
) -> None:
    await bus.stop()  # publishing now fails
    answers = await _ask(dispatcher, "c4", [s.SYSTEM_SIS], 0.2)
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_UNAVAILABLE]
    assert "bus" in answers[0].detail
    await bus.start()


async def test_a_forged_reply_is_not_taken(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
) -> None:
    """A reply that is not sealed by a trusted service is dropped, and the system times out."""

    async def forge() -> None:
        subscription = await bus.subscribe([TOPICS.request("vis")], group="forger")
        await subscription.ready()
        async for message in subscription:
            vis = adapter_keyring(settings, "vis")
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
    reply_topic = TOPICS.reply("gw-test")
    refused = {
        reason: registry.get_sample_value(
            "interop_bus_dead_letters_total", {"topic": reply_topic, "reason": reason}
        )
        for reason in ("forged", "malformed")
    }
    assert refused == {"forged": 2, "malformed": 1}


class _StalledBus(MemoryBus):
    """A bus that never takes a message: Kafka gone, the producer waiting for it."""

    async def publish(self, *args: object, **kwargs: object) -> None:
        await asyncio.Event().wait()


async def test_a_bus_that_never_takes_the_query_still_answers_by_the_deadline(
    keys: Keyring, registry: CollectorRegistry
) -> None:
    bus = _StalledBus(MemoryBroker())
    await bus.start()
    metrics = DispatchMetrics(registry, REGISTRY.catalog)
    dispatcher = BusDispatcher(bus, TOPICS, "gw-stalled", keys, REGISTRY.catalog, metrics)
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
    unsent = [
        registry.get_sample_value("interop_gateway_queries_unsent_total", {"system": name})
        for name in REGISTRY.names
    ]
    assert unsent == [1, 0, 1, 0, 0]
