"""Overload: a bound on checks in flight, a circuit breaker per system, late work shed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import grpc
import pytest
from prometheus_client import CollectorRegistry

from broker.domain.answers import Answer
from broker.domain.errors import Overloaded
from broker.domain.links import link_hits
from broker.domain.profiles import AccessPolicy
from broker.domain.trace import CheckTrace
from broker.domain.validation import Limits
from broker.service.admission import Admission
from broker.service.breaker import Breaker
from broker.service.check import check
from broker.service.ports import Peer, Ports
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s
from mocks.metrics import MockFamilies, MockMetrics
from stack.bootstrap import mock_system
from systems import REGISTRY
from tests.unit.test_check_service import FakeAudit, FakeClock, FakeDispatcher, request

LOCAL = Peer(common_name=None, secure=False)


def test_admission_refuses_beyond_its_bounds_and_frees_the_place_after() -> None:
    admission = Admission(max_in_flight=2, max_per_client=1)
    with admission.admit("terminal-1"):
        with pytest.raises(Overloaded, match="terminal-1"):
            with admission.admit("terminal-1"):
                pass
        with admission.admit("terminal-2"):
            with pytest.raises(Overloaded, match="2 checks in flight"):
                with admission.admit("terminal-3"):
                    pass
    assert admission.in_flight == 0 and not admission.per_client
    with admission.admit("terminal-1"):
        assert admission.in_flight == 1


@dataclass
class BlockingDispatcher:
    """Holds every check until released: checks in flight stay in flight."""

    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def ask(
        self,
        correlation_id: str,
        queries: Sequence[bus_pb2.SystemQuery],
        deadline: float,
        trace: CheckTrace,
    ) -> AsyncIterator[Answer]:
        await self.release.wait()
        for query in queries:
            yield Answer(query.system, pb.OUTCOME_STATUS_ANSWERED, 1)


async def test_a_check_beyond_the_bound_is_refused_while_the_others_finish() -> None:
    dispatcher = BlockingDispatcher()
    ports = Ports(
        REGISTRY.catalog,
        AccessPolicy({}),
        Limits(),
        dispatcher,
        FakeAudit(),
        link_hits,
        FakeClock(),
        Admission(max_in_flight=1, max_per_client=1),
    )
    first = asyncio.create_task(check(request(), LOCAL, ports))
    await asyncio.sleep(0)
    with pytest.raises(Overloaded):
        await check(request(), LOCAL, ports)
    dispatcher.release.set()
    report = await first
    assert report.outcomes
    assert all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes)
    assert ports.admission.in_flight == 0


def test_a_circuit_opens_after_failures_in_a_row_and_a_probe_closes_it() -> None:
    breaker = Breaker(failures=3, probe_interval_s=1.0)
    for _ in range(2):
        breaker.record(Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_TIMEOUT, 2000))
    assert breaker.allow(s.SYSTEM_VIS, 0.0)
    breaker.record(Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_UNAVAILABLE, 0))
    assert breaker.is_open(s.SYSTEM_VIS)
    assert breaker.allow(s.SYSTEM_VIS, 10.0)  # the probe
    assert not breaker.allow(s.SYSTEM_VIS, 10.5)
    assert breaker.allow(s.SYSTEM_VIS, 11.0)  # the next probe
    assert breaker.allow(s.SYSTEM_SIS, 10.5)  # other systems are not affected
    breaker.record(Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_ANSWERED, 5))
    assert not breaker.is_open(s.SYSTEM_VIS)
    assert breaker.allow(s.SYSTEM_VIS, 10.6)


def test_an_answer_between_failures_keeps_the_circuit_closed() -> None:
    breaker = Breaker(failures=2)
    breaker.record(Answer(s.SYSTEM_EES, pb.OUTCOME_STATUS_TIMEOUT, 2000))
    breaker.record(Answer(s.SYSTEM_EES, pb.OUTCOME_STATUS_ERROR, 3))
    breaker.record(Answer(s.SYSTEM_EES, pb.OUTCOME_STATUS_TIMEOUT, 2000))
    assert not breaker.is_open(s.SYSTEM_EES)


async def test_a_system_with_an_open_circuit_is_reported_unavailable_without_asking() -> None:
    dispatcher = FakeDispatcher(silent=frozenset({s.SYSTEM_VIS}))
    clock = FakeClock()
    ports = Ports(
        REGISTRY.catalog,
        AccessPolicy({}),
        Limits(),
        dispatcher,
        FakeAudit(),
        link_hits,
        clock,
        breaker=Breaker(failures=3, probe_interval_s=60.0),
    )
    for _ in range(3 + 1):  # three failures open the circuit; the next check probes
        await check(request(), LOCAL, ports)
    dispatcher.asked.clear()
    clock.now += 1  # within the probe interval: no probe
    report = await check(request(), LOCAL, ports)
    vis = next(o for o in report.outcomes if o.system == s.SYSTEM_VIS)
    assert vis.status == pb.OUTCOME_STATUS_UNAVAILABLE
    assert "circuit open" in vis.detail
    assert s.SYSTEM_VIS not in {q.system for q in dispatcher.asked}
    assert report.verdict == pb.VERDICT_INCOMPLETE


class _LateContext:
    """A call whose caller stopped waiting while it sat in the queue."""

    def __init__(self) -> None:
        self.aborted: tuple[grpc.StatusCode, str] | None = None

    def time_remaining(self) -> float:
        return 0.0005

    def invocation_metadata(self) -> tuple[()]:
        return ()

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.aborted = (code, details)
        raise asyncio.CancelledError


async def test_a_mock_sheds_a_call_whose_deadline_passed_in_its_queue() -> None:
    registry = CollectorRegistry()
    mock = mock_system(REGISTRY["sis"], metrics=MockMetrics(MockFamilies(registry), "sis"))
    context = _LateContext()
    with pytest.raises(asyncio.CancelledError):
        search = mock_pb2.SearchRequest(traveller=pb.Traveller(surname="X"))
        await mock.Search(search, context)
    assert context.aborted is not None
    assert context.aborted[0] == grpc.StatusCode.DEADLINE_EXCEEDED
    assert registry.get_sample_value("interop_mock_shed_calls_total", {"system": "sis"}) == 1
    assert not mock.sessions.get("").calls, "a shed call is not searched"
