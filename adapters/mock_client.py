"""The border-system port on a mock system's gRPC interface.

Every mock speaks its own service (`interop.mock.v1.SisMock`, ...) with the same
messages, so one client serves them all, named by the service; the system's `translate`
turns the mock's record matches into hits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc
from google.protobuf.message import Message

from adapters.port import SystemCallFailed
from broker.domain.trace import TraceContext
from broker.transport.metadata import call_metadata
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

Translate = Callable[[mock_pb2.RecordMatch], pb.Hit]
Reply = TypeVar("Reply", bound=Message)

_STATUS = {
    grpc.StatusCode.UNAVAILABLE: pb.OUTCOME_STATUS_UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED: pb.OUTCOME_STATUS_TIMEOUT,
    grpc.StatusCode.PERMISSION_DENIED: pb.OUTCOME_STATUS_NOT_PERMITTED,
}


def failure(code: grpc.StatusCode, details: str | None) -> SystemCallFailed:
    """What the report says of a system call that ended with gRPC status `code`."""
    status = _STATUS.get(code, pb.OUTCOME_STATUS_ERROR)
    return SystemCallFailed(status, f"{code.name}: {details}")


# A system that comes back should be used again within a second or two, not after gRPC's
# default reconnect backoff of up to two minutes.
_RECONNECT = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


class MockSystemClient:
    def __init__(
        self,
        address: str,
        service: str,
        translate: Translate,
        credentials: grpc.ChannelCredentials | None = None,
    ) -> None:
        self._channel = (
            grpc.aio.secure_channel(address, credentials, options=_RECONNECT)
            if credentials is not None
            else grpc.aio.insecure_channel(address, options=_RECONNECT)
        )
        self._search = self._channel.unary_unary(
            f"/{service}/Search",
            request_serializer=mock_pb2.SearchRequest.SerializeToString,
            response_deserializer=mock_pb2.SearchResponse.FromString,
        )
        self._record = self._channel.unary_unary(
            f"/{service}/RecordCrossing",
            request_serializer=mock_pb2.RecordCrossingRequest.SerializeToString,
            response_deserializer=mock_pb2.RecordMatch.FromString,
        )
        self._translate = translate

    async def search(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> Sequence[pb.Hit]:
        request = mock_pb2.SearchRequest(
            traveller=query.traveller, purpose=query.purpose, authority=query.authority
        )
        metadata = call_metadata(query.test_session, trace.traceparent)
        response: mock_pb2.SearchResponse = await _call(self._search, request, timeout, metadata)
        return [self._translate(m) for m in response.matches]

    async def record_crossing(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> pb.Hit:
        request = mock_pb2.RecordCrossingRequest(traveller=query.traveller, crossing=query.crossing)
        metadata = call_metadata(query.test_session, trace.traceparent)
        match: mock_pb2.RecordMatch = await _call(self._record, request, timeout, metadata)
        return self._translate(match)

    async def close(self) -> None:
        await self._channel.close()


async def _call(
    method: grpc.aio.UnaryUnaryMultiCallable[Message, Reply],
    request: Message,
    timeout: float,
    metadata: tuple[tuple[str, str], ...],
) -> Reply:
    try:
        reply: Reply = await method(request, timeout=timeout, metadata=metadata)
    except grpc.aio.AioRpcError as error:
        raise failure(error.code(), error.details()) from error
    return reply
