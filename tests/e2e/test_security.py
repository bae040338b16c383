"""Who may ask what: mTLS identities, profiles, and systems outside a profile."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio

from broker.transport.tls import channel_credentials, generate_dev_pki
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from interop.v1 import systems_pb2 as s
from stack import bootstrap as stack
from tests.e2e.stacks import SPECIMEN, in_process_settings

CLIENTS = [("terminal-1", "Border Guard"), ("visa-desk", "Consulate"), ("stranger", "Nobody")]


@pytest_asyncio.fixture(scope="module")
async def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    generate_dev_pki(directory, CLIENTS)
    return directory


@pytest_asyncio.fixture(scope="module")
async def target(pki: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    settings = in_process_settings(
        tmp_path_factory.mktemp("state"),
        tls_dir=str(pki),
        clients=("terminal-1=border-guard", "visa-desk=visa-authority"),
    )
    async with stack.whole_stack(settings):
        yield settings.gateway_listen


def _stub(
    pki: Path, target: str, name: str | None
) -> tuple[grpc.aio.Channel, border_check_pb2_grpc.BorderCheckStub]:
    cert = (pki / f"{name}.pem") if name else None
    key = (pki / f"{name}.key") if name else None
    channel = grpc.aio.secure_channel(target, channel_credentials(pki / "ca.pem", cert, key))
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
