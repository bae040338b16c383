"""What operators rely on: health, reflection, clear start-up errors."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from stack import cli
from tests.e2e.stacks import ROOT, Stack


async def _services(target: str) -> set[str]:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        async for response in stub.ServerReflectionInfo(iter([request]), timeout=5):
            return {s.name for s in response.list_services_response.service}
    return set()


async def test_reflection_lists_the_services(stack: Stack) -> None:
    assert {"interop.v1.BorderCheck", "grpc.health.v1.Health"} <= await _services(stack.target)
    assert {"interop.mock.v1.SisMock", "interop.mock.v1.MockControl"} <= await _services(
        stack.mock_addresses["sis"]
    )


# scripts/test builds grpcurl in the background on a first run: its log ends "exit STATUS".
GRPCURL_BUILD_LOG = ROOT / "var" / "grpcurl-build.log"
GRPCURL_BUILD_PID = ROOT / "var" / "grpcurl-build.pid"
GRPCURL_BUILD_S = 600.0


def _find_grpcurl() -> str | None:
    return shutil.which("grpcurl", path=f"{os.environ.get('PATH', '')}:{ROOT / '.cache' / 'bin'}")


def _grpcurl_build_ended() -> str | None:
    """None while scripts/test builds grpcurl; else the end of the build's log ("" when no
    build was started)."""
    if not GRPCURL_BUILD_LOG.exists():
        return ""
    lines = GRPCURL_BUILD_LOG.read_text(errors="replace").splitlines()
    tail = "\n".join(lines[-15:])
    if lines and lines[-1].startswith("exit "):
        return tail
    if not Path(f"/proc/{GRPCURL_BUILD_PID.read_text().strip()}").exists():
        return f"{tail}\n(the build was stopped)"
    return None


async def _grpcurl() -> str:
    """grpcurl's path, waiting while scripts/test builds it; skips when it is neither
    installed nor being built, fails when its build failed."""
    deadline = time.monotonic() + GRPCURL_BUILD_S
    while True:
        # The build's end first: a build that has ended has put grpcurl in place.
        ended = await asyncio.to_thread(_grpcurl_build_ended)
        found = _find_grpcurl()
        if found:
            return found
        if ended == "":
            pytest.skip("grpcurl is not installed (scripts/test builds it into .cache/bin)")
        if ended is not None:
            pytest.fail(f"building grpcurl failed ({GRPCURL_BUILD_LOG}):\n{ended}")
        if time.monotonic() > deadline:
            pytest.fail(f"grpcurl still building after {GRPCURL_BUILD_S:.0f} s")
        await asyncio.sleep(1)


async def test_grpcurl_lists_the_services(stack: Stack) -> None:
    process = await asyncio.create_subprocess_exec(
        await _grpcurl(), "-plaintext", stack.target, "list", stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert "interop.v1.BorderCheck" in output.decode().split()


async def test_health_reports_serving_per_service(stack: Stack) -> None:
    async with grpc.aio.insecure_channel(stack.target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for service in ("", "interop.v1.BorderCheck"):
            response = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert response.status == health_pb2.HealthCheckResponse.SERVING
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Check(health_pb2.HealthCheckRequest(service="nope"), timeout=5)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def _run(
    *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stack.cli",
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        # A part that should have refused to start is serving: stop it, then fail.
        process.kill()
        await process.wait()
        raise
    return process.returncode or 0, output.decode()


@pytest.fixture
def nobody() -> Iterator[str]:
    """An address where nothing listens (bound and held, so nothing else can listen)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{held.getsockname()[1]}"


async def test_unreachable_kafka_is_a_clear_error_and_a_non_zero_exit(nobody: str) -> None:
    code, output = await _run(
        "serve", "gateway", "--bus", "kafka", "--bootstrap", nobody, "--listen", "127.0.0.1:0",
        "--insecure",
    )  # fmt: skip
    assert code == 3
    assert "interop: " in output and "Kafka" in output
    assert "Traceback" not in output


async def test_a_busy_port_is_a_clear_error(stack: Stack) -> None:
    code, output = await _run("serve", "mock", "sis", "--listen", stack.target, "--insecure")
    assert code == 3
    assert f"something listens on {stack.target} (mock sis)" in output
    assert "Traceback" not in output


async def test_a_second_stack_is_refused_at_once_naming_the_first(
    stack: Stack, tmp_path: Path
) -> None:
    mocks = {f"INTEROP_MOCK_{s.upper()}": a for s, a in stack.mock_addresses.items()}
    state = {"INTEROP_KEYS_DIR": str(tmp_path / "keys"), "INTEROP_AUDIT_DIR": str(tmp_path)}
    code, output = await _run("up", "--insecure", "--listen", stack.target, env={**mocks, **state})
    assert code == 3, output
    assert "another stack seems to be running" in output
    assert f"{stack.target} (gateway)" in output
    assert all(f"{a} (mock {s})" in output for s, a in stack.mock_addresses.items())
    assert "synthetic records" not in output, "refused before building the mocks' records"
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "pass --insecure"),
        (["--insecure", "--listen", "0.0.0.0:0"], "refusing to listen on 0.0.0.0:0"),
    ],
    ids=["plaintext-without-insecure", "insecure-off-loopback"],
)
async def test_plaintext_is_refused_unless_asked_for_and_on_loopback(
    args: list[str], said: str
) -> None:
    listen = [] if "--listen" in args else ["--listen", "127.0.0.1:0"]
    code, output = await _run("serve", "gateway", *listen, *args, timeout=30)
    assert code == 2, output
    assert said in output and "Traceback" not in output


async def test_help_explains_the_commands() -> None:
    code, output = await _run("--help")
    assert code == 0
    for command in ("up", "serve", "check", "scenario", "mock", "health", "audit", "loadtest"):
        assert command in output


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["loadtest", "--help"], "compare"),
        (["loadtest", "run", "--help"], "--metrics-url"),
        (["--log-level", "INFO", "loadtest", "compare", "--help"], "--tolerance"),
    ],
)
def test_loadtest_is_the_load_tools_own_command(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 0
    output = capsys.readouterr().out
    assert output.startswith("usage: interop loadtest") and says in output
