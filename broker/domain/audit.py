"""What the audit trail keeps of each action (Art. 10 of Reg. 2019/817): who, what, when,
why, which data categories, which systems and how it ended; never the data itself.

Every action leaves a record: a check, a crossing, a request refused (invalid,
unauthenticated, not permitted), a call to a mock's MockControl. A refusal's detail names
the wrong fields or the missing right, never a value.
"""

from __future__ import annotations

import datetime as dt

from broker.domain.errors import InvalidRequest, Refused
from broker.domain.profiles import Caller
from broker.domain.traveller import data_used
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

CHECK = "check"
RECORD_CROSSING = "record-crossing"
OK = "ok"
# A request id is the caller's own reference; one that is not a plain short name is not
# copied into the trail (the refusal names the field instead).
MAX_REQUEST_ID_CHARS = 128


def timestamp(unix: float) -> str:
    """Seconds since the epoch as RFC 3339 in UTC, to the millisecond."""
    return dt.datetime.fromtimestamp(unix, dt.UTC).isoformat(timespec="milliseconds")


def check_record(
    report: pb.HitReport, purpose: pb.Purpose.ValueType, caller: Caller
) -> bus_pb2.AuditRecord:
    record = _carried_out(CHECK, caller, purpose, report.traveller, report.checked_at, report)
    record.outcomes.extend(report.outcomes)
    record.hit_count = len(report.hits)
    return record


def crossing_record(
    response: pb.RecordCrossingResponse,
    purpose: pb.Purpose.ValueType,
    traveller: pb.Traveller,
    caller: Caller,
    at: str,
) -> bus_pb2.AuditRecord:
    record = _carried_out(RECORD_CROSSING, caller, purpose, traveller, at, response)
    record.outcomes.append(response.outcome)
    record.hit_count = int(response.HasField("file"))
    return record


def _carried_out(
    action: str,
    caller: Caller,
    purpose: pb.Purpose.ValueType,
    traveller: pb.Traveller,
    at: str,
    answer: pb.HitReport | pb.RecordCrossingResponse,
) -> bus_pb2.AuditRecord:
    """An action the broker carried out: who, why, when, and which data it used."""
    return bus_pb2.AuditRecord(
        action=action,
        outcome=OK,
        correlation_id=answer.correlation_id,
        request_id=answer.request_id,
        authority=caller.authority,
        profile=caller.profile.name,
        purpose=purpose,
        checked_at=at,
        data_used=data_used(traveller),
    )


def refusal_record(
    action: str,
    who: str,
    profile: str,
    error: Refused,
    at: str,
    request_id: str,
    purpose: pb.Purpose.ValueType,
) -> bus_pb2.AuditRecord:
    """A request the broker refused, naming why without quoting the request."""
    detail = ", ".join(error.fields) if isinstance(error, InvalidRequest) else str(error)
    return bus_pb2.AuditRecord(
        action=action,
        outcome=error.outcome,
        detail=detail,
        request_id=request_id if _plain(request_id) else "",
        authority=who,
        profile=profile,
        purpose=purpose if purpose in pb.Purpose.values() else pb.PURPOSE_UNSPECIFIED,
        checked_at=at,
    )


def call_record(
    action: str, who: str, profile: str, outcome: str, detail: str, session: str, at: str
) -> bus_pb2.AuditRecord:
    """A call to a service other than BorderCheck (a mock's MockControl)."""
    return bus_pb2.AuditRecord(
        action=action,
        outcome=outcome,
        detail=detail,
        authority=who,
        profile=profile,
        test_session=session,
        checked_at=at,
    )


def _plain(request_id: str) -> bool:
    return len(request_id) <= MAX_REQUEST_ID_CHARS and request_id.isprintable()
