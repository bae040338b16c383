"""Calling the gateway from a terminal or a script, and reading its errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from broker.transport.links import connect_failure, dial
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc

GATEWAY_HINT = (
    "start a stack with `scripts/up` (or `interop up --insecure`), or name a running "
    "gateway with --target HOST:PORT"
)
MOCK_HINT = (
    "start a stack with `scripts/up`, or name the mock's address (--target for "
    "`interop mock`, --mock SYSTEM=HOST:PORT for `interop scenario run`)"
)


# gRPC's text when the server accepted and hung up before speaking, as a TLS server does to
# a plaintext client: "... last error: UNAVAILABLE: ipv4:127.0.0.1:50051: Socket closed", or
# a reset when the close came while the client's bytes were still unread ("...: recvmsg:
# Connection reset by peer (104)", "...: Delayed close due to in-progress write (sendmsg:
# Connection reset by peer (104))"; the wording depends on how far the client had got).
_CLOSED = re.compile(
    r"failed to connect to all addresses.*?ipv[46]:(\S+?): "
    r".*?(Socket closed|Connection reset by peer)"
)


class Unreachable(ConnectionError):
    """Nothing answers at an address: one line saying where, and what to do about it."""


@contextlib.contextmanager
def answering(what: str, hint: str) -> Iterator[None]:
    """Calls in this block that reach no server raise Unreachable ("no `what` answers at
    HOST:PORT (why); `hint`") instead of gRPC's text; other errors pass unchanged."""
    try:
        yield
    except grpc.aio.AioRpcError as error:
        closed = _CLOSED.search(error.details() or "")
        if error.code() == grpc.StatusCode.UNAVAILABLE and closed:
            raise Unreachable(
                f"the {what} at {closed[1]} closed the connection at once ({closed[2]}): a "
                "server that wants mTLS does so to a plaintext client; give --tls-dir DIR "
                "--client-name NAME"
            ) from None
        failed = connect_failure(error)
        if failed is None:
            raise
        address, reason = failed
        raise Unreachable(f"no {what} answers at {address} ({reason}); {hint}") from None


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
