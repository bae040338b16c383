"""What one check tells the load generator: when it was meant, sent and ended, and how.

Per-hop times come from the `server-timing` trailing metadata of the call, in the W3C
Server-Timing syntax (`gateway.validate;dur=0.41, sis.call;dur=3.2`, durations in ms);
a server that does not send it leaves `hops` empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2

SERVER_TIMING = "server-timing"
# A report is incomplete when an asked system did not give its answer; NOT_PERMITTED is
# the caller's profile at work, not a failure of the stack.
NOT_ANSWERED = frozenset({"TIMEOUT", "UNAVAILABLE", "ERROR"})


@dataclass(frozen=True, slots=True)
class SystemAnswer:
    system: str
    status: str
    latency_ms: int
    # Why the system gave no answer, as the report says it (empty when it answered).
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Observation:
    """One check. Times are seconds from the start of the run; `error` is a gRPC status name."""

    intended_s: float
    sent_s: float
    ended_s: float
    error: str | None = None
    verdict: str = ""
    hits: int = 0
    systems: tuple[SystemAnswer, ...] = ()
    hops: tuple[tuple[str, float], ...] = ()
    # The broker's id of the check (HitReport.correlation_id): what its audit record names.
    correlation_id: str = ""

    @property
    def incomplete(self) -> bool:
        return any(answer.status in NOT_ANSWERED for answer in self.systems)


def system_name(system: systems_pb2.System.ValueType) -> str:
    return systems_pb2.System.Name(system).removeprefix("SYSTEM_").lower()


def answers(report: pb.HitReport) -> tuple[SystemAnswer, ...]:
    return tuple(
        SystemAnswer(
            system_name(outcome.system),
            pb.OutcomeStatus.Name(outcome.status).removeprefix("OUTCOME_STATUS_"),
            outcome.latency_ms,
            outcome.detail,
        )
        for outcome in report.outcomes
    )


def verdict_name(report: pb.HitReport) -> str:
    return pb.Verdict.Name(report.verdict).removeprefix("VERDICT_")


def server_timing(trailers: Sequence[tuple[str, str | bytes]]) -> tuple[tuple[str, float], ...]:
    """(hop, ms) pairs from every `server-timing` entry; malformed entries are skipped."""
    hops: list[tuple[str, float]] = []
    for key, value in trailers:
        if key.lower() != SERVER_TIMING or not isinstance(value, str):
            continue
        for entry in value.split(","):
            hop = _timing_entry(entry)
            if hop is not None:
                hops.append(hop)
    return tuple(hops)


def _timing_entry(entry: str) -> tuple[str, float] | None:
    name, *params = (part.strip() for part in entry.split(";"))
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "dur" and name:
            try:
                return name, float(value.strip().strip('"'))
            except ValueError:
                return None
    return None
