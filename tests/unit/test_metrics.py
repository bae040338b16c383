"""Every metric family moves when its event happens; each test reads a registry of its own.

The dispatcher's families are tested in test_dispatch.py, the adapters' in test_adapter.py,
shed calls in test_overload.py; here the gateway's, the mocks' and the endpoint.
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import grpc
import pytest
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.parser import text_string_to_metric_families

from adapters.metrics import AdapterFamilies, AdapterMetrics
from broker.domain.answers import Answer
from broker.domain.links import link_hits
from broker.domain.profiles import AccessPolicy
from broker.domain.validation import Limits
from broker.gateway.metrics import GatewayMetrics
from broker.gateway.servicer import BorderCheckServicer
from broker.service.admission import Admission
from broker.service.breaker import Breaker
from broker.service.ports import Ports
from broker.transport.metrics import Children, dead_letters
from broker.transport.telemetry import MetricsEndpoint, Telemetry, loopback_listen
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.faults import FaultPlan, MockFault
from mocks.metrics import MockFamilies, MockMetrics
from stack.bootstrap import mock_system
from stack.settings import load_settings
from systems import REGISTRY
from tests.unit.test_check_service import FakeAudit, FakeClock, FakeDispatcher, ports, request

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class FakeContext:
    """What the servicer and the gateway's metrics read and set on a call."""

    def __init__(self, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.metadata = metadata
        self.trailers: tuple[tuple[str, str], ...] = ()
        self.status: grpc.StatusCode | None = None

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self.metadata

    def auth_context(self) -> dict[str, list[bytes]]:
        return {}

    def time_remaining(self) -> float | None:
        return None

    def set_trailing_metadata(self, trailers: tuple[tuple[str, str], ...]) -> None:
        self.trailers = trailers

    def code(self) -> grpc.StatusCode | None:
        return self.status

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.status = code
        raise grpc.aio.AbortError(details)

    async def abort_with_status(self, status: Any) -> None:
        await self.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad request")


def sample(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


def gateway(checked: Ports) -> tuple[BorderCheckServicer, CollectorRegistry]:
    registry = CollectorRegistry()
    return BorderCheckServicer(checked, False, GatewayMetrics(registry, checked)), registry


async def test_a_check_is_counted_timed_and_its_hops_observed_and_returned() -> None:
    servicer, registry = gateway(ports(FakeDispatcher(), FakeAudit()))
    context = FakeContext((("traceparent", TRACEPARENT),))
    await servicer.Check(request(), context)
    assert sample(registry, "interop_gateway_checks_total", method="Check", code="OK") == 1
    assert sample(registry, "interop_gateway_check_duration_seconds_count", method="Check") == 1
    for hop in ("gateway.validate", "gateway.route", "gateway.merge", "gateway.audit"):
        assert sample(registry, "interop_hop_duration_seconds_count", hop=hop) == 1
    for system in ("sis", "vis", "ees", "etias"):
        answered = sample(
            registry, "interop_gateway_outcomes_total", system=system, status="answered"
        )
        assert answered == 1
    [(name, value)] = context.trailers
    assert name == "server-timing" and "gateway.validate;dur=" in value


async def test_a_stream_is_counted_with_its_outcomes() -> None:
    dispatcher = FakeDispatcher(silent=frozenset({s.SYSTEM_VIS}))
    servicer, registry = gateway(ports(dispatcher, FakeAudit()))
    context = FakeContext()
    events = [e async for e in servicer.CheckStream(request(), context)]
    assert events[-1].HasField("report")
    assert sample(registry, "interop_gateway_checks_total", method="CheckStream", code="OK") == 1
    timeout = sample(registry, "interop_gateway_outcomes_total", system="vis", status="timeout")
    assert timeout == 1
    assert context.trailers[0][0] == "server-timing"


async def test_refusals_are_counted_by_their_status() -> None:
    full = replace(ports(FakeDispatcher(), FakeAudit()), admission=Admission(max_in_flight=0))
    servicer, registry = gateway(full)
    for _ in range(2):
        with pytest.raises(grpc.aio.AbortError):
            await servicer.Check(request(), FakeContext())
    refused = sample(
        registry, "interop_gateway_checks_total", method="Check", code="RESOURCE_EXHAUSTED"
    )
    assert refused == 2


async def test_a_bad_request_is_counted_invalid_and_sends_no_trailer() -> None:
    servicer, registry = gateway(ports(FakeDispatcher(), FakeAudit()))
    context = FakeContext()
    with pytest.raises(grpc.aio.AbortError):
        await servicer.Check(request(deadline_ms=10**9), context)
    invalid = sample(
        registry, "interop_gateway_checks_total", method="Check", code="INVALID_ARGUMENT"
    )
    assert invalid == 1 and context.trailers == ()


async def test_checks_in_flight_and_open_circuits_are_read_when_scraped() -> None:
    checked = Ports(
        REGISTRY.catalog,
        AccessPolicy({}),
        Limits(),
        FakeDispatcher(),
        FakeAudit(),
        link_hits,
        FakeClock(),
        Admission(),
        Breaker(failures=1),
    )
    registry = CollectorRegistry()
    GatewayMetrics(registry, checked)
    with checked.admission.admit("terminal-1"):
        assert sample(registry, "interop_gateway_checks_in_flight") == 1
    assert sample(registry, "interop_gateway_checks_in_flight") == 0
    assert sample(registry, "interop_gateway_circuit_open", system="vis") == 0
    checked.breaker.record(Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_TIMEOUT, 2000))
    assert sample(registry, "interop_gateway_circuit_open", system="vis") == 1


async def test_mock_calls_are_counted_and_timed_by_status() -> None:
    registry = CollectorRegistry()
    mock = mock_system(REGISTRY["sis"], metrics=MockMetrics(MockFamilies(registry), "sis"))
    search = mock_pb2.SearchRequest(traveller=pb.Traveller(surname="X"))
    await mock.search(search, "")
    mock.sessions.get("").faults = FaultPlan(outage_until=float("inf"))
    with pytest.raises(MockFault):
        await mock.search(search, "")
    calls = "interop_mock_calls_total"
    assert sample(registry, calls, system="sis", method="Search", status="OK") == 1
    assert sample(registry, calls, system="sis", method="Search", status="UNAVAILABLE") == 1
    duration = "interop_mock_call_duration_seconds_count"
    assert sample(registry, duration, system="sis", method="Search") == 2


def test_adapter_lag_forgets_partitions_given_away() -> None:
    registry = CollectorRegistry()
    metrics = AdapterMetrics(AdapterFamilies(registry), "sis")
    metrics.lag({("q", 0): 3, ("q", 1): 0})
    metrics.lag({("q", 1): 5})
    lag = "interop_adapter_consumer_lag"
    assert registry.get_sample_value(lag, {"system": "sis", "topic": "q", "partition": "0"}) is None
    assert sample(registry, lag, system="sis", topic="q", partition="1") == 5


def test_children_are_made_once_and_listed_ones_exist_from_the_start() -> None:
    registry = CollectorRegistry()
    family = Counter("things", "things", ["kind"], registry=registry)
    made: list[str] = []

    def labels(key: str) -> tuple[str]:
        made.append(key)
        return (key,)

    children = Children(family, labels, ["a"])
    assert sample(registry, "things_total", kind="a") == 0
    assert children["b"] is children["b"]
    assert made == ["a", "b"]


def test_one_dead_letter_family_serves_every_part_of_a_process() -> None:
    registry = CollectorRegistry()
    dead_letters(registry)[("t.sis.query", "forged")].inc()
    dead_letters(registry)[("t.reply.gw1", "replayed")].inc()
    sample = registry.get_sample_value
    assert (
        sample("interop_bus_dead_letters_total", {"topic": "t.sis.query", "reason": "forged"}) == 1
    )
    assert (
        sample("interop_bus_dead_letters_total", {"topic": "t.reply.gw1", "reason": "replayed"})
        == 1
    )


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[MetricsEndpoint, Telemetry, list[int]]]:
    telemetry = Telemetry()
    refreshed: list[int] = []

    async def refresh() -> None:
        refreshed.append(1)

    telemetry.refreshes.append(refresh)
    Counter("interop_test_events", "events", registry=telemetry.registry).inc()
    served = MetricsEndpoint(telemetry, "127.0.0.1:0")
    await served.start()
    yield served, telemetry, refreshed
    await served.stop()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


async def test_the_endpoint_serves_the_text_format_read_fresh(
    endpoint: tuple[MetricsEndpoint, Telemetry, list[int]],
) -> None:
    served, _, refreshed = endpoint
    status, text = await asyncio.to_thread(_get, served.url)
    assert status == 200
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"interop_test_events", "process_cpu_seconds"} <= names
    assert refreshed == [1]
    status, _ = await asyncio.to_thread(_get, served.url.replace("/metrics", "/other"))
    assert status == 404


@pytest.mark.parametrize("listen", ["0.0.0.0:9464", "10.0.0.1:9464", "example.org:1", "9464"])
def test_metrics_are_served_on_loopback_only(listen: str) -> None:
    with pytest.raises(ValueError):
        loopback_listen(listen)
    with pytest.raises(SystemExit, match="INTEROP_METRICS_LISTEN"):
        load_settings({"INTEROP_METRICS_LISTEN": listen})


@pytest.mark.parametrize("listen", ["127.0.0.1:9464", "localhost:0", "[::1]:9464"])
def test_loopback_addresses_are_taken(listen: str) -> None:
    assert loopback_listen(listen)[1] in (0, 9464)
    assert load_settings({"INTEROP_METRICS_LISTEN": listen}).metrics_listen == listen
