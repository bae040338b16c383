from __future__ import annotations

import ipaddress
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from broker.transport.tls import (
    channel_credentials,
    generate_dev_pki,
    peer_identity,
    server_credentials,
)

TERMINAL = "terminal-fra-1"
CLIENTS = [(TERMINAL, "Bundespolizei"), ("terminal-mad-2", "Policia Nacional")]
WHOAMI = "/interop.test.Whoami/Get"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki")
    generate_dev_pki(directory, CLIENTS)
    return directory


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another CA issuing a certificate with the very same common name."""
    directory = tmp_path_factory.mktemp("other-pki")
    generate_dev_pki(directory, [(TERMINAL, "Bundespolizei")])
    return directory


async def _whoami(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
    return (peer_identity(context.auth_context()) or "").encode()


@pytest.fixture
async def port(pki: Path) -> AsyncIterator[int]:
    server = grpc.aio.server()
    health_pb2_grpc.add_HealthServicer_to_server(health.HealthServicer(), server)
    whoami = grpc.unary_unary_rpc_method_handler(_whoami)
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler("interop.test.Whoami", {"Get": whoami}),)
    )
    bound = server.add_secure_port("127.0.0.1:0", server_credentials(pki))
    await server.start()
    yield bound
    await server.stop(None)


async def _check(port: int, credentials: grpc.ChannelCredentials) -> tuple[int, str]:
    async with grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials) as channel:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=5
        )
        name: bytes = await channel.unary_unary(WHOAMI)(b"", timeout=5)
    return reply.status, name.decode()


def _client(directory: Path, name: str = TERMINAL) -> tuple[Path, Path]:
    return directory / f"{name}.pem", directory / f"{name}.key"


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


async def test_client_with_valid_certificate_is_served_and_identified(port: int, pki: Path) -> None:
    status, name = await _check(port, channel_credentials(pki / "ca.pem", *_client(pki)))
    assert status == health_pb2.HealthCheckResponse.SERVING
    assert name == TERMINAL


async def test_client_without_certificate_is_rejected(port: int, pki: Path) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await _check(port, channel_credentials(pki / "ca.pem"))
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_client_certificate_from_another_ca_is_rejected(
    port: int, pki: Path, other_pki: Path
) -> None:
    credentials = channel_credentials(pki / "ca.pem", *_client(other_pki))
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await _check(port, credentials)
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


async def test_client_refuses_a_server_from_another_ca(port: int, other_pki: Path) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await _check(port, channel_credentials(other_pki / "ca.pem", *_client(other_pki)))
    assert failure.value.code() == grpc.StatusCode.UNAVAILABLE


def test_files_are_written_with_private_keys_owner_only(pki: Path) -> None:
    names = {"ca", "server", *(cn for cn, _ in CLIENTS)}
    assert {p.name for p in pki.iterdir()} == {
        f"{n}.{ext}" for n in names for ext in ("pem", "key")
    }
    for key in pki.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_server_certificate_verifies_for_loopback_ip_and_localhost(pki: Path) -> None:
    store = Store([_cert(pki / "ca.pem")])
    leaf = _cert(pki / "server.pem")
    for subject in (x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost")):
        PolicyBuilder().store(store).build_server_verifier(subject).verify(leaf, [])
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_client_certificate_names_the_terminal_and_its_organisation(pki: Path) -> None:
    leaf = _cert(pki / f"{TERMINAL}.pem")
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == TERMINAL
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
        "Bundespolizei"
    )
    assert leaf.issuer == _cert(pki / "ca.pem").subject
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert 365 <= lifetime.days <= 366


def test_generation_is_idempotent_adds_clients_and_force_replaces_the_ca(tmp_path: Path) -> None:
    generate_dev_pki(tmp_path, CLIENTS[:1])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    generate_dev_pki(tmp_path, CLIENTS)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert {k: after[k] for k in before} == before
    assert "terminal-mad-2.pem" in after

    generate_dev_pki(tmp_path, CLIENTS, force=True)
    assert (tmp_path / "ca.pem").read_bytes() != before["ca.pem"]
    assert _cert(tmp_path / f"{TERMINAL}.pem").issuer == _cert(tmp_path / "ca.pem").subject


@pytest.mark.parametrize("name", ["../escape", "server", "ca", "", "a/b"])
def test_unsafe_client_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="common name"):
        generate_dev_pki(tmp_path, [(name, "Org")])


def test_client_certificate_needs_its_key(pki: Path) -> None:
    with pytest.raises(ValueError, match="both"):
        channel_credentials(pki / "ca.pem", pki / f"{TERMINAL}.pem", None)


def test_peer_identity_is_none_without_a_client_certificate() -> None:
    assert peer_identity({}) is None
    assert peer_identity({"transport_security_type": [b"insecure"]}) is None
    assert peer_identity({"x509_common_name": [b"terminal-x"]}) == "terminal-x"
