"""W3C trace context and hop times: parsed, continued, written as Server-Timing."""

from __future__ import annotations

import pytest

from broker.domain.trace import CheckTrace, TraceContext, parse_traceparent
from broker.transport.metadata import call_metadata, trace_id
from broker.transport.timing import server_timing
from loadtest.observation import server_timing as parse_server_timing

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
HEADER = f"00-{TRACE}-00f067aa0ba902b7-01"


def test_a_valid_traceparent_is_read() -> None:
    assert parse_traceparent(HEADER) == TraceContext(TRACE, "00f067aa0ba902b7", "01")
    # A later version may add fields after the four it shares with version 00.
    assert parse_traceparent(f"cc-{TRACE}-00f067aa0ba902b7-01-what-the-future-holds")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "garbage",
        f"00-{TRACE}-00f067aa0ba902b7-01-extra",  # version 00 has four fields
        f"ff-{TRACE}-00f067aa0ba902b7-01",  # version ff is invalid
        f"00-{'0' * 32}-00f067aa0ba902b7-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"00-{TRACE.upper()}-00f067aa0ba902b7-01",  # upper-case hex
        f"00-{TRACE[:-1]}-00f067aa0ba902b7-01",
    ],
)
def test_an_invalid_traceparent_is_not_read(header: str | None) -> None:
    assert parse_traceparent(header) is None


def test_a_part_continues_the_trace_with_a_span_of_its_own() -> None:
    mine = TraceContext.continuing(HEADER)
    assert (mine.trace_id, mine.flags) == (TRACE, "01")
    assert mine.span_id != "00f067aa0ba902b7"
    assert parse_traceparent(mine.traceparent) == mine


def test_without_a_valid_traceparent_a_new_trace_begins() -> None:
    first, second = TraceContext.continuing("nonsense"), TraceContext.continuing(None)
    assert len(first.trace_id) == 32 and first.trace_id != second.trace_id


def test_a_call_to_a_system_carries_the_trace_and_the_session() -> None:
    metadata = call_metadata("team-a", HEADER)
    assert metadata == (("x-test-session", "team-a"), ("traceparent", HEADER))
    assert trace_id(metadata) == TRACE
    assert trace_id(call_metadata("", "00-bad")) == ""


def test_hops_are_laps_from_the_last_mark_and_times_measured_elsewhere() -> None:
    trace = CheckTrace.continuing(None)
    trace.mark(10.0)
    trace.lap("gateway.validate", 10.25)
    trace.lap("gateway.route", 10.5)
    trace.add("sis.queue", -0.001)  # two hosts' clocks: never below zero
    trace.mark(12.0)
    trace.lap("gateway.merge", 12.125)
    assert trace.hops == [
        ("gateway.validate", 0.25),
        ("gateway.route", 0.25),
        ("sis.queue", 0.0),
        ("gateway.merge", 0.125),
    ]


def test_server_timing_is_what_the_load_tool_reads() -> None:
    hops = [("gateway.validate", 0.00041), ("sis.call", 0.0034)]
    header = server_timing(hops)
    assert header == "gateway.validate;dur=0.410, sis.call;dur=3.400"
    assert parse_server_timing([("server-timing", header)]) == (
        ("gateway.validate", 0.41),
        ("sis.call", 3.4),
    )
