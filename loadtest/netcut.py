"""A loopback TCP proxy that cuts the network on demand, for fault tests against Kafka.

    python -m loadtest.netcut serve --forward 19092=29092 --control 127.0.0.1:19099
    deploy/kafka/kafka.sh start --port 29092 --advertised-port 19092   # clients use :19092
    kill -USR1 PID        # cut (hold), SIGUSR2 restores
    python -m loadtest.netcut ctl 127.0.0.1:19099 cut drop

Each `--forward LISTEN=TARGET` forwards a loopback port to a target. A cut is one of:

- `hold` (a blackhole, the default): nothing passes in either direction; connections stay
  open and new ones are accepted but not forwarded. On restore everything flows on, as TCP
  does when a partition heals: no byte is lost, so the Kafka protocol stream stays intact.
- `drop` (the far side is gone): every connection is reset and new ones are reset at once.

Kafka clients connect to the addresses the brokers advertise, so the broker must advertise
the proxy's port (kafka.sh `--advertised-port`/`--advertised-ports`) for a cut to reach all
its traffic. In-process: `Proxy(Forward(...))`, `await start()`, `cut(Mode.HOLD)`,
`restore()`, `await close()`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import os
import signal
import socket
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass

CHUNK_BYTES = 64 * 1024
COMMANDS = "cut [hold|drop] [PORT], restore [PORT], status"


class Mode(enum.Enum):
    OPEN = "open"
    HOLD = "hold"
    DROP = "drop"


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        """`HOST:PORT`, or a bare port on 127.0.0.1."""
        host, _, port = text.rpartition(":")
        return cls(host or "127.0.0.1", int(port))

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Forward:
    listen: Address
    target: Address

    @classmethod
    def parse(cls, text: str) -> Forward:
        """`LISTEN=TARGET`, each `HOST:PORT` or a port on 127.0.0.1."""
        listen, sep, target = text.partition("=")
        if not sep:
            raise ValueError(f"expected LISTEN=TARGET, got {text!r}")
        return cls(Address.parse(listen), Address.parse(target))


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST rather than a FIN, as a vanished peer or a firewall would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class Proxy:
    """Forwards one listen address to one target until cut."""

    def __init__(self, forward: Forward) -> None:
        self.forward = forward
        self.mode = Mode.OPEN
        self._open = asyncio.Event()
        self._open.set()
        # Each connection's relay task and its sockets (the client's, then the target's).
        self._relays: dict[asyncio.Task[None], list[asyncio.StreamWriter]] = {}
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one the OS chose when asked for port 0)."""
        if self._server is None:
            raise RuntimeError("proxy not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def connections(self) -> int:
        return len(self._relays)

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.forward.listen.host, self.forward.listen.port
        )

    def cut(self, mode: Mode = Mode.HOLD) -> None:
        if mode is Mode.OPEN:
            raise ValueError("a cut is hold or drop; restore() opens")
        self.mode = mode
        self._open.clear()
        if mode is Mode.DROP:
            self._reset_all()

    def restore(self) -> None:
        self.mode = Mode.OPEN
        self._open.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self._reset_all()
        if self._server is not None:
            await self._server.wait_closed()

    def describe(self) -> str:
        return (
            f"{self.forward.listen.host}:{self.port} -> {self.forward.target} "
            f"{self.mode.value}, connections: {self.connections}"
        )

    def _reset_all(self) -> None:
        for relay, writers in list(self._relays.items()):
            for writer in writers:
                _reset(writer)
            relay.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode is Mode.DROP:
            _reset(writer)
            return
        writers = [writer]
        relay = asyncio.create_task(self._relay(reader, writers))
        self._relays[relay] = writers
        # A dropped connection's relay is cancelled: that ends this callback, not as an error.
        await asyncio.wait({relay})
        self._relays.pop(relay, None)

    async def _relay(
        self, reader: asyncio.StreamReader, writers: list[asyncio.StreamWriter]
    ) -> None:
        client = writers[0]
        try:
            # Held: accepted by the kernel, but not forwarded until the cut heals.
            await self._open.wait()
            target = self.forward.target
            upstream_reader, upstream = await asyncio.open_connection(target.host, target.port)
        except OSError:
            _reset(client)  # the target refuses: so does the proxy
            return
        writers.append(upstream)
        try:
            async with asyncio.TaskGroup() as pumps:
                pumps.create_task(self._pump(reader, upstream))
                pumps.create_task(self._pump(upstream_reader, client))
        except* OSError:
            _reset(client)
            _reset(upstream)
        finally:
            client.close()
            upstream.close()

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Copy one direction; waits while cut, before reading and again before writing."""
        while True:
            await self._open.wait()
            data = await source.read(CHUNK_BYTES)
            if not data:
                break
            await self._open.wait()
            sink.write(data)
            await sink.drain()
        if sink.can_write_eof() and not sink.is_closing():
            sink.write_eof()


def apply(command: str, proxies: Sequence[Proxy]) -> str:
    """Run one control command (see COMMANDS); PORT picks one proxy, else all are meant."""
    verb, *rest = command.split() or ["status"]
    mode = Mode.HOLD
    ports: set[int] = set()
    for word in rest:
        if word.isdigit():
            ports.add(int(word))
        elif verb == "cut" and word in (Mode.HOLD.value, Mode.DROP.value):
            mode = Mode(word)
        else:
            return f"error: unexpected {word!r} (commands: {COMMANDS})"
    chosen = [p for p in proxies if not ports or p.port in ports]
    if verb == "cut":
        for proxy in chosen:
            proxy.cut(mode)
    elif verb == "restore":
        for proxy in chosen:
            proxy.restore()
    elif verb != "status":
        return f"error: unknown command {verb!r} (commands: {COMMANDS})"
    return "ok " + "; ".join(p.describe() for p in proxies)


async def _control(proxies: Sequence[Proxy], address: Address) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                reply = apply(line.decode(errors="replace"), proxies)
                _say(f"control: {line.decode(errors='replace').strip()} -> {reply}")
                writer.write(reply.encode() + b"\n")
                await writer.drain()
        finally:
            writer.close()

    return await asyncio.start_server(handle, address.host, address.port)


def _say(text: str) -> None:
    print(f"netcut: {text}", file=sys.stderr, flush=True)


async def serve(forwards: Sequence[Forward], control: Address | None) -> None:
    """Run the proxies until SIGTERM or SIGINT; SIGUSR1 cuts (hold), SIGUSR2 restores."""
    proxies = [Proxy(f) for f in forwards]
    for proxy in proxies:
        await proxy.start()
    control_server = await _control(proxies, control) if control is not None else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = {
        signal.SIGUSR1: lambda: _say(apply("cut hold", proxies)),
        signal.SIGUSR2: lambda: _say(apply("restore", proxies)),
        signal.SIGTERM: stop.set,
        signal.SIGINT: stop.set,
    }
    for number, handler in signals.items():
        loop.add_signal_handler(number, handler)
    pid = os.getpid()
    routes = ", ".join(f"{p.forward.listen.host}:{p.port} -> {p.forward.target}" for p in proxies)
    where = f"; control {control}" if control is not None else ""
    # stdout carries this one line so that a script can wait for it.
    print(
        f"netcut: {routes} (pid {pid}; cut: kill -USR1 {pid}, restore: kill -USR2 {pid}{where})",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        if control_server is not None:
            control_server.close()
        for proxy in proxies:
            await proxy.close()


async def send(address: Address, command: str) -> str:
    """Send one control command to a running `netcut serve` and return its answer."""
    reader, writer = await asyncio.open_connection(address.host, address.port)
    try:
        writer.write(command.encode() + b"\n")
        await writer.drain()
        return (await reader.readline()).decode().strip()
    finally:
        writer.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.netcut",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("serve", help="run the proxy until SIGTERM or Ctrl-C")
    run.add_argument(
        "--forward",
        action="append",
        required=True,
        type=Forward.parse,
        metavar="LISTEN=TARGET",
        help="forward LISTEN to TARGET, each HOST:PORT or a loopback port (repeatable)",
    )
    run.add_argument(
        "--control",
        type=Address.parse,
        metavar="HOST:PORT",
        help=f"also take commands here, one per line: {COMMANDS}",
    )
    ctl = commands.add_parser("ctl", help="send one command to a running proxy's control port")
    ctl.add_argument("address", type=Address.parse, metavar="HOST:PORT")
    ctl.add_argument("words", nargs="+", metavar="WORD", help=COMMANDS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        asyncio.run(serve(args.forward, args.control))
        return 0
    reply = asyncio.run(send(args.address, " ".join(args.words)))
    print(reply)
    return 0 if reply.startswith("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
