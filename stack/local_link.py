"""The border-system port on a mock in the same process: `interop up`'s adapters call their
mocks directly instead of over a loopback gRPC connection.

Everything a mock does (its rules, sessions, faults and call log) is the same either way;
only the gRPC hop, which costs more CPU than the search itself, is left out. Processes that
run apart (`interop serve ...`) always use the gRPC client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TypeVar

import grpc

from adapters.mock_client import Translate, failure
from broker.domain.trace import TraceContext
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from mocks.faults import MockFault
from mocks.service import MockSystem

Reply = TypeVar("Reply")


class LocalSystemClient:
    def __init__(self, mock: MockSystem, translate: Translate) -> None:
        self._mock = mock
        self._translate = translate

    async def search(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> Sequence[pb.Hit]:
        request = mock_pb2.SearchRequest(
            traveller=query.traveller, purpose=query.purpose, authority=query.authority
        )
        searching = self._mock.search(request, query.test_session, trace.trace_id)
        response = await _call(searching, timeout)
        return [self._translate(m) for m in response.matches]

    async def record_crossing(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> pb.Hit:
        request = mock_pb2.RecordCrossingRequest(traveller=query.traveller, crossing=query.crossing)
        recording = self._mock.record_crossing(request, query.test_session, trace.trace_id)
        match = await _call(recording, timeout)
        return self._translate(match)

    async def close(self) -> None:
        return None


async def _call(call: Awaitable[Reply], timeout: float) -> Reply:
    """The mock's answer, or the failure its gRPC interface would have reported."""
    try:
        # The call runs in the caller's task, bounded by a timeout scope (no task of its own).
        async with asyncio.timeout(timeout):
            return await call
    except TimeoutError:
        raise failure(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded") from None
    except MockFault as fault:
        raise failure(fault.code, fault.message) from None
