"""A mock system as a gRPC service: its own service name, MockControl, sessions, faults.

The same class stands behind every mock's search service; what differs per system is
its rules and its data (the `systems` package). Methods are registered by the service's
name (`interop.mock.v1.SisMock/Search`, ...), so a new system needs no generated code.
Each call is counted and timed (mocks.metrics); its call log entry names its trace.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

import grpc

from broker.transport.grpc_server import Service
from broker.transport.metadata import test_session, trace_id
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from mocks.engine import (
    Probe,
    RecordSource,
    Rules,
    SearchContext,
    describe,
    population_weights,
    search,
)
from mocks.faults import FaultError, FaultPlan, MockFault
from mocks.metrics import MockMetrics, metered
from mocks.seeded import SeededSource
from mocks.session import Session, Sessions

log = logging.getLogger(__name__)

# Below this much time left, a search cannot be answered before its caller gives up.
MIN_SERVICE_S = 0.002

ServicerContext: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class MockSystem:
    """Search (and, where the system records them, crossings) over the base data and the
    caller's session."""

    def __init__(
        self,
        name: str,
        service: str,
        rules: Rules,
        base: Sequence[RecordSource] = (),
        records_crossings: bool = False,
        metrics: MockMetrics | None = None,
    ) -> None:
        self.name = name
        self.service_name = service
        self.rules = rules
        self.base = list(base)
        self.records_crossings = records_crossings
        self.sessions = Sessions(population_weights(self.base))
        self.metrics = metrics or MockMetrics.alone(name)

    def _sources(self, session: Session) -> list[RecordSource]:
        return [*self.base, SeededSource(session)]

    async def _enter(self, method: str, request: Any, session_name: str, trace: str) -> Session:
        """Apply the session's faults to this call; raises MockFault when one says so."""
        session, number, now = self.sessions.next_call(session_name)
        fate = session.faults.decide(number, now, session.rng)
        if fate.delay_s:
            await asyncio.sleep(fate.delay_s)
        if fate.error is not None:
            session.record_call(method, request, fate.error.name, 0, trace)
            raise MockFault(fate.error, fate.message)
        return session

    async def Search(
        self, request: mock_pb2.SearchRequest, context: ServicerContext
    ) -> mock_pb2.SearchResponse:
        await self._shed_if_late(context)
        metadata = context.invocation_metadata()
        try:
            return await self.search(request, test_session(metadata), trace_id(metadata))
        except MockFault as fault:
            await context.abort(fault.code, fault.message)
            raise

    async def RecordCrossing(
        self, request: mock_pb2.RecordCrossingRequest, context: ServicerContext
    ) -> mock_pb2.RecordMatch:
        await self._shed_if_late(context)
        metadata = context.invocation_metadata()
        try:
            return await self.record_crossing(request, test_session(metadata), trace_id(metadata))
        except MockFault as fault:
            await context.abort(fault.code, fault.message)
            raise

    async def _shed_if_late(self, context: ServicerContext) -> None:
        """Refuse a call that waited in the queue until its caller no longer waits for it:
        under overload, answering it would only delay the calls that can still be in time."""
        remaining = context.time_remaining()
        if remaining is not None and remaining < MIN_SERVICE_S:
            self.metrics.shed.inc()
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "shed: deadline passed in queue")

    @metered("Search")
    async def search(
        self, request: mock_pb2.SearchRequest, session_name: str, trace: str = ""
    ) -> mock_pb2.SearchResponse:
        """The records matching `request` in `session_name`; MockFault when a fault strikes.
        `trace` is the id of the trace the call belongs to, for the call log."""
        session = await self._enter("Search", request, session_name, trace)
        today = dt.date.fromisoformat(request.date) if request.date else dt.date.today()
        found = search(
            self.rules,
            self._sources(session),
            SearchContext(Probe.of(request.traveller), today, session),
        )
        session.record_call("Search", request, "OK", len(found), trace)
        return mock_pb2.SearchResponse(matches=found)

    @metered("RecordCrossing")
    async def record_crossing(
        self, request: mock_pb2.RecordCrossingRequest, session_name: str, trace: str = ""
    ) -> mock_pb2.RecordMatch:
        """Add the crossing to the traveller's file (a new file when none is found)."""
        search_request = mock_pb2.SearchRequest(traveller=request.traveller)
        session = await self._enter("RecordCrossing", search_request, session_name, trace)
        context = SearchContext(
            Probe.of(request.traveller), dt.date.fromisoformat(request.crossing.date), session
        )
        record_id = session.recorded_file(request.crossing)
        if record_id is None:
            found = search(self.rules, self._sources(session), context)
            record_id = found[0].record_id if found else self._new_file(session, request)
            session.add_crossing(record_id, request.crossing)
        session.record_call("RecordCrossing", search_request, "OK", 1, trace)
        return self._file(session, record_id, context)

    def _new_file(self, session: Session, request: mock_pb2.RecordCrossingRequest) -> str:
        record_id = f"{self.name.upper()}-{uuid.uuid4().hex[:12].upper()}"
        record = mock_pb2.MockRecord(record_id=record_id, identity=request.traveller)
        record.ees.file_id = record_id
        session.seed([record])
        return record_id

    def _file(
        self, session: Session, record_id: str, context: SearchContext
    ) -> mock_pb2.RecordMatch:
        """The file `record_id` as the search shows it, or, when the traveller's data alone
        do not find it (a document-only crossing), as its record reads."""
        found = search(self.rules, self._sources(session), context)
        match = next((m for m in found if m.record_id == record_id), None)
        if match is not None:
            return match
        record = next(r for r in session.records if r.record_id == record_id)
        return describe(self.rules, record, context)

    def service(self) -> Service:
        methods = {
            "Search": grpc.unary_unary_rpc_method_handler(
                self.Search,
                request_deserializer=mock_pb2.SearchRequest.FromString,
                response_serializer=mock_pb2.SearchResponse.SerializeToString,
            )
        }
        if self.records_crossings:
            methods["RecordCrossing"] = grpc.unary_unary_rpc_method_handler(
                self.RecordCrossing,
                request_deserializer=mock_pb2.RecordCrossingRequest.FromString,
                response_serializer=mock_pb2.RecordMatch.SerializeToString,
            )
        handler = grpc.method_handlers_generic_handler(self.service_name, methods)
        return Service(
            self.service_name, lambda server: server.add_generic_rpc_handlers((handler,))
        )


class MockControl(mock_pb2_grpc.MockControlServicer):
    """Seed, Reset, SetFaults and ListCalls for one mock, per session."""

    def __init__(self, system: MockSystem) -> None:
        self._system = system

    def _session(self, context: ServicerContext) -> Session:
        return self._system.sessions.get(test_session(context.invocation_metadata()))

    async def Seed(
        self, request: mock_pb2.SeedRequest, context: ServicerContext
    ) -> mock_pb2.SeedResponse:
        for i, record in enumerate(request.records):
            if not record.record_id:
                await context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT, f"records[{i}].record_id: required"
                )
        session = self._session(context)
        added = session.seed(request.records)
        return mock_pb2.SeedResponse(added=added, session_records=len(session.records))

    async def Reset(
        self, request: mock_pb2.ResetRequest, context: ServicerContext
    ) -> mock_pb2.ResetResponse:
        self._system.sessions.reset(test_session(context.invocation_metadata()))
        return mock_pb2.ResetResponse()

    async def SetFaults(
        self, request: mock_pb2.SetFaultsRequest, context: ServicerContext
    ) -> mock_pb2.SetFaultsResponse:
        try:
            plan = FaultPlan.from_message(request.faults, time.time())
        except FaultError as error:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(error))
            raise
        session_name = test_session(context.invocation_metadata())
        self._system.sessions.get(session_name).faults = plan
        log.info("mock %s: faults for session %r: %s", self._system.name, session_name, plan)
        return mock_pb2.SetFaultsResponse()

    async def ListCalls(
        self, request: mock_pb2.ListCallsRequest, context: ServicerContext
    ) -> mock_pb2.ListCallsResponse:
        calls = self._session(context).recent_calls(request.limit)
        return mock_pb2.ListCallsResponse(calls=calls)

    def service(self) -> Service:
        full_name = mock_pb2.DESCRIPTOR.services_by_name["MockControl"].full_name
        return Service(
            full_name, lambda server: mock_pb2_grpc.add_MockControlServicer_to_server(self, server)
        )
