"""Gathering replies: duplicates and late replies are dropped, no wait past the deadline;
what happened is counted, and each answer's hops go into its check's trace."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

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


def dropped(registry: CollectorRegistry, system: str, reason: str) -> float:
    labels = {"system": system, "reason": reason}
    return registry.get_sample_value("interop_gateway_replies_dropped_total", labels) or 0.0


def waited(registry: CollectorRegistry, system: str) -> float:
    """How many of `system`'s answers the dispatcher has routed or given up on."""
    labels = {"system": system}
    return registry.get_sample_value("interop_gateway_system_duration_seconds_count", labels) or 0


async def _until(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    """Return once `condition` holds; fail after `within_s`."""
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def _echo(
    bus: MemoryBus,
    settings: Settings,
    system: str,
    replies: int = 1,
    before_reply: Callable[[], Awaitable[object]] | None = None,
    traces: list[str] | None = None,
) -> asyncio.Task[None]:
    """A stand-in adapter, subscribed when this returns, answering each query `replies`
    times, after `before_reply` when given (its call to the system), saying when that call
    was, and noting the traceparent of each query in `traces`."""
    keys, spec = adapter_keyring(settings, system), REGISTRY[system].spec
    subscription = await bus.subscribe([TOPICS.request(system)], group=f"adapter-{system}")
    await subscription.ready()

    async def answer() -> None:
        async for message in subscription:
            received = unpack_query(keys, message, spec)
            started = time.time()
            if before_reply is not None:
                await before_reply()
            if traces is not None:
                traces.append(traceparent_of(message) or "")
            for _ in range(replies):
                out = pack_reply(keys, _answered(received.body), spec, received.reply_to)
                headers = stamped_reply(out.headers, CallTimes(started, time.time()))
                await bus.publish(received.reply_to, out.key, out.value, headers)

    return asyncio.create_task(answer())


def _answered(query: bus_pb2.SystemQuery) -> bus_pb2.SystemReply:
    return bus_pb2.SystemReply(
        correlation_id=query.correlation_id,
        system=query.system,
        status=pb.OUTCOME_STATUS_ANSWERED,
        deadline_unix_ms=query.deadline_unix_ms,
    )


def _queries(cid: str, systems: list[s.System.ValueType]) -> list[bus_pb2.SystemQuery]:
    return [bus_pb2.SystemQuery(correlation_id=cid, system=x) for x in systems]


async def _ask(
    dispatcher: BusDispatcher,
    cid: str,
    systems: list[s.System.ValueType],
    budget: float,
    trace: CheckTrace | None = None,
) -> list[Answer]:
    deadline = time.monotonic() + budget
    traced = trace or CheckTrace.continuing(None)
    # A bound on a hang only: the dispatcher gives up by itself at `deadline`.
    async with asyncio.timeout(budget + 10):
        return [a async for a in dispatcher.ask(cid, _queries(cid, systems), deadline, traced)]


async def test_answers_and_timeouts(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
) -> None:
    echo = await _echo(bus, settings, "sis")
    answers = await _ask(dispatcher, "c1", [s.SYSTEM_SIS, s.SYSTEM_VIS], 0.3)
    echo.cancel()
    assert [(a.system, a.status) for a in answers] == [
        (s.SYSTEM_SIS, pb.OUTCOME_STATUS_ANSWERED),
        (s.SYSTEM_VIS, pb.OUTCOME_STATUS_TIMEOUT),
    ]
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
    # The stand-in system takes at least 20 ms to answer.
    echo = await _echo(
        bus, settings, "sis", before_reply=lambda: asyncio.sleep(0.02), traces=traces
    )
    trace = CheckTrace.continuing(None)
    started = time.monotonic()
    trace.mark(started)
    await _ask(dispatcher, "c7", [s.SYSTEM_SIS], 10.0, trace)
    elapsed = time.monotonic() - started
    echo.cancel()
    hops = dict(trace.hops)
    assert list(hops) == [PUBLISH, "sis.queue", "sis.call", "sis.reply"]
    assert hops["sis.call"] >= 0.015
    assert all(0 <= seconds <= elapsed for seconds in hops.values()), (hops, elapsed)
    # The query carries the check's trace: same trace id, the gateway's span as parent.
    assert parse_traceparent(traces[0]) == trace.context


async def test_duplicate_replies_are_dropped(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
) -> None:
    """EES answers three times while the check still waits (for SIS, which answers only
    once both extra EES replies were dropped): two duplicates, none late."""

    async def duplicates_dropped() -> None:
        await _until(lambda: sum(dropped(registry, "ees", r) for r in ("duplicate", "late")) == 2)

    echoes = [
        await _echo(bus, settings, "ees", replies=3),
        await _echo(bus, settings, "sis", before_reply=duplicates_dropped),
    ]
    answers = await _ask(dispatcher, "c2", [s.SYSTEM_EES, s.SYSTEM_SIS], 10.0)
    for echo in echoes:
        echo.cancel()
    assert [(a.system, a.status) for a in answers] == [
        (s.SYSTEM_EES, pb.OUTCOME_STATUS_ANSWERED),
        (s.SYSTEM_SIS, pb.OUTCOME_STATUS_ANSWERED),
    ]
    assert (dropped(registry, "ees", "duplicate"), dropped(registry, "ees", "late")) == (2, 0)


async def test_late_replies_are_dropped(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
) -> None:
    """ETIAS answers only after the check gave up on it: its reply is late, not a duplicate."""
    gave_up = asyncio.Event()
    echo = await _echo(bus, settings, "etias", before_reply=gave_up.wait)
    answers = await _ask(dispatcher, "c3", [s.SYSTEM_ETIAS], 0.05)
    gave_up.set()
    await _until(lambda: dropped(registry, "etias", "late") == 1)
    echo.cancel()
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_TIMEOUT]
    assert dropped(registry, "etias", "duplicate") == 0


async def test_a_reply_routed_before_the_deadline_is_an_answer_even_if_taken_after(
    bus: MemoryBus, settings: Settings, dispatcher: BusDispatcher, registry: CollectorRegistry
) -> None:
    """The caller is busy with the first answer until past the deadline; the second reply,
    routed meanwhile, still counts as the system's answer, not as a timeout."""
    echoes = [await _echo(bus, settings, "sis"), await _echo(bus, settings, "vis")]
    deadline = time.monotonic() + 0.3
    queries = _queries("c8", [s.SYSTEM_SIS, s.SYSTEM_VIS])
    answers = []
    async for answer in dispatcher.ask("c8", queries, deadline, CheckTrace.continuing(None)):
        answers.append(answer)
        if len(answers) == 1:
            await _until(lambda: waited(registry, "sis") + waited(registry, "vis") == 2)
            # Busy past the deadline: what the check waited for is already routed.
            await asyncio.sleep(max(0.0, deadline - time.monotonic()) + 0.05)
    for echo in echoes:
        echo.cancel()
    assert sorted((a.system, a.status) for a in answers) == [
        (s.SYSTEM_SIS, pb.OUTCOME_STATUS_ANSWERED),
        (s.SYSTEM_VIS, pb.OUTCOME_STATUS_ANSWERED),
    ]


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
    vis = adapter_keyring(settings, "vis")
    subscription = await bus.subscribe([TOPICS.request("vis")], group="forger")
    await subscription.ready()

    async def forge() -> None:
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

    def refused() -> dict[str, float | None]:
        labels = {"topic": TOPICS.reply("gw-test")}
        return {
            reason: registry.get_sample_value(
                "interop_bus_dead_letters_total", {**labels, "reason": reason}
            )
            for reason in ("forged", "malformed")
        }

    forger = asyncio.create_task(forge())
    answers = await _ask(dispatcher, "c5", [s.SYSTEM_VIS], 0.2)
    await _until(lambda: refused() == {"forged": 2, "malformed": 1})
    forger.cancel()
    assert [a.status for a in answers] == [pb.OUTCOME_STATUS_TIMEOUT]


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
        answers = await _ask(dispatcher, "c6", [s.SYSTEM_SIS, s.SYSTEM_EES], 0.3)
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
