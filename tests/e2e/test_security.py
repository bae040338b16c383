"""Who may do what on a stack running with mTLS: identities, profiles, rights per action
(issue 10, point 3), and certificates outside their validity."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio

from broker.domain.profiles import adapter_identity
from broker.transport.tls import channel_credentials, generate_dev_pki, issue_client_certificate
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from interop.v1 import systems_pb2 as s
from stack import bootstrap as stack
from stack.settings import Settings
from systems import REGISTRY
from tests.e2e.stacks import SPECIMEN, in_process_settings

CLIENTS = [
    ("terminal-1", "Border Guard"),
    ("visa-desk", "Consulate"),
    ("patrol", "Police"),
    ("tester", "Test team"),
    ("stranger", "Nobody"),
    *((adapter_identity(name), "interop adapters") for name in REGISTRY.names),
]
PROFILES = (
    "terminal-1=border-guard",
    "visa-desk=visa-authority",
    "patrol=police",
    "tester=test-team",
    "expired=border-guard",
    "not-yet-valid=border-guard",
)


@pytest_asyncio.fixture(scope="module")
async def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    generate_dev_pki(directory, CLIENTS)
    now = dt.datetime.now(dt.UTC)
    day = dt.timedelta(days=1)
    issue_client_certificate(directory, "expired", "Border Guard", now - 10 * day, now - day)
    issue_client_certificate(directory, "not-yet-valid", "Border Guard", now + day, now + 10 * day)
    return directory


@pytest_asyncio.fixture(scope="module")
async def settings(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    settings = in_process_settings(
        tmp_path_factory.mktemp("state"), tls_dir=str(pki), clients=PROFILES
    )
    async with stack.whole_stack(settings) as running:
        yield settings.with_overrides(
            gateway_listen=running.target, mock_addresses=running.mock_addresses
        )


@pytest.fixture(scope="module")
def target(settings: Settings) -> str:
    return settings.gateway_listen


def _secure(pki: Path, target: str, name: str | None) -> grpc.aio.Channel:
    cert = (pki / f"{name}.pem") if name else None
    key = (pki / f"{name}.key") if name else None
    return grpc.aio.secure_channel(target, channel_credentials(pki / "ca.pem", cert, key))


def _stub(
    pki: Path, target: str, name: str | None
) -> tuple[grpc.aio.Channel, border_check_pb2_grpc.BorderCheckStub]:
    channel = _secure(pki, target, name)
    return channel, border_check_pb2_grpc.BorderCheckStub(channel)


def _request(purpose: int, systems: list[int] | None = None) -> pb.CheckRequest:
    return pb.CheckRequest(purpose=purpose, traveller=SPECIMEN, systems=systems or [])  # type: ignore[arg-type]


async def test_a_registered_terminal_gets_its_report(pki: Path, target: str) -> None:
    channel, stub = _stub(pki, target, "terminal-1")
    async with channel:
        report = await stub.Check(_request(pb.PURPOSE_BORDER_ENTRY), timeout=10)
    assert report.verdict == pb.VERDICT_HIT
    # Every system the border guard may ask on entry: Eurodac is not one of them.
    assert len(report.outcomes) == 4


async def test_an_unregistered_certificate_is_unauthenticated(pki: Path, target: str) -> None:
    channel, stub = _stub(pki, target, "stranger")
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Check(_request(pb.PURPOSE_BORDER_ENTRY), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_no_client_certificate_is_refused(pki: Path, target: str) -> None:
    channel, stub = _stub(pki, target, None)
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Check(_request(pb.PURPOSE_BORDER_ENTRY), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_systems_outside_the_profile_are_not_permitted(pki: Path, target: str) -> None:
    channel, stub = _stub(pki, target, "visa-desk")
    async with channel:
        report = await stub.Check(
            _request(pb.PURPOSE_VISA_APPLICATION, [s.SYSTEM_VIS, s.SYSTEM_EURODAC]), timeout=10
        )
    status = {o.system: o.status for o in report.outcomes}
    assert status == {
        s.SYSTEM_VIS: pb.OUTCOME_STATUS_ANSWERED,
        s.SYSTEM_EURODAC: pb.OUTCOME_STATUS_NOT_PERMITTED,
    }
    assert {h.system for h in report.hits} == {s.SYSTEM_VIS}
    # The visa is information only; a requested system left unasked is never "clear".
    assert report.verdict == pb.VERDICT_INCOMPLETE


async def test_a_purpose_outside_the_profile_is_permission_denied(pki: Path, target: str) -> None:
    channel, stub = _stub(pki, target, "visa-desk")
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Check(_request(pb.PURPOSE_BORDER_ENTRY), timeout=10)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def _crossing() -> pb.RecordCrossingRequest:
    return pb.RecordCrossingRequest(traveller=SPECIMEN, direction=pb.CROSSING_DIRECTION_ENTRY)


@pytest.mark.parametrize("name", ["visa-desk", "patrol"])
async def test_only_border_guards_record_crossings(pki: Path, target: str, name: str) -> None:
    channel, stub = _stub(pki, target, name)
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.RecordCrossing(_crossing(), timeout=10)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "may not write to EES" in (caught.value.details() or "")


async def test_a_border_guard_records_a_crossing(pki: Path, target: str) -> None:
    channel, stub = _stub(pki, target, "terminal-1")
    async with channel:
        response = await stub.RecordCrossing(_crossing(), timeout=10)
    assert response.outcome.status == pb.OUTCOME_STATUS_ANSWERED


@pytest.mark.parametrize("name", ["expired", "not-yet-valid"])
async def test_a_certificate_outside_its_validity_is_refused(
    pki: Path, target: str, name: str
) -> None:
    channel, stub = _stub(pki, target, name)
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Check(_request(pb.PURPOSE_BORDER_ENTRY), timeout=10)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


async def _list_calls(channel: grpc.aio.Channel) -> mock_pb2.ListCallsResponse:
    control = mock_pb2_grpc.MockControlStub(channel)
    calls: mock_pb2.ListCallsResponse = await control.ListCalls(
        mock_pb2.ListCallsRequest(limit=5), timeout=10
    )
    return calls


async def test_mock_control_is_not_served_in_plaintext(settings: Settings) -> None:
    async with grpc.aio.insecure_channel(settings.mock_addresses["sis"]) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await _list_calls(channel)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("tester", grpc.StatusCode.OK),
        ("terminal-1", grpc.StatusCode.PERMISSION_DENIED),
        (adapter_identity("sis"), grpc.StatusCode.UNAUTHENTICATED),
        ("stranger", grpc.StatusCode.UNAUTHENTICATED),
    ],
)
async def test_mock_control_needs_the_right_to_control_mocks(
    pki: Path, settings: Settings, name: str, code: grpc.StatusCode
) -> None:
    async with _secure(pki, settings.mock_addresses["sis"], name) as channel:
        try:
            await _list_calls(channel)
        except grpc.aio.AioRpcError as error:
            assert error.code() == code
        else:
            assert code == grpc.StatusCode.OK


@pytest.mark.parametrize(
    ("name", "allowed"),
    [(adapter_identity("sis"), True), (adapter_identity("vis"), False), ("terminal-1", False)],
)
async def test_a_mock_answers_only_the_adapters_of_its_system(
    pki: Path, settings: Settings, name: str, allowed: bool
) -> None:
    search = mock_pb2.SearchRequest(traveller=SPECIMEN)
    async with _secure(pki, settings.mock_addresses["sis"], name) as channel:
        call = channel.unary_unary(
            f"/{REGISTRY['sis'].mock.service}/Search",
            request_serializer=mock_pb2.SearchRequest.SerializeToString,
            response_deserializer=mock_pb2.SearchResponse.FromString,
        )
        try:
            found = await call(search, timeout=10)
        except grpc.aio.AioRpcError as error:
            assert not allowed and error.code() == grpc.StatusCode.PERMISSION_DENIED
        else:
            assert allowed and found.matches


def _last_record(path: Path) -> dict[str, object]:
    record: dict[str, object] = json.loads(path.read_text().splitlines()[-1])["record"]
    return record


async def test_failed_authentications_and_refused_controls_are_audited(
    pki: Path, settings: Settings
) -> None:
    channel, stub = _stub(pki, settings.gateway_listen, "stranger")
    async with channel:
        with pytest.raises(grpc.aio.AioRpcError):
            await stub.Check(_request(pb.PURPOSE_BORDER_ENTRY), timeout=10)
    record = _last_record(Path(settings.audit_path))
    assert (record["action"], record["outcome"], record["authority"]) == (
        "check",
        "unauthenticated",
        "stranger",
    )
    faults = mock_pb2.SetFaultsRequest(faults=mock_pb2.Faults())
    mock_trail = Path(settings.trail_path("mock-sis"))
    for name, outcome, profile in [
        ("terminal-1", "permission-denied", "border-guard"),
        ("tester", "ok", "test-team"),
    ]:
        async with _secure(pki, settings.mock_addresses["sis"], name) as control:
            try:
                await mock_pb2_grpc.MockControlStub(control).SetFaults(faults, timeout=10)
            except grpc.aio.AioRpcError:
                pass
        record = _last_record(mock_trail)
        assert (record["action"], record["outcome"], record["authority"], record["profile"]) == (
            "MockControl/SetFaults",
            outcome,
            name,
            profile,
        )
