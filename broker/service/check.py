"""A border check: authenticate, validate, route, fan out, merge, audit.

`stream_check` yields each system's result as soon as it arrives (ESP Art. 9(6)) and then
the report; `check` waits for the report. Either records in the check's trace how long it
took to validate, route, merge and audit; the dispatcher adds the hops on the bus.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import AsyncGenerator, AsyncIterator

from broker.domain.answers import Answer
from broker.domain.audit import CHECK, check_record, timestamp
from broker.domain.labels import short_name
from broker.domain.merge import build_report, situated
from broker.domain.profiles import Caller, Route, route
from broker.domain.situation import Situation
from broker.domain.trace import AUDIT, MERGE, ROUTE, VALIDATE, CheckTrace
from broker.domain.validation import ValidCheck, validate_check
from broker.service.fanout import deadline, new_correlation_id, system_query
from broker.service.ports import Peer, Ports
from broker.service.screening import screen
from interop.v1 import border_check_pb2 as pb

log = logging.getLogger(__name__)


async def stream_check(
    request: pb.CheckRequest, peer: Peer, ports: Ports, trace: CheckTrace | None = None
) -> AsyncIterator[pb.CheckEvent]:
    """Each system's answer as it comes, then the report. Raises Unauthenticated,
    InvalidRequest, PermissionDenied or Overloaded before the first event. The check
    continues `trace` (a new one when None)."""
    async for step in _steps(request, peer, ports, trace):
        if isinstance(step, Answer):
            yield _result(step)
        else:
            yield pb.CheckEvent(report=step)


async def check(
    request: pb.CheckRequest, peer: Peer, ports: Ports, trace: CheckTrace | None = None
) -> pb.HitReport:
    """The report, once every system answered or the deadline passed."""
    # Closed at once (not when collected) so that the check's place in flight is freed.
    async with contextlib.aclosing(_steps(request, peer, ports, trace)) as steps:
        async for step in steps:
            if isinstance(step, pb.HitReport):
                return step
    raise AssertionError("a check always ends with its report")


async def _steps(
    request: pb.CheckRequest, peer: Peer, ports: Ports, trace: CheckTrace | None
) -> AsyncGenerator[Answer | pb.HitReport, None]:
    trace = trace or CheckTrace.continuing(None)
    started = ports.clock.monotonic()
    trace.mark(started)
    # The local date, as the mocks and the EES calculation count days.
    today = dt.date.fromtimestamp(ports.clock.time())
    caller, (valid, plan) = await screen(
        CHECK,
        request.request_id,
        request.purpose,
        peer,
        ports,
        lambda c: _admitted(request, c, ports, today),
    )
    trace.lap(VALIDATE, ports.clock.monotonic())
    with ports.admission.admit(caller.authority):
        situation = _situation(valid, today)
        async for step in _checked(valid, plan, situation, peer, caller, ports, trace, started):
            yield step


async def _checked(
    valid: ValidCheck,
    plan: Route,
    situation: Situation,
    peer: Peer,
    caller: Caller,
    ports: Ports,
    trace: CheckTrace,
    started: float,
) -> AsyncGenerator[Answer | pb.HitReport, None]:
    correlation_id = new_correlation_id()
    until = deadline(valid.deadline_ms, peer.time_remaining_s, ports)
    profile = caller.profile.name
    asked = [s for s in plan.asked if ports.breaker.allow(s, started)]
    answers = [
        Answer(
            s,
            pb.OUTCOME_STATUS_NOT_PERMITTED,
            0,
            detail=f"profile {profile} may not ask this system for "
            f"{short_name(pb.Purpose, valid.purpose)}",
        )
        for s in plan.not_permitted
    ] + [ports.breaker.refusal(s) for s in plan.asked if s not in asked]
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
        for system in asked
    ]
    trace.lap(ROUTE, ports.clock.monotonic())
    for answer in answers:
        yield answer
    async for answer in ports.dispatcher.ask(correlation_id, queries, until, trace):
        ports.breaker.record(answer)
        answer = situated(answer, situation, ports.catalog)
        answers.append(answer)
        yield answer
    trace.mark(ports.clock.monotonic())
    report = build_report(
        valid.request_id,
        correlation_id,
        valid.traveller,
        answers,
        timestamp(ports.clock.time()),
        ports.linker,
        ports.catalog,
        situation,
    )
    trace.lap(MERGE, ports.clock.monotonic())
    await ports.audit(check_record(report, valid.purpose, caller))
    trace.lap(AUDIT, ports.clock.monotonic())
    if log.isEnabledFor(logging.INFO):
        log.info(
            "check %s (trace %s) by %s (%s): verdict %s, %d hits, %s in %.0f ms",
            correlation_id,
            trace.context.trace_id,
            caller.authority,
            profile,
            short_name(pb.Verdict, report.verdict),
            len(report.hits),
            _outcomes(report, ports),
            (ports.clock.monotonic() - started) * 1000,
        )
    yield report


def _situation(valid: ValidCheck, today: dt.date) -> Situation:
    return Situation(
        valid.purpose, today, valid.checking_state, valid.border_crossing_point, valid.intended_exit
    )


def _outcomes(report: pb.HitReport, ports: Ports) -> str:
    """`sis:answered vis:timeout ...` for the log."""
    return " ".join(
        f"{ports.catalog.name(o.system)}:{short_name(pb.OutcomeStatus, o.status).lower()}"
        for o in report.outcomes
    )


def _result(answer: Answer) -> pb.CheckEvent:
    return pb.CheckEvent(system_result=pb.SystemResult(outcome=answer.outcome(), hits=answer.hits))


def _admitted(
    request: pb.CheckRequest, caller: Caller, ports: Ports, today: dt.date
) -> tuple[ValidCheck, Route]:
    """The valid check and which systems the caller may ask; InvalidRequest or
    PermissionDenied otherwise."""
    valid = validate_check(request, ports.limits, ports.catalog, today)
    return valid, route(caller, valid.purpose, valid.systems, ports.catalog)
