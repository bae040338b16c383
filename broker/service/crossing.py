"""Recording an entry or exit in EES: a write to one system, through its adapter."""

from __future__ import annotations

import logging

from broker.domain.audit import RECORD_CROSSING, crossing_record, timestamp
from broker.domain.errors import PermissionDenied
from broker.domain.labels import short_name
from broker.domain.profiles import Caller, may_write
from broker.domain.systems import SystemSpec
from broker.domain.trace import ROUTE, VALIDATE, CheckTrace
from broker.domain.validation import ValidCrossing, validate_crossing
from broker.service.fanout import deadline, new_correlation_id, system_query
from broker.service.ports import Peer, Ports
from broker.service.screening import screen
from interop.v1 import border_check_pb2 as pb

log = logging.getLogger(__name__)

_PURPOSE = {
    pb.CROSSING_DIRECTION_ENTRY: pb.PURPOSE_BORDER_ENTRY,
    pb.CROSSING_DIRECTION_EXIT: pb.PURPOSE_BORDER_EXIT,
}


def crossing_system(ports: Ports) -> SystemSpec:
    """The system that records crossings (EES)."""
    return next(s for s in ports.catalog if s.records_crossings)


def idempotency_key(caller: Caller, request_id: str, correlation_id: str) -> str:
    """The key EES records a crossing once under: a retried request (same caller, same
    request id) is the same crossing; without a request id each call is its own."""
    return f"{caller.authority}/{request_id}" if request_id else correlation_id


async def record_crossing(
    request: pb.RecordCrossingRequest, peer: Peer, ports: Ports, trace: CheckTrace | None = None
) -> pb.RecordCrossingResponse:
    """Raises Unauthenticated, InvalidRequest, PermissionDenied or Overloaded before
    anything is sent. The write continues `trace` (a new one when None)."""
    trace = trace or CheckTrace.continuing(None)
    trace.mark(ports.clock.monotonic())
    purpose = _PURPOSE.get(request.direction, pb.PURPOSE_UNSPECIFIED)
    caller, valid = await screen(
        RECORD_CROSSING,
        request.request_id,
        purpose,
        peer,
        ports,
        lambda c: _admitted(request, c, ports),
    )
    trace.lap(VALIDATE, ports.clock.monotonic())
    with ports.admission.admit(caller.authority):
        return await _recorded(valid, purpose, peer, caller, ports, trace)


async def _recorded(
    valid: ValidCrossing,
    purpose: pb.Purpose.ValueType,
    peer: Peer,
    caller: Caller,
    ports: Ports,
    trace: CheckTrace,
) -> pb.RecordCrossingResponse:
    system = crossing_system(ports)
    correlation_id = new_correlation_id()
    until = deadline(valid.deadline_ms, peer.time_remaining_s, ports)
    query = system_query(
        correlation_id,
        system.value,
        purpose,
        valid.traveller,
        caller,
        until,
        peer.test_session,
        ports.clock,
    )
    query.crossing.CopyFrom(valid.crossing)
    query.crossing.idempotency_key = idempotency_key(caller, valid.request_id, correlation_id)
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
        request_id=valid.request_id, correlation_id=correlation_id, outcome=answer.outcome()
    )
    if answer.hits:
        response.file.CopyFrom(answer.hits[0])
        response.file.system = system.value
        response.file.hit_id = f"{system.name}-1"
    at = timestamp(ports.clock.time())
    await ports.audit(crossing_record(response, purpose, valid.traveller, caller, at))
    return response


def _admitted(request: pb.RecordCrossingRequest, caller: Caller, ports: Ports) -> ValidCrossing:
    """The valid crossing, if the caller may write it; InvalidRequest or PermissionDenied
    otherwise."""
    valid = validate_crossing(request, ports.limits)
    system = crossing_system(ports)
    if not may_write(caller, system.value, ports.catalog):
        raise PermissionDenied(f"profile {caller.profile.name} may not write to {system.label}")
    return valid
