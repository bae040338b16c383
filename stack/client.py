"""Calling the gateway from a terminal or a script, and reading its errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from broker.transport.links import dial
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc


def field_violations(error: grpc.aio.AioRpcError) -> list[tuple[str, str]]:
    """(field, description) pairs from a google.rpc.BadRequest in the error details."""
    status = rpc_status.from_call(error)
    if status is None:
        return []
    out: list[tuple[str, str]] = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            out.extend((v.field, v.description) for v in bad.field_violations)
    return out


async def check(
    target: str,
    request: pb.CheckRequest,
    timeout: float,
    credentials: grpc.ChannelCredentials | None = None,
) -> pb.HitReport:
    async with dial(target, credentials) as channel_:
        stub = border_check_pb2_grpc.BorderCheckStub(channel_)
        report: pb.HitReport = await stub.Check(request, timeout=timeout)
        return report


async def check_stream(
    target: str,
    request: pb.CheckRequest,
    timeout: float,
    credentials: grpc.ChannelCredentials | None = None,
) -> AsyncIterator[pb.CheckEvent]:
    async with dial(target, credentials) as channel_:
        stub = border_check_pb2_grpc.BorderCheckStub(channel_)
        async for event in stub.CheckStream(request, timeout=timeout):
            yield event
