"""Recording an entry or exit in EES: a write to one system, through its adapter."""

from __future__ import annotations

import logging

from broker.domain.errors import PermissionDenied
from broker.domain.labels import short_name
from broker.domain.profiles import Caller, may_write
from broker.domain.systems import SystemSpec
from broker.domain.trace import ROUTE, VALIDATE, CheckTrace
from broker.domain.validation import validate_crossing
from broker.service.fanout import deadline, new_correlation_id, system_query
from broker.service.ports import Peer, Ports
from interop.v1 import border_check_pb2 as pb

log = logging.getLogger(__name__)

_PURPOSE = {
    pb.CROSSING_DIRECTION_ENTRY: pb.PURPOSE_BORDER_ENTRY,
    pb.CROSSING_DIRECTION_EXIT: pb.PURPOSE_BORDER_EXIT,
}


def crossing_system(ports: Ports) -> SystemSpec:
    """The system that records crossings (EES)."""
    return next(s for s in ports.catalog if s.records_crossings)


async def record_crossing(
    request: pb.RecordCrossingRequest, peer: Peer, ports: Ports, trace: CheckTrace | None = None
) -> pb.RecordCrossingResponse:
    """Raises Unauthenticated, Overloaded, InvalidRequest or PermissionDenied before anything
    is sent. The write continues `trace` (a new one when None)."""
    caller = ports.policy.authenticate(peer.common_name, peer.secure)
    with ports.admission.admit(caller.authority):
        return await _recorded(request, peer, caller, ports, trace or CheckTrace.continuing(None))


async def _recorded(
    request: pb.RecordCrossingRequest, peer: Peer, caller: Caller, ports: Ports, trace: CheckTrace
) -> pb.RecordCrossingResponse:
    trace.mark(ports.clock.monotonic())
    valid = validate_crossing(request, ports.limits)
    system = crossing_system(ports)
    if not may_write(caller, system.value, ports.catalog):
        raise PermissionDenied(f"profile {caller.profile.name} may not write to {system.label}")
    trace.lap(VALIDATE, ports.clock.monotonic())
    correlation_id = new_correlation_id()
    until = deadline(valid.deadline_ms, peer.time_remaining_s, ports)
    query = system_query(
        correlation_id,
        system.value,
        _PURPOSE[valid.direction],
        valid.traveller,
        caller,
        until,
        peer.test_session,
        ports.clock,
    )
    query.crossing.CopyFrom(valid.crossing)
    trace.lap(ROUTE, ports.clock.monotonic())
    answers = [a async for a in ports.dispatcher.ask(correlation_id, [query], until, trace)]
    answer = answers[0]
    log.info(
        "crossing %s (trace %s) by %s: %s",
        correlation_id,
        trace.context.trace_id,
        caller.authority,
        short_name(pb.OutcomeStatus, answer.status),
    )
    response = pb.RecordCrossingResponse(
        request_id=request.request_id, correlation_id=correlation_id, outcome=answer.outcome()
    )
    if answer.hits:
        response.file.CopyFrom(answer.hits[0])
        response.file.system = system.value
        response.file.hit_id = f"{system.name}-1"
    return response
