"""Hop times on the wire: plain bus headers on the way, a `server-timing` trailer at the end.

A query carries the trace it belongs to (`traceparent`) and when the gateway handed it to
the bus (`sent-at-us`); a reply carries when the adapter's call to its system began and
ended (`call-start-us`, `call-end-us`). Times are wall-clock microseconds, so that hops
between processes can be measured (between hosts, as well as their clocks agree). They are
added after sealing and nothing routes by them or trusts them: a wrong or missing one
costs a hop time, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from broker.domain.trace import CheckTrace, SystemHops
from broker.transport.bus import Message
from broker.transport.metadata import TRACEPARENT

SENT_AT = "sent-at-us"
CALL_START = "call-start-us"
CALL_END = "call-end-us"
# The gRPC trailer with a check's hop times, W3C Server-Timing syntax, in milliseconds.
SERVER_TIMING = "server-timing"


@dataclass(frozen=True, slots=True)
class CallTimes:
    """When an adapter's call to its system began and ended (Unix time, seconds)."""

    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return self.ended - self.started


def _micros(unix: float) -> bytes:
    return b"%d" % (unix * 1_000_000)


def _unix(headers: Mapping[str, bytes], name: str) -> float | None:
    raw = headers.get(name)
    try:
        return int(raw) / 1_000_000 if raw else None
    except ValueError:
        return None


def stamped_query(
    headers: Mapping[str, bytes], traceparent: bytes, sent_at: float
) -> dict[str, bytes]:
    """A sealed query's headers with its trace and the time it goes to the bus."""
    return {**headers, TRACEPARENT: traceparent, SENT_AT: _micros(sent_at)}


def stamped_reply(headers: Mapping[str, bytes], call: CallTimes) -> dict[str, bytes]:
    """A sealed reply's headers with the times of the system call it answers."""
    return {**headers, CALL_START: _micros(call.started), CALL_END: _micros(call.ended)}


def traceparent_of(message: Message) -> str | None:
    raw = message.headers.get(TRACEPARENT)
    return raw.decode("ascii", "replace") if raw else None


def sent_at(message: Message) -> float | None:
    """When the gateway handed the query to the bus, if it says."""
    return _unix(message.headers, SENT_AT)


def add_system_hops(
    trace: CheckTrace, names: SystemHops, sent: float | None, reply: Message, received: float
) -> None:
    """Add one system's queue, call and reply hops, from the query's send time, the reply's
    call times and when the gateway received it; a hop whose times are missing is left out."""
    started, ended = _unix(reply.headers, CALL_START), _unix(reply.headers, CALL_END)
    if started is None or ended is None:
        return
    if sent is not None:
        trace.add(names.queue, started - sent)
    trace.add(names.call, ended - started)
    trace.add(names.reply, received - ended)


def server_timing(hops: Sequence[tuple[str, float]]) -> str:
    """`gateway.validate;dur=0.412, sis.call;dur=3.401` (milliseconds)."""
    return ", ".join(f"{hop};dur={seconds * 1000:.3f}" for hop, seconds in hops)
