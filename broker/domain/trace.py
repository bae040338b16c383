"""One check's trace: the W3C trace it continues, and where its time went, hop by hop.

The trace context is W3C Trace Context (`traceparent: 00-<trace id>-<parent id>-<flags>`):
each part that handles a check keeps the trace id and names itself with a new span id, so
one check can be followed from the terminal through the gateway and the adapters to the
systems. The hop times are what the gateway returns in its `server-timing` trailer and
exports as metrics.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

# Version 00 has exactly four fields; a later version may append more (W3C, section 3.2.4).
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_INVALID_TRACE = "0" * 32
_INVALID_SPAN = "0" * 16

VALIDATE = "gateway.validate"
ROUTE = "gateway.route"
PUBLISH = "bus.publish"
MERGE = "gateway.merge"
AUDIT = "gateway.audit"


@dataclass(frozen=True, slots=True)
class TraceContext:
    trace_id: str
    span_id: str
    flags: str = "01"

    @classmethod
    def continuing(cls, traceparent: str | None) -> TraceContext:
        """A new span in the trace of `traceparent`; in a new trace when that is missing or
        malformed (W3C: the receiver then starts one)."""
        parent = parse_traceparent(traceparent)
        if parent is None:
            return cls(os.urandom(16).hex(), os.urandom(8).hex())
        return cls(parent.trace_id, os.urandom(8).hex(), parent.flags)

    @property
    def traceparent(self) -> str:
        """The header a callee gets: this span is its parent."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


def parse_traceparent(header: str | None) -> TraceContext | None:
    """The context in a `traceparent` header, or None when it is not a valid one."""
    match = _TRACEPARENT.fullmatch(header.strip()) if header else None
    if match is None:
        return None
    version, trace_id, span_id, flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or trace_id == _INVALID_TRACE:
        return None
    if span_id == _INVALID_SPAN:
        return None
    return TraceContext(trace_id, span_id, flags)


@dataclass(frozen=True, slots=True)
class SystemHops:
    """The names of one system's hops: waiting for its adapter, its call, the reply's way
    back to the gateway."""

    queue: str
    call: str
    reply: str

    @classmethod
    def of(cls, system: str) -> SystemHops:
        return cls(f"{system}.queue", f"{system}.call", f"{system}.reply")


@dataclass(slots=True)
class CheckTrace:
    """A check's trace context and its hop times, (hop, seconds) in the order measured."""

    context: TraceContext
    hops: list[tuple[str, float]] = field(default_factory=list)
    _mark: float = 0.0

    @classmethod
    def continuing(cls, traceparent: str | None) -> CheckTrace:
        return cls(TraceContext.continuing(traceparent))

    def mark(self, now: float) -> None:
        """The next `lap` is measured from `now` (what went before is timed elsewhere)."""
        self._mark = now

    def lap(self, hop: str, now: float) -> None:
        """`hop` took the time since the last mark or lap."""
        self.hops.append((hop, now - self._mark))
        self._mark = now

    def add(self, hop: str, seconds: float) -> None:
        """`hop`, timed by its own clock; a negative time (clocks of two hosts) counts as 0."""
        self.hops.append((hop, max(0.0, seconds)))
