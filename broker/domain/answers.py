"""One system's part of a check: its reply, or the reason it has none."""

from __future__ import annotations

from dataclasses import dataclass

from broker.domain.systems import System
from interop.v1 import border_check_pb2 as pb


@dataclass(frozen=True)
class Answer:
    system: System
    status: pb.OutcomeStatus.ValueType
    latency_ms: int
    hits: tuple[pb.Hit, ...] = ()
    detail: str = ""

    def outcome(self) -> pb.SystemOutcome:
        return pb.SystemOutcome(
            system=self.system,
            status=self.status,
            latency_ms=self.latency_ms,
            hit_count=len(self.hits),
            detail=self.detail,
        )
