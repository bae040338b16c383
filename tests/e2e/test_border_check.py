"""The whole path of a border check, on the in-memory bus and as separate processes on Kafka."""

from __future__ import annotations

import asyncio
import json
import time

import grpc
import pytest

from broker.audit.trail import verify
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from interop.v1 import systems_pb2 as s
from stack.client import field_violations
from tests.e2e.stacks import ROOT, SPECIMEN, Stack, trail_keys

SPECIMEN_MRZ = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
AUDITED_CHECK = {
    "action", "authority", "checked_at", "correlation_id", "data_used", "detail",
    "hit_count", "outcome", "outcomes", "profile", "purpose", "request_id", "test_session",
}  # fmt: skip
AUDITED_OUTCOME = {"detail", "hit_count", "latency_ms", "status", "system"}
# What a border guard asks on entry: Eurodac is not for routine border checks.
ON_ENTRY = [s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_EES, s.SYSTEM_ETIAS]


def check_request(traveller: pb.Traveller, **kwargs: object) -> pb.CheckRequest:
    return pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=traveller, **kwargs)  # type: ignore[arg-type]


async def test_specimen_traveller_gets_a_full_report(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    report = await client.Check(check_request(SPECIMEN, request_id="r-1"), timeout=10)
    assert report.request_id == "r-1"
    assert len(report.correlation_id) == 32
    assert [o.system for o in report.outcomes] == ON_ENTRY
    assert all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes)
    assert report.verdict == pb.VERDICT_HIT
    first = report.hits[0]
    assert (first.system, first.category, first.action) == (
        s.SYSTEM_SIS,
        "SIS_REFUSAL_OF_ENTRY",
        s.ACTION_REFUSE_ENTRY,
    )
    assert first.sis.legal_basis.endswith("Art. 24")
    assert "document_number" in {f.field for f in first.explanation}
    assert {h.system for h in report.hits} >= {s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_EES}
    assert len({h.hit_id for h in report.hits}) == len(report.hits)
    by_system = {o.system: o.hit_count for o in report.outcomes}
    assert sum(by_system.values()) == len(report.hits)
    # The broker's understanding of the traveller: names and codes normalised.
    assert report.traveller.surname == "ERIKSSON"
    assert list(report.traveller.given_names) == ["ANNA", "MARIA"]
    assert report.traveller.nationality == "UTO"
    assert report.actions[0] == "Refuse entry"


async def test_mrz_alone_finds_the_same_person(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    report = await client.Check(check_request(pb.Traveller(mrz=SPECIMEN_MRZ)), timeout=10)
    t = report.traveller
    assert (t.surname, list(t.given_names), t.date_of_birth, t.nationality) == (
        "ERIKSSON",
        ["ANNA", "MARIA"],
        "1974-08-12",
        "UTO",
    )
    assert (t.document.number, t.document.expiry_date, t.sex) == (
        "L898902C3",
        "2012-04-15",
        pb.SEX_FEMALE,
    )
    assert report.hits[0].category == "SIS_REFUSAL_OF_ENTRY"


async def test_stream_sends_each_system_then_the_report(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    events = [e async for e in client.CheckStream(check_request(SPECIMEN), timeout=10)]
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["system_result"] * 4 + ["report"]
    streamed = sorted(e.system_result.outcome.system for e in events[:-1])
    assert streamed == ON_ENTRY
    report = events[-1].report
    hits_streamed = sum(len(e.system_result.hits) for e in events[:-1])
    assert hits_streamed == len(report.hits)
    latencies = [e.system_result.outcome.latency_ms for e in events[:-1]]
    assert latencies == sorted(latencies), "results come in the order they arrived"


async def test_unknown_traveller_is_clear_only_when_all_answered(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    nobody = pb.Traveller(surname="NOBODY", date_of_birth="1990-01-01", nationality="CAN")
    report = await client.Check(check_request(nobody), timeout=10)
    assert report.verdict == pb.VERDICT_CLEAR
    assert not report.hits
    assert all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes)


async def test_systems_subset_and_document_number_alone(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    stolen = pb.Traveller(document=pb.Document(number="X4K7P2Q91", issuing_state="FRA"))
    report = await client.Check(check_request(stolen, systems=[s.SYSTEM_SIS]), timeout=10)
    assert [o.system for o in report.outcomes] == [s.SYSTEM_SIS]
    assert report.hits[0].category == "SIS_STOLEN_DOCUMENT"
    assert report.hits[0].action == s.ACTION_SEIZE_DOCUMENT
    # Without its issuing State the number is a candidate to confirm, not the document.
    number_only = pb.Traveller(document=pb.Document(number="X4K7P2Q91"))
    report = await client.Check(check_request(number_only, systems=[s.SYSTEM_SIS]), timeout=10)
    assert report.hits[0].action == s.ACTION_CONFIRM_MATCH


BAD_INPUTS = [
    ("empty traveller", check_request(pb.Traveller()), "traveller"),
    ("no traveller", pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY), "traveller"),
    (
        "malformed date",
        check_request(pb.Traveller(surname="X", date_of_birth="12/08/1974")),
        "traveller.date_of_birth",
    ),
    (
        "impossible date",
        check_request(pb.Traveller(surname="X", date_of_birth="1974-02-30")),
        "traveller.date_of_birth",
    ),
    (
        "unknown country",
        check_request(pb.Traveller(surname="X", nationality="XYZ")),
        "traveller.nationality",
    ),
    (
        "wrong MRZ check digit",
        check_request(pb.Traveller(mrz=SPECIMEN_MRZ.replace("C36UTO", "C35UTO"))),
        "traveller.mrz",
    ),
    (
        "oversized message",
        check_request(pb.Traveller(surname="X", given_names=["A" * 100] * 3000)),
        "traveller.given_names",
    ),
    ("zero deadline", check_request(SPECIMEN, deadline_ms=0), "deadline_ms"),
    ("negative deadline", check_request(SPECIMEN, deadline_ms=-5), "deadline_ms"),
    ("no purpose", pb.CheckRequest(traveller=SPECIMEN), "purpose"),
    ("unknown system", check_request(SPECIMEN, systems=[42]), "systems[0]"),
    (
        "short face embedding",
        check_request(pb.Traveller(biometrics=pb.Biometrics(face_embedding=[0.1] * 3))),
        "traveller.biometrics.face_embedding",
    ),
]


@pytest.mark.parametrize(
    ("request_", "field"),
    [(r, f) for _, r, f in BAD_INPUTS],
    ids=[name for name, _, _ in BAD_INPUTS],
)
async def test_bad_input_is_invalid_argument_naming_the_field(
    client: border_check_pb2_grpc.BorderCheckStub, request_: pb.CheckRequest, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await client.Check(request_, timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fields = [f for f, _ in field_violations(caught.value)]
    assert field in fields, fields
    # The server keeps serving.
    report = await client.Check(check_request(SPECIMEN), timeout=10)
    assert report.verdict == pb.VERDICT_HIT


async def test_bad_input_on_the_stream_too(client: border_check_pb2_grpc.BorderCheckStub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in client.CheckStream(check_request(pb.Traveller()), timeout=10):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def _until_every_system_answers(
    client: border_check_pb2_grpc.BorderCheckStub, within_s: float = 30.0
) -> pb.HitReport:
    """The first report in which every system answered (after a fault is lifted)."""
    deadline = time.monotonic() + within_s
    while True:
        report: pb.HitReport = await client.Check(check_request(SPECIMEN), timeout=10)
        if all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes):
            return report
        assert time.monotonic() < deadline, f"not every system answers: {report.outcomes}"
        await asyncio.sleep(0.2)


async def test_caller_deadline_caps_the_wait(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub
) -> None:
    """The systems may take 30 s, the call only 1.5 s: the report comes within the call's
    deadline (else gRPC ends the call with DEADLINE_EXCEEDED), the frozen system TIMEOUT."""
    stack.freeze_mock("vis")
    try:
        report = await client.Check(check_request(SPECIMEN, deadline_ms=30_000), timeout=1.5)
    finally:
        stack.thaw_mock("vis")
    status = {o.system: o.status for o in report.outcomes}
    assert status.pop(s.SYSTEM_VIS) == pb.OUTCOME_STATUS_TIMEOUT
    assert set(status.values()) == {pb.OUTCOME_STATUS_ANSWERED}
    await _until_every_system_answers(client)


async def test_a_frozen_system_times_out_and_the_rest_still_answer(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub
) -> None:
    stack.freeze_mock("vis")
    try:
        report = await client.Check(check_request(SPECIMEN, deadline_ms=800), timeout=10)
    finally:
        stack.thaw_mock("vis")
    status = {o.system: o.status for o in report.outcomes}
    assert status[s.SYSTEM_VIS] == pb.OUTCOME_STATUS_TIMEOUT
    assert all(v == pb.OUTCOME_STATUS_ANSWERED for k, v in status.items() if k != s.SYSTEM_VIS)
    assert report.verdict == pb.VERDICT_HIT
    assert not [h for h in report.hits if h.system == s.SYSTEM_VIS]
    assert any("VIS did not answer" in a for a in report.actions)
    await _until_every_system_answers(client)


async def test_every_check_is_audited_in_an_unbroken_chain(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub
) -> None:
    with_face = pb.Traveller(
        surname="AUDITED", biometrics=pb.Biometrics(face_embedding=[0.5] * 512)
    )
    report = await client.Check(check_request(with_face, request_id="audit-me"), timeout=10)
    assert not stack.audit_log.is_relative_to(ROOT), "each test stack keeps its own trail"
    result = verify(stack.audit_log, trail_keys(stack), "gw1")
    assert result.ok, result.reason
    lines = stack.audit_log.read_text().splitlines()
    assert len(lines) == result.records
    line = json.loads(lines[-1])
    assert set(line) == {"seq", "key", "prev", "mac", "record"}
    last = line["record"]
    assert last["correlation_id"] == report.correlation_id
    assert last["request_id"] == "audit-me"
    assert "face" in last["data_used"]
    # What the record holds, and nothing else: no field for a biometric (or any) value.
    assert set(last) == AUDITED_CHECK
    assert [set(o) for o in last["outcomes"]] == [AUDITED_OUTCOME] * 4


async def test_a_system_that_is_down_is_unavailable_never_no_hit(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub
) -> None:
    await stack.take_down("sis")
    try:
        report = await client.Check(check_request(SPECIMEN), timeout=10)
    finally:
        await stack.bring_up("sis")
    status = {o.system: o.status for o in report.outcomes}
    assert status[s.SYSTEM_SIS] == pb.OUTCOME_STATUS_UNAVAILABLE
    assert not [h for h in report.hits if h.system == s.SYSTEM_SIS]
    assert any(a.startswith("SIS did not answer (unavailable)") for a in report.actions)
    # Back up: the same check finds the SIS alert again.
    again = await _until_every_system_answers(client)
    assert again.hits[0].category == "SIS_REFUSAL_OF_ENTRY"
