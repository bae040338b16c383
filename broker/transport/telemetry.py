"""A process's metrics: one registry, what to read just before a scrape, and the HTTP
endpoint that serves them in the Prometheus text format (off unless asked; loopback only).

The endpoint runs on the event loop, so that a refresh can read what only the loop can
read (a consumer's lag) and no other thread reads the parts' state while the loop
changes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder

log = logging.getLogger(__name__)

Refresh = Callable[[], Awaitable[None]]
# A scraper that sends no complete request within this long is dropped.
REQUEST_TIMEOUT_S = 5.0
MAX_HEADER_LINES = 100
PATHS = frozenset({"/", "/metrics"})


def _process_registry() -> CollectorRegistry:
    """A registry with the process's own figures (CPU, memory, garbage collection)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


@dataclass(frozen=True)
class Telemetry:
    registry: CollectorRegistry = field(default_factory=_process_registry)
    refreshes: list[Refresh] = field(default_factory=list)

    async def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics, read fresh, in the format `accept` asks for, and its content type."""
        for refresh in list(self.refreshes):
            await refresh()
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type


def loopback_listen(text: str) -> tuple[str, int]:
    """(host, port) of `HOST:PORT` on a loopback address; ValueError saying why not. The
    metrics tell how the stack is used and are served without TLS or authentication."""
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    try:
        number = int(port)
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise ValueError(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:9464") from None
    if not sep or not 0 <= number <= 65535:
        raise ValueError(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:9464")
    if not loopback:
        raise ValueError(f"{text!r}: metrics are served on loopback only (127.0.0.1, ::1)")
    return host, number


class MetricsEndpoint:
    """`GET /metrics` (or `/`) on `listen`; port 0 takes a free one (see `port`)."""

    def __init__(self, telemetry: Telemetry, listen: str) -> None:
        self._telemetry = telemetry
        self._host, self._port = loopback_listen(listen)
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() first"
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}/metrics"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                method, path, headers = await _request(reader)
            if method != "GET":
                await _respond(writer, "405 Method Not Allowed", b"GET only\n")
            elif path.split("?")[0] not in PATHS:
                await _respond(writer, "404 Not Found", b"metrics are at /metrics\n")
            else:
                body, content_type = await self._telemetry.exposition(headers.get("accept", ""))
                await _respond(writer, "200 OK", body, content_type)
        except (TimeoutError, ConnectionError, ValueError) as error:
            log.debug("metrics request dropped: %s", error)
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def _request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str]]:
    """Method, path and headers (names in lower case) of one HTTP/1.x request."""
    method, path, _ = (await reader.readline()).decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        line = (await reader.readline()).decode("latin-1").strip()
        if not line:
            return method, path, headers
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    raise ValueError("too many header lines")


async def _respond(
    writer: asyncio.StreamWriter,
    status: str,
    body: bytes,
    content_type: str = "text/plain; charset=utf-8",
) -> None:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
    await writer.drain()


@contextlib.asynccontextmanager
async def serving(telemetry: Telemetry, listen: str) -> AsyncIterator[MetricsEndpoint]:
    """`telemetry` served on `listen` while in the block."""
    # A `_created` series per counter and histogram would double what is sent; no one
    # here reads them (process-wide, and the process serves one endpoint).
    disable_created_metrics()  # type: ignore[no-untyped-call]
    endpoint = MetricsEndpoint(telemetry, listen)
    await endpoint.start()
    log.info("metrics on %s", endpoint.url)
    try:
        yield endpoint
    finally:
        await endpoint.stop()
