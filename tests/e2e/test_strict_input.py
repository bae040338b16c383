"""Input that looks right but is not is refused at the gateway, naming the field, and the
refusal never grows with the bad value (issue 10, points 4 and 5)."""

from __future__ import annotations

import logging

import grpc
import pytest
from grpc_status import rpc_status

from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from stack.client import field_violations
from tests.e2e.stacks import SPECIMEN, ProcessStack, Stack

ARABIC_INDIC_DOB = "١٩٧٤-٠٨-١٢"
FULL_WIDTH_DOB = "１９７４-０８-１２"


def _specimen(**changes: object) -> pb.Traveller:
    traveller = pb.Traveller()
    traveller.CopyFrom(SPECIMEN)
    for name, value in changes.items():
        if name == "document_number":
            traveller.document.number = str(value)
        else:
            setattr(traveller, name, value)
    return traveller


async def _refused(call: object) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value


@pytest.mark.parametrize(
    ("traveller", "field"),
    [
        (_specimen(document_number="L898902C3\n"), "traveller.document.number"),
        (_specimen(date_of_birth=ARABIC_INDIC_DOB), "traveller.date_of_birth"),
        (_specimen(date_of_birth=FULL_WIDTH_DOB), "traveller.date_of_birth"),
        (_specimen(date_of_birth="1974-08-12\n"), "traveller.date_of_birth"),
        (_specimen(surname="ERIKSSON\u202e"), "traveller.surname"),
        (_specimen(nationality="UTO\n"), "traveller.nationality"),
    ],
    ids=["document-newline", "arabic-indic-dob", "full-width-dob", "dob-newline", "bidi", "nl"],
)
async def test_a_value_that_only_looks_right_is_invalid_argument(
    client: border_check_pb2_grpc.BorderCheckStub, traveller: pb.Traveller, field: str
) -> None:
    request = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=traveller)
    error = await _refused(client.Check(request, timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(error)] == [field]


async def test_a_crossing_date_with_a_newline_is_refused_before_ees(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    request = pb.RecordCrossingRequest(
        traveller=SPECIMEN, direction=pb.CROSSING_DIRECTION_ENTRY, date="2026-11-30\n"
    )
    error = await _refused(client.RecordCrossing(request, timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(error)] == ["date"]


async def test_a_10_kb_bad_date_is_invalid_argument_quoting_a_short_prefix(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    request = pb.CheckRequest(
        purpose=pb.PURPOSE_BORDER_ENTRY, traveller=_specimen(date_of_birth="9" * 10_000)
    )
    error = await _refused(client.Check(request, timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    [(field, description)] = field_violations(error)
    assert field == "traveller.date_of_birth"
    assert "9" * 17 not in description and "10000 characters" in description
    assert "9" * 17 not in (error.details() or "")


async def test_many_wrong_fields_still_fit_in_the_status(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    prints = [pb.Fingerprint(position=99, template=[]) for _ in range(2000)]
    traveller = pb.Traveller(
        surname="X" * 5000,
        given_names=["1" * 500] * 10,
        date_of_birth="x" * 5000,
        biometrics=pb.Biometrics(fingerprints=prints),
    )
    request = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=traveller)
    error = await _refused(client.Check(request, timeout=10))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(error)
    assert status is not None and status.ByteSize() < 4096
    assert "traveller.surname" in [f for f, _ in field_violations(error)]


async def test_undecodable_bodies_are_invalid_argument_with_one_log_line_each(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    bodies = [b"\xff" * n for n in range(1, 8)] + [b"\x0a\x05ab", b"\x12\x80\x80\x80\x80\x10"]
    with caplog.at_level(logging.WARNING):
        async with grpc.aio.insecure_channel(stack.target) as channel:
            for method in ("Check", "CheckStream", "RecordCrossing"):
                for body in bodies:
                    error = await _refused(_raw_call(channel, method, body))
                    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, method
                    assert [f for f, _ in field_violations(error)] == ["request"]
    log = _gateway_log(stack, caplog)
    assert log.count("is not a valid request; refused") == 3 * len(bodies)
    assert "Traceback" not in log and "DecodeError" not in log


async def _raw_call(channel: grpc.aio.Channel, method: str, body: bytes) -> object:
    path = f"/interop.v1.BorderCheck/{method}"
    if method == "CheckStream":
        return [response async for response in channel.unary_stream(path)(body, timeout=10)]
    return await channel.unary_unary(path)(body, timeout=10)


def _gateway_log(stack: Stack, caplog: pytest.LogCaptureFixture) -> str:
    if isinstance(stack, ProcessStack):
        return (stack.logs / "gateway.log").read_text(errors="replace")
    return caplog.text
