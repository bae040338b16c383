"""A mock system as a gRPC service: its own service name, MockControl, sessions, faults.

The same class stands behind all five search services; what differs per system is
its rules (mocks/systems/) and its data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import grpc

from broker.serving import Service
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from mocks.engine import Context, Probe, RecordSource, Rules, search
from mocks.faults import FaultError, FaultPlan
from mocks.seeded import SeededSource
from mocks.session import DEFAULT_SESSION, SESSION_HEADER, Session, Sessions

log = logging.getLogger(__name__)

Context_: TypeAlias = grpc.aio.ServicerContext[Any, Any]

_REGISTER: dict[str, tuple[str, Callable[[Any, grpc.aio.Server], None]]] = {
    "sis": ("SisMock", mock_pb2_grpc.add_SisMockServicer_to_server),
    "vis": ("VisMock", mock_pb2_grpc.add_VisMockServicer_to_server),
    "ees": ("EesMock", mock_pb2_grpc.add_EesMockServicer_to_server),
    "etias": ("EtiasMock", mock_pb2_grpc.add_EtiasMockServicer_to_server),
    "eurodac": ("EurodacMock", mock_pb2_grpc.add_EurodacMockServicer_to_server),
}


def session_of(context: Context_) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == SESSION_HEADER:
            return str(value)
    return DEFAULT_SESSION


class MockSystem:
    """Search (and, for EES, RecordCrossing) over the base data and the caller's session."""

    def __init__(self, name: str, rules: Rules, base: Sequence[RecordSource] = ()) -> None:
        self.name = name
        self.rules = rules
        self.base = list(base)
        self.sessions = Sessions()

    def _sources(self, session: Session) -> list[RecordSource]:
        return [*self.base, SeededSource(session)]

    async def _enter(self, method: str, request: Any, context: Context_) -> Session:
        """Apply the session's faults to this call; aborts the call when a fault says so."""
        session, number, now = self.sessions.next_call(session_of(context))
        fate = session.faults.decide(number, now, session.rng)
        if fate.delay_s:
            await asyncio.sleep(fate.delay_s)
        if fate.error is not None:
            session.record_call(method, request, fate.error.name, 0)
            await context.abort(fate.error, fate.message)
        return session

    async def Search(
        self, request: mock_pb2.SearchRequest, context: Context_
    ) -> mock_pb2.SearchResponse:
        session = await self._enter("Search", request, context)
        today = dt.date.fromisoformat(request.date) if request.date else dt.date.today()
        found = search(
            self.rules, self._sources(session), Context(Probe.of(request.traveller), today, session)
        )
        session.record_call("Search", request, "OK", len(found))
        return mock_pb2.SearchResponse(matches=found)

    async def RecordCrossing(
        self, request: mock_pb2.RecordCrossingRequest, context: Context_
    ) -> mock_pb2.RecordMatch:
        search_request = mock_pb2.SearchRequest(traveller=request.traveller)
        session = await self._enter("RecordCrossing", search_request, context)
        day = dt.date.fromisoformat(request.crossing.date)
        probe = Probe.of(request.traveller)
        found = search(self.rules, self._sources(session), Context(probe, day, session))
        if found:
            record_id = found[0].record_id
        else:
            record_id = f"EES-{uuid.uuid4().hex[:12].upper()}"
            identity = mock_pb2.MockRecord(record_id=record_id, identity=request.traveller)
            identity.ees.file_id = record_id
            session.seed([identity])
        session.crossings.setdefault(record_id, []).append(request.crossing)
        after = search(self.rules, self._sources(session), Context(probe, day, session))
        session.record_call("RecordCrossing", search_request, "OK", 1)
        return next(m for m in after if m.record_id == record_id)

    def service(self) -> Service:
        short, add = _REGISTER[self.name]
        full_name = mock_pb2.DESCRIPTOR.services_by_name[short].full_name
        return Service(full_name, lambda server: add(self, server))


class MockControl(mock_pb2_grpc.MockControlServicer):
    """Seed, Reset, SetFaults and ListCalls for one mock, per session."""

    def __init__(self, system: MockSystem) -> None:
        self._system = system

    async def Seed(self, request: mock_pb2.SeedRequest, context: Context_) -> mock_pb2.SeedResponse:
        for i, record in enumerate(request.records):
            if not record.record_id:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, f"records[{i}].record_id: required"
                )
        session = self._system.sessions.get(session_of(context))
        added = session.seed(request.records)
        return mock_pb2.SeedResponse(added=added, session_records=len(session.records))

    async def Reset(
        self, request: mock_pb2.ResetRequest, context: Context_
    ) -> mock_pb2.ResetResponse:
        self._system.sessions.reset(session_of(context))
        return mock_pb2.ResetResponse()

    async def SetFaults(
        self, request: mock_pb2.SetFaultsRequest, context: Context_
    ) -> mock_pb2.SetFaultsResponse:
        try:
            plan = FaultPlan.from_message(request.faults, time.time())
        except FaultError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            raise
        self._system.sessions.get(session_of(context)).faults = plan
        log.info("mock %s: faults for session %r: %s", self._system.name, session_of(context), plan)
        return mock_pb2.SetFaultsResponse()

    async def ListCalls(
        self, request: mock_pb2.ListCallsRequest, context: Context_
    ) -> mock_pb2.ListCallsResponse:
        session = self._system.sessions.get(session_of(context))
        return mock_pb2.ListCallsResponse(calls=session.recent_calls(request.limit))

    def service(self) -> Service:
        full_name = mock_pb2.DESCRIPTOR.services_by_name["MockControl"].full_name
        return Service(
            full_name, lambda server: mock_pb2_grpc.add_MockControlServicer_to_server(self, server)
        )
