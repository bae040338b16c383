"""gRPC metadata the broker's parts agree on."""

from __future__ import annotations

from collections.abc import Iterable

from broker.domain.trace import parse_traceparent

# Names a test session: the gateway carries it over the bus to the adapters, which pass it
# on to the mocks, so test runs sharing one stack keep their records and faults apart.
TEST_SESSION_HEADER = "x-test-session"
MAX_TEST_SESSION_CHARS = 128
# W3C Trace Context: the gateway continues the caller's trace, over the bus to the adapters
# and from them to the systems (broker.domain.trace).
TRACEPARENT = "traceparent"

Metadata = Iterable[tuple[str, object]] | None


def _value(metadata: Metadata, name: str) -> str | None:
    for key, value in metadata or ():
        if key == name:
            return str(value)
    return None


def test_session(metadata: Metadata) -> str:
    """The test session named in a call's invocation metadata ("" for none)."""
    return (_value(metadata, TEST_SESSION_HEADER) or "")[:MAX_TEST_SESSION_CHARS]


def traceparent(metadata: Metadata) -> str | None:
    """The `traceparent` a call carries, if any."""
    return _value(metadata, TRACEPARENT)


def trace_id(metadata: Metadata) -> str:
    """The id of the trace a call belongs to ("" when it carries no valid `traceparent`)."""
    parent = parse_traceparent(traceparent(metadata))
    return parent.trace_id if parent else ""


def session_metadata(session: str) -> tuple[tuple[str, str], ...]:
    """Call metadata naming `session` (none for the default session)."""
    return ((TEST_SESSION_HEADER, session),) if session else ()


def call_metadata(session: str, traceparent: str) -> tuple[tuple[str, str], ...]:
    """Metadata of a call to a system: its session and the trace it belongs to."""
    return (*session_metadata(session), (TRACEPARENT, traceparent))
