"""The use cases on fakes: no gRPC, no bus, no clock of the machine."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import pytest

from broker.domain.answers import Answer
from broker.domain.errors import InvalidRequest, PermissionDenied, Unauthenticated
from broker.domain.links import link_hits
from broker.domain.profiles import AccessPolicy
from broker.domain.trace import CheckTrace
from broker.domain.validation import Limits
from broker.service.check import check, stream_check
from broker.service.crossing import record_crossing
from broker.service.ports import Peer, Ports
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s
from systems import REGISTRY

NOW = 1_800_000_000.0
TRAVELLER = pb.Traveller(
    surname="Eriksson",
    given_names=["Anna"],
    date_of_birth="1974-08-12",
    nationality="uto",
    document=pb.Document(number="l898902c3"),
)
ARREST = pb.Hit(
    record_id="SIS-1",
    score=0.97,
    category="SIS_ARREST",
    action=s.ACTION_ARREST,
    identity=pb.Traveller(surname="ERIKSSON", given_names=["ANNA"], date_of_birth="1974-08-12"),
)
VISA = pb.Hit(record_id="VIS-1", score=0.9, category="VIS_VISA_ISSUED", action=s.ACTION_INFORMATION)
EES_FILE = pb.Hit(record_id="EES-1", score=1.0, category="EES_FILE", action=s.ACTION_INFORMATION)


class FakeClock:
    def __init__(self) -> None:
        self.now = NOW

    def monotonic(self) -> float:
        return self.now - NOW + 100.0

    def time(self) -> float:
        return self.now


@dataclass
class FakeDispatcher:
    """Answers every query at once with the hits given per system; `silent` systems time
    out, as the real dispatcher reports a system that did not reply by the deadline."""

    hits: dict[int, tuple[pb.Hit, ...]] = field(default_factory=dict)
    silent: frozenset[int] = frozenset()
    asked: list[bus_pb2.SystemQuery] = field(default_factory=list)
    deadlines: list[float] = field(default_factory=list)

    async def ask(
        self,
        correlation_id: str,
        queries: Sequence[bus_pb2.SystemQuery],
        deadline: float,
        trace: CheckTrace,
    ) -> AsyncIterator[Answer]:
        self.asked.extend(queries)
        self.deadlines.append(deadline)
        for query in queries:
            if query.system in self.silent:
                yield Answer(query.system, pb.OUTCOME_STATUS_TIMEOUT, 2000, detail="no answer")
            else:
                yield Answer(
                    query.system, pb.OUTCOME_STATUS_ANSWERED, 7, self.hits.get(query.system, ())
                )


@dataclass
class FakeAudit:
    records: list[bus_pb2.AuditRecord] = field(default_factory=list)

    async def __call__(self, record: bus_pb2.AuditRecord) -> None:
        self.records.append(record)


def ports(dispatcher: FakeDispatcher, audit: FakeAudit, profile: str = "border-guard") -> Ports:
    policy = AccessPolicy({"terminal-1": "border-guard"}, insecure_profile=profile)
    return Ports(REGISTRY.catalog, policy, Limits(), dispatcher, audit, link_hits, FakeClock())


LOCAL = Peer(common_name=None, secure=False)
# Eurodac is not for routine border checks (Reg. 2024/1358 Art. 1).
ON_ENTRY = [s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_EES, s.SYSTEM_ETIAS]


def request(**changes: object) -> pb.CheckRequest:
    base = pb.CheckRequest(request_id="r-1", purpose=pb.PURPOSE_BORDER_ENTRY, traveller=TRAVELLER)
    for name, value in changes.items():
        if isinstance(value, list):
            getattr(base, name).extend(value)
        else:
            setattr(base, name, value)
    return base


async def test_a_full_check_merges_every_system_and_is_audited() -> None:
    dispatcher = FakeDispatcher({s.SYSTEM_SIS: (ARREST,), s.SYSTEM_VIS: (VISA,)})
    audit = FakeAudit()
    report = await check(request(), LOCAL, ports(dispatcher, audit))

    assert [o.system for o in report.outcomes] == ON_ENTRY
    assert all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes)
    assert report.verdict == pb.VERDICT_HIT
    assert [h.hit_id for h in report.hits] == ["sis-1", "vis-1"]
    assert report.actions[0] == "Arrest the person (SIS alert for arrest)"
    assert report.traveller.surname == "ERIKSSON"
    assert report.traveller.document.number == "L898902C3"
    assert report.checked_at.startswith("2027-01-15T08:00:00")
    # One query per system, with the check's correlation id and a wall-clock deadline.
    assert {q.system for q in dispatcher.asked} == set(ON_ENTRY)
    assert {q.correlation_id for q in dispatcher.asked} == {report.correlation_id}
    assert {q.deadline_unix_ms for q in dispatcher.asked} == {int((NOW + 2.0) * 1000)}
    [record] = audit.records
    assert record.correlation_id == report.correlation_id
    assert record.request_id == "r-1"
    assert (record.authority, record.profile) == ("local-insecure", "border-guard")
    assert record.purpose == pb.PURPOSE_BORDER_ENTRY
    assert list(record.data_used) == ["names", "date_of_birth", "nationality", "document"]
    assert list(record.outcomes) == list(report.outcomes)
    assert record.hit_count == 2


async def test_a_system_that_times_out_makes_a_partial_answer_not_a_clear_one() -> None:
    dispatcher = FakeDispatcher({s.SYSTEM_EES: (EES_FILE,)}, silent=frozenset({s.SYSTEM_VIS}))
    report = await check(request(), LOCAL, ports(dispatcher, FakeAudit()))

    status = {o.system: o.status for o in report.outcomes}
    assert status[s.SYSTEM_VIS] == pb.OUTCOME_STATUS_TIMEOUT
    assert status[s.SYSTEM_SIS] == pb.OUTCOME_STATUS_ANSWERED
    assert report.verdict == pb.VERDICT_INCOMPLETE
    assert [h.category for h in report.hits] == ["EES_FILE"]
    assert any(a.startswith("VIS did not answer (timeout)") for a in report.actions)


async def test_a_system_outside_the_profile_is_not_permitted_and_not_asked() -> None:
    dispatcher = FakeDispatcher()
    audit = FakeAudit()
    asked = request(purpose=pb.PURPOSE_VISA_APPLICATION, systems=[s.SYSTEM_VIS, s.SYSTEM_EURODAC])
    report = await check(asked, LOCAL, ports(dispatcher, audit, profile="visa-authority"))

    assert [q.system for q in dispatcher.asked] == [s.SYSTEM_VIS]
    eurodac = next(o for o in report.outcomes if o.system == s.SYSTEM_EURODAC)
    assert eurodac.status == pb.OUTCOME_STATUS_NOT_PERMITTED
    assert "visa-authority" in eurodac.detail and "VISA_APPLICATION" in eurodac.detail
    assert report.verdict == pb.VERDICT_INCOMPLETE
    assert audit.records[0].outcomes == report.outcomes


async def test_refusals_are_audited_before_anything_is_sent() -> None:
    dispatcher = FakeDispatcher()
    audit = FakeAudit()
    with pytest.raises(PermissionDenied, match="LAW_ENFORCEMENT"):
        await check(request(purpose=pb.PURPOSE_LAW_ENFORCEMENT), LOCAL, ports(dispatcher, audit))
    with pytest.raises(InvalidRequest) as invalid:
        await check(request(purpose=pb.PURPOSE_UNSPECIFIED), LOCAL, ports(dispatcher, audit))
    assert invalid.value.violations[0].field == "purpose"
    with pytest.raises(Unauthenticated):
        await check(request(), Peer("stranger", secure=True), ports(dispatcher, audit))
    assert dispatcher.asked == []
    assert [(r.action, r.outcome, r.authority, r.detail) for r in audit.records] == [
        ("check", "permission-denied", "local-insecure", "profile border-guard may not check "
         "for LAW_ENFORCEMENT"),
        ("check", "invalid-argument", "local-insecure", "purpose"),
        ("check", "unauthenticated", "stranger", "client certificate 'stranger' is not registered"),
    ]  # fmt: skip
    assert {r.checked_at for r in audit.records} == {"2027-01-15T08:00:00.000+00:00"}


async def test_the_callers_deadline_caps_the_wait() -> None:
    dispatcher = FakeDispatcher()
    peer = Peer(common_name="terminal-1", secure=True, time_remaining_s=0.5)
    await check(request(deadline_ms=5000), peer, ports(dispatcher, FakeAudit()))
    # 0.5 s less the margin kept to send the report; the monotonic clock starts at 100.
    assert dispatcher.deadlines == [pytest.approx(100.45)]


async def test_the_stream_gives_each_system_before_the_report() -> None:
    dispatcher = FakeDispatcher({s.SYSTEM_SIS: (ARREST,)})
    events = [e async for e in stream_check(request(), LOCAL, ports(dispatcher, FakeAudit()))]
    assert [e.WhichOneof("event") for e in events] == ["system_result"] * 4 + ["report"]
    assert events[0].system_result.outcome.system == s.SYSTEM_SIS
    assert events[0].system_result.hits[0].category == "SIS_ARREST"


CROSSING = pb.RecordCrossingRequest(
    request_id="x-1",
    traveller=TRAVELLER,
    direction=pb.CROSSING_DIRECTION_ENTRY,
    date="2026-11-30",
    border_crossing_point="DEU-BCP-01",
)


async def test_a_crossing_is_written_to_ees_only_and_audited() -> None:
    dispatcher = FakeDispatcher({s.SYSTEM_EES: (EES_FILE,)})
    audit = FakeAudit()
    response = await record_crossing(CROSSING, LOCAL, ports(dispatcher, audit))

    [query] = dispatcher.asked
    assert query.system == s.SYSTEM_EES
    assert query.crossing.direction == pb.CROSSING_DIRECTION_ENTRY
    assert query.crossing.date == "2026-11-30"
    assert query.purpose == pb.PURPOSE_BORDER_ENTRY
    assert response.outcome.status == pb.OUTCOME_STATUS_ANSWERED
    assert (response.file.hit_id, response.file.record_id) == ("ees-1", "EES-1")
    assert response.request_id == "x-1"
    assert query.crossing.idempotency_key == "local-insecure/x-1"
    [record] = audit.records
    assert (record.action, record.outcome, record.request_id) == ("record-crossing", "ok", "x-1")
    assert record.outcomes == [response.outcome] and record.hit_count == 1


async def test_a_profile_that_may_not_write_ees_records_no_crossing() -> None:
    dispatcher, audit = FakeDispatcher(), FakeAudit()
    with pytest.raises(PermissionDenied, match="EES"):
        await record_crossing(CROSSING, LOCAL, ports(dispatcher, audit, profile="asylum-authority"))
    assert dispatcher.asked == []
    [record] = audit.records
    assert (record.action, record.outcome, record.request_id) == (
        "record-crossing",
        "permission-denied",
        "x-1",
    )


async def test_an_invalid_crossing_is_refused_naming_the_fields_and_audited() -> None:
    dispatcher, audit = FakeDispatcher(), FakeAudit()
    invalid = pb.RecordCrossingRequest()
    invalid.CopyFrom(CROSSING)
    invalid.direction = pb.CROSSING_DIRECTION_UNSPECIFIED
    invalid.date = "30.11.2026"
    with pytest.raises(InvalidRequest) as refused:
        await record_crossing(invalid, LOCAL, ports(dispatcher, audit))
    assert refused.value.fields == ("direction", "date")
    assert dispatcher.asked == []
    [record] = audit.records
    assert (record.action, record.outcome, record.detail) == (
        "record-crossing",
        "invalid-argument",
        "direction, date",
    )
