"""What every use case that asks systems shares: who the caller is, how long it may wait,
and the query one system is sent."""

from __future__ import annotations

import uuid

from broker.domain.profiles import Caller
from broker.domain.systems import System
from broker.service.ports import Clock, Ports
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

# Time kept back from the caller's gRPC deadline to merge and send the report.
REPORT_MARGIN_S = 0.05


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def deadline(budget_ms: int | None, time_remaining_s: float | None, ports: Ports) -> float:
    """When to stop waiting (the clock's monotonic scale): the asked or default budget,
    capped by the caller's own deadline."""
    budget = (budget_ms or ports.limits.default_deadline_ms) / 1000
    if time_remaining_s is not None:
        budget = min(budget, max(0.0, time_remaining_s - REPORT_MARGIN_S))
    return ports.clock.monotonic() + budget


def system_query(
    correlation_id: str,
    system: System,
    purpose: pb.Purpose.ValueType,
    traveller: pb.Traveller,
    caller: Caller,
    until: float,
    session: str,
    clock: Clock,
) -> bus_pb2.SystemQuery:
    """One system's query; its deadline travels on the wall clock, for other processes."""
    wall_deadline = clock.time() + (until - clock.monotonic())
    return bus_pb2.SystemQuery(
        correlation_id=correlation_id,
        system=system,
        purpose=purpose,
        traveller=traveller,
        deadline_unix_ms=int(wall_deadline * 1000),
        authority=caller.authority,
        profile=caller.profile.name,
        test_session=session,
    )
