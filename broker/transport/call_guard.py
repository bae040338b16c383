"""What every gRPC server of the stack checks before a servicer sees a call.

- A body that does not decode as the method's request is INVALID_ARGUMENT naming
  `request`, with one log line; left to gRPC it would be UNKNOWN and a traceback per call.
- With `rules`, the caller named by its verified client certificate must be allowed the
  method, or the call ends PERMISSION_DENIED before the servicer runs.
- With `audit`, every call to an `audited` method, and every refused call, is reported
  with who made it and how it ended.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

import grpc
from google.protobuf.message import DecodeError

from broker.domain.errors import FieldViolation
from broker.transport.bad_request import bad_request_status
from broker.transport.metadata import test_session
from broker.transport.tls import peer_identity

log = logging.getLogger(__name__)

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
Handler: TypeAlias = grpc.RpcMethodHandler


@dataclass(frozen=True)
class Verdict:
    """What `rules` decide about one call."""

    allowed: bool
    # The caller as the audit trail names it: certificate name, or "local-insecure".
    who: str
    profile: str = ""
    reason: str = ""
    refusal: grpc.StatusCode = grpc.StatusCode.PERMISSION_DENIED


@dataclass(frozen=True)
class Call:
    """One call as the audit trail keeps it: who, which method, and how it ended."""

    method: str
    verdict: Verdict
    # "ok", or the gRPC status that ended it in lower case with hyphens.
    outcome: str
    session: str


# A server without rules of its own lets in every caller its TLS (if any) admits.
ANYONE = Verdict(True, "")

CallRules: TypeAlias = Callable[[str, str | None], Verdict]
CallAudit: TypeAlias = Callable[[Call], Awaitable[None]]


@dataclass(frozen=True)
class _Undecodable:
    size: int


class CallGuard(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    def __init__(
        self,
        rules: CallRules = lambda method, common_name: ANYONE,
        audit: CallAudit | None = None,
        audited: Callable[[str], bool] = lambda method: False,
    ) -> None:
        self._rules = rules
        self._audit = audit
        self._audited = audited

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(details)
        if handler is None or handler.request_streaming:
            return handler
        return self._guarded(handler, details.method)

    def _guarded(self, handler: Handler, method: str) -> Handler:
        decode = _tolerant(handler.request_deserializer)
        serialize = handler.response_serializer
        if not handler.response_streaming:
            unary = handler.unary_unary

            async def guarded_unary(request: Any, context: Context) -> Any:
                async with self._admitted(method, request, context):
                    return await unary(request, context)

            return grpc.unary_unary_rpc_method_handler(guarded_unary, decode, serialize)
        stream = handler.unary_stream
        if inspect.isasyncgenfunction(stream):

            async def guarded_generator(request: Any, context: Context) -> AsyncIterator[Any]:
                async with self._admitted(method, request, context):
                    async for response in stream(request, context):
                        yield response

            return grpc.unary_stream_rpc_method_handler(guarded_generator, decode, serialize)

        async def guarded_writer(request: Any, context: Context) -> None:
            async with self._admitted(method, request, context):
                await stream(request, context)

        return grpc.unary_stream_rpc_method_handler(guarded_writer, decode, serialize)

    @contextlib.asynccontextmanager
    async def _admitted(self, method: str, request: Any, context: Context) -> AsyncIterator[None]:
        """Refuse an undecodable body or a caller the rules do not allow; report the call."""
        if isinstance(request, _Undecodable):
            log.warning(
                "%s: %d-byte body from %s is not a valid request; refused",
                method,
                request.size,
                context.peer(),
            )
            violation = FieldViolation("request", "the body is not a valid message of this method")
            await context.abort_with_status(bad_request_status([violation]))
        verdict = self._rules(method, peer_identity(context.auth_context()))
        if not verdict.allowed:
            await self._report(method, verdict, context, _label(verdict.refusal))
            await context.abort(verdict.refusal, verdict.reason)
        failed = True
        try:
            yield
            failed = False
        finally:
            if self._audited(method):
                await self._report(method, verdict, context, _outcome(context, failed))

    async def _report(self, method: str, verdict: Verdict, context: Context, outcome: str) -> None:
        if self._audit is not None:
            session = test_session(context.invocation_metadata())
            await self._audit(Call(method, verdict, outcome, session))


def _tolerant(decode: Callable[[bytes], Any] | None) -> Callable[[bytes], Any]:
    """`decode`, but a body it cannot read becomes a marker the guard answers, not an error."""

    def tolerant(body: bytes) -> Any:
        if decode is None:
            return body
        try:
            return decode(body)
        except DecodeError:
            return _Undecodable(len(body))

    return tolerant


def _outcome(context: Context, failed: bool) -> str:
    code = context.code()
    if code is None or code == grpc.StatusCode.OK:
        return "error" if failed else "ok"
    return _label(code) if isinstance(code, grpc.StatusCode) else str(code)


def _label(code: grpc.StatusCode) -> str:
    """`PERMISSION_DENIED` -> "permission-denied", as the audit trail names outcomes."""
    name: str = code.name
    return name.lower().replace("_", "-")
