"""gRPC metadata the broker's parts agree on."""

from __future__ import annotations

from collections.abc import Iterable

# Names a test session: the gateway carries it over the bus to the adapters, which pass it
# on to the mocks, so test runs sharing one stack keep their records and faults apart.
TEST_SESSION_HEADER = "x-test-session"
MAX_TEST_SESSION_CHARS = 128


def test_session(metadata: Iterable[tuple[str, object]] | None) -> str:
    """The test session named in a call's invocation metadata ("" for none)."""
    for key, value in metadata or ():
        if key == TEST_SESSION_HEADER:
            return str(value)[:MAX_TEST_SESSION_CHARS]
    return ""


def session_metadata(session: str) -> tuple[tuple[str, str], ...]:
    """Call metadata naming `session` (none for the default session)."""
    return ((TEST_SESSION_HEADER, session),) if session else ()
