"""The BorderCheck gRPC service: authenticate, validate, route, fan out, merge, audit.

Check and CheckStream share one pipeline (`_events`): the stream yields each system's
result as soon as it arrives (ESP Art. 9(6)); Check waits for the final report.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from broker.access import AccessPolicy, Caller, PurposeNotAllowed, Unauthenticated, route
from broker.config import Settings
from broker.dispatch import Answer, Dispatcher
from broker.errors import InvalidRequest
from broker.merge import Linker, build_report, outcome
from broker.systems import system_name
from broker.validation import ValidCheck, validate_check, validate_crossing
from broker.wire import TEST_SESSION_HEADER
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc, bus_pb2, systems_pb2

log = logging.getLogger(__name__)

AuditSink = Callable[[bus_pb2.AuditRecord], Awaitable[None]]
# Time kept back from the caller's gRPC deadline to merge and send the report.
REPORT_MARGIN_S = 0.05


class Gateway(border_check_pb2_grpc.BorderCheckServicer):
    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        policy: AccessPolicy,
        audit: AuditSink,
        linker: Linker,
        tls: bool,
    ) -> None:
        self._settings = settings
        self._dispatcher = dispatcher
        self._policy = policy
        self._audit = audit
        self._linker = linker
        self._tls = tls

    async def Check(
        self,
        request: pb.CheckRequest,
        context: grpc.aio.ServicerContext[pb.CheckRequest, pb.HitReport],
    ) -> pb.HitReport:
        report = pb.HitReport()
        async for event in self._events(request, context):
            if event.HasField("report"):
                report = event.report
        return report

    async def CheckStream(
        self,
        request: pb.CheckRequest,
        context: grpc.aio.ServicerContext[pb.CheckRequest, pb.CheckEvent],
    ) -> AsyncIterator[pb.CheckEvent]:
        async for event in self._events(request, context):
            yield event

    async def _events(
        self, request: pb.CheckRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> AsyncIterator[pb.CheckEvent]:
        started = time.monotonic()
        caller = await self._authenticate(context)
        check = await self._validate(request, context)
        try:
            plan = route(caller, check.purpose, check.systems)
        except PurposeNotAllowed as error:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(error))
            raise  # abort raises; this line only satisfies the type checker
        correlation_id = uuid.uuid4().hex
        deadline = self._deadline(check.deadline_ms or self._settings.default_deadline_ms, context)
        answers = [
            Answer(
                s,
                pb.OUTCOME_STATUS_NOT_PERMITTED,
                0,
                detail=f"profile {caller.profile.name} may not ask this system",
            )
            for s in plan.not_permitted
        ]
        for answer in answers:
            yield _result_event(answer)
        session = _test_session(context)
        queries = [
            self._query(
                correlation_id, check.traveller, check.purpose, caller, s, deadline, session
            )
            for s in plan.asked
        ]
        async for answer in self._dispatcher.ask(correlation_id, queries, deadline):
            answers.append(answer)
            yield _result_event(answer)
        report = build_report(
            check.request_id,
            correlation_id,
            check.traveller,
            answers,
            dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            self._linker,
        )
        await self._audit(_audit_record(report, check, caller))
        log.info(
            "check %s by %s (%s): verdict %s, %d hits, %s in %.0f ms",
            correlation_id,
            caller.authority,
            caller.profile.name,
            pb.Verdict.Name(report.verdict),
            len(report.hits),
            " ".join(
                f"{system_name(o.system)}:"
                f"{pb.OutcomeStatus.Name(o.status).removeprefix('OUTCOME_STATUS_').lower()}"
                for o in report.outcomes
            ),
            (time.monotonic() - started) * 1000,
        )
        yield pb.CheckEvent(report=report)

    async def _authenticate(self, context: grpc.aio.ServicerContext[object, object]) -> Caller:
        names = context.auth_context().get("x509_common_name") or []
        common_name = names[0].decode() if names else None
        try:
            return self._policy.authenticate(common_name, self._tls)
        except Unauthenticated as error:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(error))
            raise

    async def _validate(
        self, request: pb.CheckRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> ValidCheck:
        s = self._settings
        try:
            return validate_check(request, s.max_request_bytes, s.max_deadline_ms)
        except InvalidRequest as error:
            await _abort_invalid(context, error)
            raise

    def _deadline(self, budget_ms: int, context: grpc.aio.ServicerContext[object, object]) -> float:
        """When to stop waiting (monotonic): the asked or default budget, capped by the caller."""
        budget = budget_ms / 1000
        remaining = context.time_remaining()
        if remaining is not None:
            budget = min(budget, max(0.0, remaining - REPORT_MARGIN_S))
        return time.monotonic() + budget

    def _query(
        self,
        correlation_id: str,
        traveller: pb.Traveller,
        purpose: pb.Purpose.ValueType,
        caller: Caller,
        system: int,
        deadline: float,
        session: str,
    ) -> bus_pb2.SystemQuery:
        wall_deadline = time.time() + (deadline - time.monotonic())
        return bus_pb2.SystemQuery(
            correlation_id=correlation_id,
            system=system,  # type: ignore[arg-type]
            purpose=purpose,
            traveller=traveller,
            deadline_unix_ms=int(wall_deadline * 1000),
            authority=caller.authority,
            profile=caller.profile.name,
            test_session=session,
        )

    async def RecordCrossing(
        self,
        request: pb.RecordCrossingRequest,
        context: grpc.aio.ServicerContext[pb.RecordCrossingRequest, pb.RecordCrossingResponse],
    ) -> pb.RecordCrossingResponse:
        """Write an entry or exit to EES through its adapter, like a check to one system."""
        caller = await self._authenticate(context)
        s = self._settings
        try:
            crossing = validate_crossing(request, s.max_request_bytes, s.max_deadline_ms)
        except InvalidRequest as error:
            await _abort_invalid(context, error)
            raise
        if systems_pb2.SYSTEM_EES not in caller.profile.systems:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"profile {caller.profile.name} may not write to EES",
            )
        correlation_id = uuid.uuid4().hex
        budget = crossing.deadline_ms or s.default_deadline_ms
        deadline = self._deadline(budget, context)
        query = self._query(
            correlation_id,
            crossing.traveller,
            pb.PURPOSE_BORDER_ENTRY
            if crossing.direction == pb.CROSSING_DIRECTION_ENTRY
            else pb.PURPOSE_BORDER_EXIT,
            caller,
            systems_pb2.SYSTEM_EES,
            deadline,
            _test_session(context),
        )
        query.crossing.CopyFrom(crossing.crossing)
        answers = [a async for a in self._dispatcher.ask(correlation_id, [query], deadline)]
        answer = answers[0]
        log.info(
            "crossing %s by %s: %s",
            correlation_id,
            caller.authority,
            pb.OutcomeStatus.Name(answer.status),
        )
        response = pb.RecordCrossingResponse(
            request_id=request.request_id, correlation_id=correlation_id, outcome=outcome(answer)
        )
        if answer.hits:
            response.file.CopyFrom(answer.hits[0])
            response.file.system = systems_pb2.SYSTEM_EES
            response.file.hit_id = "ees-1"
        return response


def _test_session(context: grpc.aio.ServicerContext[object, object]) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == TEST_SESSION_HEADER:
            return str(value)[:128]
    return ""


def _result_event(answer: Answer) -> pb.CheckEvent:
    return pb.CheckEvent(system_result=pb.SystemResult(outcome=outcome(answer), hits=answer.hits))


async def _abort_invalid(
    context: grpc.aio.ServicerContext[object, object], error: InvalidRequest
) -> None:
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    status = rpc_status.to_status(
        status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=str(error), details=[detail])
    )
    await context.abort(status.code, status.details, status.trailing_metadata)


def _data_used(traveller: pb.Traveller) -> list[str]:
    present = {
        "names": bool(traveller.surname or traveller.given_names),
        "date_of_birth": bool(traveller.date_of_birth),
        "nationality": bool(traveller.nationality),
        "document": bool(traveller.document.number),
        "visa_sticker": bool(traveller.visa_sticker_number),
        "mrz": bool(traveller.mrz),
        "face": bool(traveller.biometrics.face_embedding),
        "fingerprints": bool(traveller.biometrics.fingerprints),
    }
    return [name for name, used in present.items() if used]


def _audit_record(report: pb.HitReport, check: ValidCheck, caller: Caller) -> bus_pb2.AuditRecord:
    return bus_pb2.AuditRecord(
        correlation_id=report.correlation_id,
        request_id=report.request_id,
        authority=caller.authority,
        profile=caller.profile.name,
        purpose=check.purpose,
        checked_at=report.checked_at,
        data_used=_data_used(check.traveller),
        outcomes=report.outcomes,
        hit_count=len(report.hits),
    )
