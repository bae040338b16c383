"""A border check: authenticate, validate, route, fan out, merge, audit.

`stream_check` yields each system's result as soon as it arrives (ESP Art. 9(6)) and then
the report; `check` waits for the report.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from broker.domain.answers import Answer
from broker.domain.audit import CHECK, check_record, timestamp
from broker.domain.labels import short_name
from broker.domain.merge import build_report
from broker.domain.profiles import Caller, Route, route
from broker.domain.validation import ValidCheck, validate_check
from broker.service.admission import admit
from broker.service.fanout import deadline, new_correlation_id, system_query
from broker.service.ports import Peer, Ports
from interop.v1 import border_check_pb2 as pb

log = logging.getLogger(__name__)


async def stream_check(
    request: pb.CheckRequest, peer: Peer, ports: Ports
) -> AsyncIterator[pb.CheckEvent]:
    """Raises Unauthenticated, InvalidRequest or PermissionDenied before the first event."""
    started = ports.clock.monotonic()
    caller, (valid, plan) = await admit(
        CHECK,
        request.request_id,
        request.purpose,
        peer,
        ports,
        lambda c: _admitted(request, c, ports),
    )
    correlation_id = new_correlation_id()
    until = deadline(valid.deadline_ms, peer.time_remaining_s, ports)
    profile = caller.profile.name
    answers = [
        Answer(
            s,
            pb.OUTCOME_STATUS_NOT_PERMITTED,
            0,
            detail=f"profile {profile} may not ask this system",
        )
        for s in plan.not_permitted
    ]
    for answer in answers:
        yield _result(answer)
    queries = [
        system_query(
            correlation_id,
            system,
            valid.purpose,
            valid.traveller,
            caller,
            until,
            peer.test_session,
            ports.clock,
        )
        for system in plan.asked
    ]
    async for answer in ports.dispatcher.ask(correlation_id, queries, until):
        answers.append(answer)
        yield _result(answer)
    report = build_report(
        valid.request_id,
        correlation_id,
        valid.traveller,
        answers,
        timestamp(ports.clock.time()),
        ports.linker,
        ports.catalog,
    )
    await ports.audit(check_record(report, valid.purpose, caller))
    log.info(
        "check %s by %s (%s): verdict %s, %d hits, %s in %.0f ms",
        correlation_id,
        caller.authority,
        profile,
        short_name(pb.Verdict, report.verdict),
        len(report.hits),
        " ".join(
            f"{ports.catalog.name(o.system)}:{short_name(pb.OutcomeStatus, o.status).lower()}"
            for o in report.outcomes
        ),
        (ports.clock.monotonic() - started) * 1000,
    )
    yield pb.CheckEvent(report=report)


async def check(request: pb.CheckRequest, peer: Peer, ports: Ports) -> pb.HitReport:
    report = pb.HitReport()
    async for event in stream_check(request, peer, ports):
        if event.HasField("report"):
            report = event.report
    return report


def _result(answer: Answer) -> pb.CheckEvent:
    return pb.CheckEvent(system_result=pb.SystemResult(outcome=answer.outcome(), hits=answer.hits))


def _admitted(request: pb.CheckRequest, caller: Caller, ports: Ports) -> tuple[ValidCheck, Route]:
    """The valid check and which systems the caller may ask; InvalidRequest or
    PermissionDenied otherwise."""
    valid = validate_check(request, ports.limits, ports.catalog)
    return valid, route(caller, valid.purpose, valid.systems, ports.catalog)
