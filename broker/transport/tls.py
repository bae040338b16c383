"""Certificates for mTLS between the stack's parts and their callers.

`generate_dev_pki` makes a throw-away CA with a server certificate for 127.0.0.1 (the
gateway and the mocks serve it) and one client certificate per caller: terminals, test
teams, and the adapters (which present theirs to the systems), so the whole stack (and
its tests) run with real mutual TLS rather than a plaintext shortcut that production
would not take. The client certificate's common name is the caller's identity
(`peer_identity`); the gateway and the mocks map it to a profile.

Keys are ECDSA P-256: every TLS stack accepts them and they are fast to generate.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=365)
# Tolerates a terminal whose clock is a little behind the machine that issued the cert.
BACKDATE = datetime.timedelta(minutes=5)
SERVER_NAME = "server"
CA_NAME = "ca"
_RESERVED = frozenset({SERVER_NAME, CA_NAME})
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class _Issuer:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def write_file(path: Path, data: bytes, *, private: bool) -> None:
    """Write `data` atomically; `private` files are readable by the owner only (0600).

    Atomic so that a crash never leaves a half-written key that a later idempotent run
    would take for a good one; the mode is set before any byte is written, so a secret
    is never readable by others, not even briefly.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    mode = 0o600 if private else 0o644
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "wb") as out:
        # O_CREAT's mode does not apply to a leftover temp file from an earlier crash.
        os.fchmod(out.fileno(), mode)
        out.write(data)
    os.replace(tmp, path)


def generate_dev_pki(
    directory: Path, clients: Sequence[tuple[str, str]], *, force: bool = False
) -> None:
    """Create ca.pem/ca.key, server.pem/server.key and `<cn>.pem`/`<cn>.key` per client.

    `clients` are (common_name, organisation) pairs. Existing files are kept (so the call
    is idempotent and can add a client later) unless `force`; a new CA re-issues every
    certificate, since the old ones would no longer verify.
    """
    for common_name, _ in clients:
        _check_client_name(common_name)
    directory.mkdir(parents=True, exist_ok=True)
    fresh_ca = force or not _pair_exists(directory, CA_NAME)
    issuer = _create_ca(directory) if fresh_ca else _load_ca(directory)
    if fresh_ca or not _pair_exists(directory, SERVER_NAME):
        _issue_server(directory, issuer)
    for common_name, organisation in clients:
        if fresh_ca or not _pair_exists(directory, common_name):
            _issue_client(directory, issuer, common_name, organisation, _validity())


def issue_client_certificate(
    directory: Path,
    common_name: str,
    organisation: str,
    valid_from: datetime.datetime,
    valid_until: datetime.datetime,
) -> None:
    """Issue one client certificate from the CA in `directory` for the given period
    (for example one already expired, or not yet valid, to see it refused)."""
    _check_client_name(common_name)
    _issue_client(
        directory, _load_ca(directory), common_name, organisation, (valid_from, valid_until)
    )


def server_credentials(directory: Path) -> grpc.ServerCredentials:
    """Server TLS that rejects any client without a certificate from the CA in `directory`."""
    key = (directory / f"{SERVER_NAME}.key").read_bytes()
    cert = (directory / f"{SERVER_NAME}.pem").read_bytes()
    ca = (directory / f"{CA_NAME}.pem").read_bytes()
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=ca, require_client_auth=True
    )


def channel_credentials(
    ca: Path, cert: Path | None = None, key: Path | None = None
) -> grpc.ChannelCredentials:
    """Client TLS trusting `ca`; with `cert` and `key`, the client authenticates too."""
    if (cert is None) != (key is None):
        raise ValueError("give both a client certificate and its key, or neither")
    return grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=key.read_bytes() if key is not None else None,
        certificate_chain=cert.read_bytes() if cert is not None else None,
    )


def peer_identity(auth_context: Mapping[str, Sequence[bytes]]) -> str | None:
    """The verified client certificate's common name; None for a plaintext or anonymous peer.

    Pass `context.auth_context()` of a grpc.aio servicer. gRPC only fills
    `x509_common_name` after the certificate chain verified against the server's CA.
    """
    names = auth_context.get("x509_common_name")
    if not names:
        return None
    return names[0].decode("utf-8")


def _check_client_name(common_name: str) -> None:
    # The name becomes a file name: no path separators, no clash with the CA or server files.
    if not _SAFE_NAME.fullmatch(common_name) or common_name in _RESERVED:
        raise ValueError(
            f"client common name {common_name!r} must match {_SAFE_NAME.pattern} "
            f"and not be one of {sorted(_RESERVED)}"
        )


def _pair_exists(directory: Path, name: str) -> bool:
    return (directory / f"{name}.pem").is_file() and (directory / f"{name}.key").is_file()


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


Validity = tuple[datetime.datetime, datetime.datetime]


def _validity() -> Validity:
    now = datetime.datetime.now(datetime.UTC)
    return now - BACKDATE, now + VALIDITY


def _builder(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey, validity: Validity
) -> x509.CertificateBuilder:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _create_ca(directory: Path) -> _Issuer:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name("interop dev CA", "interop-broker development")
    cert = (
        _builder(subject, subject, key, _validity())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_pair(directory, CA_NAME, key, cert)
    return _Issuer(key, cert)


def _load_ca(directory: Path) -> _Issuer:
    key = serialization.load_pem_private_key((directory / f"{CA_NAME}.key").read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{directory / CA_NAME}.key is not an EC private key")
    cert = x509.load_pem_x509_certificate((directory / f"{CA_NAME}.pem").read_bytes())
    return _Issuer(key, cert)


def _issue_server(directory: Path, issuer: _Issuer) -> None:
    alt_names = x509.SubjectAlternativeName(
        [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
    )
    _issue(
        directory,
        SERVER_NAME,
        issuer,
        _name("localhost", "interop-broker development"),
        ExtendedKeyUsageOID.SERVER_AUTH,
        alt_names,
        _validity(),
    )


def _issue_client(
    directory: Path, issuer: _Issuer, common_name: str, organisation: str, validity: Validity
) -> None:
    _issue(
        directory,
        common_name,
        issuer,
        _name(common_name, organisation),
        ExtendedKeyUsageOID.CLIENT_AUTH,
        None,
        validity,
    )


def _issue(
    directory: Path,
    file_name: str,
    issuer: _Issuer,
    subject: x509.Name,
    usage: x509.ObjectIdentifier,
    alt_names: x509.SubjectAlternativeName | None,
    validity: Validity,
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(subject, issuer.cert.subject, key, validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    )
    if alt_names is not None:
        builder = builder.add_extension(alt_names, critical=False)
    _write_pair(directory, file_name, key, builder.sign(issuer.key, hashes.SHA256()))


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_pair(
    directory: Path, name: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate
) -> None:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_file(directory / f"{name}.key", key_pem, private=True)
    write_file(
        directory / f"{name}.pem", cert.public_bytes(serialization.Encoding.PEM), private=False
    )
