"""How the stack's gRPC links are secured: mTLS from one certificate directory, or
plaintext when asked for explicitly, and then on loopback addresses only.

With a certificate directory every link is mutual TLS: the gateway, each mock's service
and MockControl serve `server.pem`; terminals, adapters and test tools present their own
client certificate (`<name>.pem`). Plaintext carries personal data in clear and makes
every caller the same, so it needs `--insecure`, and even then an address that another
machine could reach (0.0.0.0, a LAN address, a host name) is refused.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

import grpc

from broker.transport.tls import CA_NAME, channel_credentials, server_credentials

LOOPBACK_NAMES = frozenset({"localhost"})


def dial(target: str, credentials: grpc.ChannelCredentials | None) -> grpc.aio.Channel:
    """A channel to `target`: mutual TLS with `credentials`, plaintext without."""
    if credentials is None:
        return grpc.aio.insecure_channel(target)
    return grpc.aio.secure_channel(target, credentials)


# gRPC's text for a call that reached no server: "failed to connect to all addresses; last
# error: UNKNOWN: ipv4:127.0.0.1:50051: Failed to connect to remote host: Connection refused".
_CONNECT_FAILURE = re.compile(r"failed to connect to all addresses.*?ipv[46]:(\S+?): .*: (.+)$")


def connect_failure(error: grpc.aio.AioRpcError) -> tuple[str, str] | None:
    """(address, reason) when the call never reached a server; None when it did."""
    if error.code() != grpc.StatusCode.UNAVAILABLE:
        return None
    failed = _CONNECT_FAILURE.search(error.details() or "")
    return (failed[1], failed[2]) if failed else None


class InsecureLink(Exception):
    """A link the settings would leave open: plaintext without --insecure, or off loopback."""


def is_loopback(address: str) -> bool:
    """Whether `HOST:PORT` (or `[IPv6]:PORT`) names this machine only."""
    host = address.rsplit(":", 1)[0].strip("[]")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Links:
    """The security of every gRPC link a process serves or dials."""

    tls_dir: Path | None
    insecure: bool = False

    def __post_init__(self) -> None:
        if self.tls_dir is not None and self.insecure:
            raise InsecureLink("--insecure and a TLS directory exclude each other: choose one")
        if self.tls_dir is None and not self.insecure:
            raise InsecureLink(
                "no TLS directory (INTEROP_TLS_DIR): give one for mTLS, or pass --insecure "
                "to run in plaintext on loopback addresses"
            )

    @property
    def tls(self) -> bool:
        return self.tls_dir is not None

    def server(self, address: str) -> grpc.ServerCredentials | None:
        """Credentials to serve on `address` with (None: plaintext, loopback only)."""
        if self.tls_dir is None:
            self._check_loopback(address, "listen on")
            return None
        return server_credentials(self.tls_dir)

    def client(self, address: str, name: str) -> grpc.ChannelCredentials | None:
        """Credentials to dial `address` as client certificate `name` (None: plaintext)."""
        if self.tls_dir is None:
            self._check_loopback(address, "connect to")
            return None
        directory = self.tls_dir
        return channel_credentials(
            directory / f"{CA_NAME}.pem", directory / f"{name}.pem", directory / f"{name}.key"
        )

    @staticmethod
    def _check_loopback(address: str, verb: str) -> None:
        if not is_loopback(address):
            raise InsecureLink(
                f"refusing to {verb} {address} in plaintext: --insecure is for loopback "
                "addresses only (127.0.0.1, ::1, localhost); use INTEROP_TLS_DIR for mTLS"
            )
