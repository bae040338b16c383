"""The network-cutting proxy, in front of a plain echo server."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator

import pytest

from loadtest.netcut import Address, Forward, Mode, Proxy, apply, send
from tests.fixtures.kafka import _free_ports

QUIET_S = 0.3


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    writer.close()


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    server.close()


@pytest.fixture
async def proxy(echo_port: int) -> AsyncIterator[Proxy]:
    proxy = Proxy(Forward(Address("127.0.0.1", 0), Address("127.0.0.1", echo_port)))
    await proxy.start()
    yield proxy
    await proxy.close()


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def _echoes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> bytes:
    writer.write(data)
    await writer.drain()
    return await asyncio.wait_for(reader.readexactly(len(data)), 2)


async def _silent(reader: asyncio.StreamReader) -> bool:
    try:
        await asyncio.wait_for(reader.read(1), QUIET_S)
    except TimeoutError:
        return True
    return False


async def test_forwards_both_ways(proxy: Proxy) -> None:
    reader, writer = await _connect(proxy.port)
    assert await _echoes(reader, writer, b"ping") == b"ping"
    assert await _echoes(reader, writer, b"x" * 200_000) == b"x" * 200_000
    writer.close()


async def test_hold_passes_nothing_and_loses_nothing(proxy: Proxy) -> None:
    reader, writer = await _connect(proxy.port)
    assert await _echoes(reader, writer, b"before") == b"before"
    proxy.cut(Mode.HOLD)
    writer.write(b"during")
    late_reader, late_writer = await _connect(proxy.port)  # accepted, not forwarded
    late_writer.write(b"new")
    assert await _silent(reader)
    assert await _silent(late_reader)
    proxy.restore()
    assert await asyncio.wait_for(reader.readexactly(6), 2) == b"during"
    assert await asyncio.wait_for(late_reader.readexactly(3), 2) == b"new"
    writer.close()
    late_writer.close()


async def test_drop_resets_connections_until_restored(proxy: Proxy) -> None:
    reader, writer = await _connect(proxy.port)
    assert await _echoes(reader, writer, b"before") == b"before"
    proxy.cut(Mode.DROP)
    with pytest.raises(ConnectionResetError):
        await _echoes(reader, writer, b"during")
    refused_reader, refused_writer = await _connect(proxy.port)
    with pytest.raises(ConnectionResetError):
        await _echoes(refused_reader, refused_writer, b"new")
    assert proxy.connections == 0
    proxy.restore()
    reader, writer = await _connect(proxy.port)
    assert await _echoes(reader, writer, b"after") == b"after"
    writer.close()


async def test_a_drop_also_resets_held_connections(proxy: Proxy) -> None:
    proxy.cut(Mode.HOLD)
    reader, writer = await _connect(proxy.port)
    writer.write(b"held")
    await asyncio.sleep(0.05)
    assert proxy.connections == 1
    proxy.cut(Mode.DROP)
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(reader.read(1), 2)
    await asyncio.sleep(0.05)
    assert proxy.connections == 0


async def test_control_commands_choose_mode_and_port(proxy: Proxy) -> None:
    assert " drop, " in apply("cut drop", [proxy])
    assert " drop, " in apply(f"restore {proxy.port + 1}", [proxy]), "another port's proxy"
    assert apply(f"restore {proxy.port}", [proxy]).endswith(
        f"{proxy.port} -> {proxy.forward.target} open, connections: 0"
    )
    assert apply("cut sideways", [proxy]).startswith("error")
    assert apply("open", [proxy]).startswith("error")


async def test_command_line_proxy_obeys_signals_and_its_control_port(echo_port: int) -> None:
    listen, control = _free_ports(2)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loadtest.netcut",
        "serve",
        f"--forward={listen}={echo_port}",
        f"--control=127.0.0.1:{control}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        banner = await asyncio.wait_for(process.stdout.readline(), 10)
        assert f"127.0.0.1:{listen} -> 127.0.0.1:{echo_port}" in banner.decode()
        reader, writer = await _connect(listen)
        assert await _echoes(reader, writer, b"one") == b"one"
        process.send_signal(signal.SIGUSR1)
        await asyncio.sleep(0.1)
        writer.write(b"two")
        assert await _silent(reader)
        process.send_signal(signal.SIGUSR2)
        assert await asyncio.wait_for(reader.readexactly(3), 2) == b"two"
        reply = await send(Address("127.0.0.1", control), "cut drop")
        assert reply.startswith("ok ") and " drop, " in reply
        with pytest.raises(ConnectionResetError):
            await _echoes(reader, writer, b"three")
        assert "open" in await send(Address("127.0.0.1", control), "restore")
    finally:
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
