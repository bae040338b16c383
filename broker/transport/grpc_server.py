"""The gRPC server lifecycle shared by the gateway and the mock systems.

Every server we run answers grpc.health.v1 (so probes and load balancers work) and
server reflection (so grpcurl works without the protos), binds to the address it is
given and stops gracefully: in-flight checks get `grace` seconds to finish. A `CallGuard`
sees every call first (undecodable bodies, and the server's rules on who may call what).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from broker.transport.call_guard import CallGuard

log = logging.getLogger(__name__)

# gRPC's own cap; requests between the validator's limit and this are refused with
# INVALID_ARGUMENT naming the largest field, above it gRPC answers RESOURCE_EXHAUSTED.
GRPC_MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Service:
    """A servicer, the function that registers it, and its full name for reflection/health."""

    name: str
    register: Callable[[grpc.aio.Server], None]


class GrpcServer:
    def __init__(
        self,
        listen: str,
        services: Sequence[Service],
        credentials: grpc.ServerCredentials | None = None,
        guard: CallGuard | None = None,
    ) -> None:
        self._server = grpc.aio.server(
            interceptors=[guard or CallGuard()],
            options=[
                ("grpc.max_receive_message_length", GRPC_MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", GRPC_MAX_MESSAGE_BYTES),
                ("grpc.so_reuseport", 0),
            ],
        )
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        for service in services:
            service.register(self._server)
        names = [s.name for s in services]
        reflection.enable_server_reflection(
            [
                *names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            self._server,
        )
        self._names = names
        self._listen = listen
        try:
            if credentials is None:
                self.port = self._server.add_insecure_port(listen)
            else:
                self.port = self._server.add_secure_port(listen, credentials)
        except RuntimeError:
            self.port = 0
        if self.port == 0:
            raise OSError(f"cannot listen on {listen}: address in use or not allowed")

    async def start(self) -> None:
        await self._server.start()

    @property
    def address(self) -> str:
        """HOST:PORT it listens on, with the port it got when given port 0."""
        return f"{self._listen.rpartition(':')[0]}:{self.port}"

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ["", *self._names]:
            await self.health.set(name, status)

    async def stop(self, grace: float = 2.0) -> None:
        await self.set_serving(False)
        await self._server.stop(grace)


def listened_on(addresses: Iterable[str]) -> list[str]:
    """Those of `addresses` (HOST:PORT) where another program listens now. A look before
    a slow start-up, so that a clash is said at once; binding still decides."""
    return [address for address in addresses if _listened_on(address)]


def _listened_on(address: str) -> bool:
    host, _, port = address.rpartition(":")
    if port == "0":
        return False
    try:
        found = socket.getaddrinfo(host.strip("[]"), int(port), type=socket.SOCK_STREAM)
    except (OSError, ValueError):
        return False  # not an address to bind: the server says so when it tries
    family, kind, proto, _, where = found[0]
    with socket.socket(family, kind, proto) as probe:
        # As gRPC binds: connections of a stopped server in TIME_WAIT do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


async def wait_for_shutdown_signal() -> None:
    """Return on SIGINT or SIGTERM, so a process stops cleanly under systemd or Ctrl-C."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutdown requested")
