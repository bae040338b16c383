"""The BorderCheck gRPC service: translate the call, run the use case, map its errors.

Each method reads who is calling from the transport, calls the service layer and maps
a domain error to one gRPC status (INVALID_ARGUMENT with a google.rpc.BadRequest naming the
wrong fields, UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED). Each call continues
the caller's trace; the gateway's metrics count and time it and return where its time
went in a `server-timing` trailer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
from prometheus_client import CollectorRegistry

from broker.domain.errors import InvalidRequest, Overloaded, Refused, Unauthenticated
from broker.gateway.metrics import GatewayMetrics
from broker.service.check import check, stream_check
from broker.service.crossing import record_crossing
from broker.service.ports import Peer, Ports
from broker.transport.bad_request import bad_request_status
from broker.transport.metadata import test_session
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
# What a use case refuses a call with, mapped to a status by `abort`.
TURNED_AWAY = (Refused, Overloaded)


class BorderCheckServicer(border_check_pb2_grpc.BorderCheckServicer):
    def __init__(self, ports: Ports, tls: bool, metrics: GatewayMetrics | None = None) -> None:
        self._ports = ports
        self._tls = tls
        self._metrics = metrics or GatewayMetrics(CollectorRegistry(), ports)

    async def Check(self, request: pb.CheckRequest, context: Context) -> pb.HitReport:
        with self._metrics.call(context, "Check") as trace:
            try:
                report = await check(request, self._peer(context), self._ports, trace)
            except TURNED_AWAY as error:
                await abort(context, error)
                raise
            self._metrics.outcomes(report.outcomes)
            return report

    async def CheckStream(
        self, request: pb.CheckRequest, context: Context
    ) -> AsyncIterator[pb.CheckEvent]:
        with self._metrics.call(context, "CheckStream") as trace:
            try:
                async for event in stream_check(request, self._peer(context), self._ports, trace):
                    yield event
            except TURNED_AWAY as error:
                await abort(context, error)
                raise
            self._metrics.outcomes(event.report.outcomes)

    async def RecordCrossing(
        self, request: pb.RecordCrossingRequest, context: Context
    ) -> pb.RecordCrossingResponse:
        with self._metrics.call(context, "RecordCrossing") as trace:
            try:
                response = await record_crossing(request, self._peer(context), self._ports, trace)
            except TURNED_AWAY as error:
                await abort(context, error)
                raise
            self._metrics.outcomes([response.outcome])
            return response

    def _peer(self, context: Context) -> Peer:
        names = context.auth_context().get("x509_common_name") or []
        return Peer(
            common_name=names[0].decode() if names else None,
            secure=self._tls,
            time_remaining_s=context.time_remaining(),
            test_session=test_session(context.invocation_metadata()),
        )


async def abort(context: Context, error: Refused | Overloaded) -> None:
    """End the call with the status that says what went wrong."""
    if isinstance(error, InvalidRequest):
        await context.abort_with_status(bad_request_status(error.violations))
    elif isinstance(error, Unauthenticated):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(error))
    elif isinstance(error, Overloaded):
        await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
    else:
        await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))
