"""What the audit trail keeps of a check (Art. 10 of Reg. 2019/817): who, when, why,
which data categories, which systems and what came back; never the data itself."""

from __future__ import annotations

from broker.domain.profiles import Caller
from broker.domain.traveller import data_used
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2


def check_record(
    report: pb.HitReport, purpose: pb.Purpose.ValueType, caller: Caller
) -> bus_pb2.AuditRecord:
    return bus_pb2.AuditRecord(
        correlation_id=report.correlation_id,
        request_id=report.request_id,
        authority=caller.authority,
        profile=caller.profile.name,
        purpose=purpose,
        checked_at=report.checked_at,
        data_used=data_used(report.traveller),
        outcomes=report.outcomes,
        hit_count=len(report.hits),
    )
