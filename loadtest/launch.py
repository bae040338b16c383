"""Start a stack to load as a user would: `interop up` or `interop serve ...` subprocesses.

Every address is a free loopback port and every file (keys, audit trail, logs) lives
in a temporary directory that is removed when the stack stops, so a benchmark or a
test never touches the developer's own stack or `var/`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from loadtest.workload import SYSTEMS

# How the project's command line is started; the one line to change if the module moves.
INTEROP = (sys.executable, "-m", "stack.cli")


@dataclass(frozen=True, slots=True)
class Stack:
    gateway: str
    mocks: Mapping[str, str]
    state: Path


def free_port() -> int:
    return free_addresses(1)[0]


def free_addresses(count: int) -> list[int]:
    """`count` distinct free loopback ports (all held open at once, so none repeats)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]


def wait_serving(target: str, timeout_s: float) -> None:
    """Block until `target` answers grpc.health.v1 SERVING (TimeoutError after `timeout_s`)."""
    deadline = time.monotonic() + timeout_s
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{target} not healthy after {timeout_s:.0f} s")
            time.sleep(0.2)


def base_env(state: Path, population: int, mocks: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "INTEROP_KEYS_DIR": str(state / "keys"),
            "INTEROP_AUDIT_LOG": str(state / "audit.jsonl"),
            "INTEROP_AUDIT_DIR": str(state / "audit"),
            "INTEROP_POPULATION": str(population),
            "INTEROP_LOG_LEVEL": "WARNING",
            **{f"INTEROP_MOCK_{system.upper()}": address for system, address in mocks.items()},
        }
    )
    return env


def spawn(args: Sequence[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [*INTEROP, *args], env=dict(env), stdout=out, stderr=subprocess.STDOUT
        )


def stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _addresses(names: Sequence[str]) -> dict[str, str]:
    ports = free_addresses(len(names))
    return {name: f"127.0.0.1:{port}" for name, port in zip(names, ports, strict=True)}


@contextlib.contextmanager
def all_in_one(population: int, ready_timeout_s: float = 120) -> Iterator[Stack]:
    """`interop up` on the memory bus: gateway, adapters and mocks in one process.

    A port found free can be taken by another program before the stack binds it; the
    stack then exits at once, and is started again on other ports (three tries).
    """
    state = Path(tempfile.mkdtemp(prefix="interop-loadtest-"))
    try:
        for attempt in range(3):
            addresses = _addresses(["gateway", *SYSTEMS])
            gateway, mocks = addresses.pop("gateway"), addresses
            env = base_env(state, population, mocks) | {"INTEROP_BUS": "memory"}
            command = ["up", "--insecure", "--population", str(population), "--listen", gateway]
            process = spawn(command, env, state / "up.log")
            try:
                try:
                    for target in (gateway, *mocks.values()):
                        _wait_alive(process, target, ready_timeout_s, state / "up.log")
                except _Exited:
                    if attempt == 2:
                        raise
                    continue
                yield Stack(gateway, mocks, state)
                return
            finally:
                stop([process])
    finally:
        shutil.rmtree(state, ignore_errors=True)


@contextlib.contextmanager
def on_kafka(bootstrap: str, population: int, ready_timeout_s: float = 120) -> Iterator[Stack]:
    """Five mocks, five adapters and a gateway as eleven processes on Kafka (own topics)."""
    state = Path(tempfile.mkdtemp(prefix="interop-loadtest-"))
    addresses = _addresses(["gateway", *SYSTEMS, *(f"{s}-health" for s in SYSTEMS)])
    gateway = addresses["gateway"]
    mocks = {system: addresses[system] for system in SYSTEMS}
    health = {system: addresses[f"{system}-health"] for system in SYSTEMS}
    env = base_env(state, population, mocks) | {
        "INTEROP_BUS": "kafka",
        "INTEROP_KAFKA_BOOTSTRAP": bootstrap,
        "INTEROP_TOPIC_PREFIX": f"lt{uuid.uuid4().hex[:8]}",
        "INTEROP_GATEWAY_LISTEN": gateway,
    }
    processes = [
        spawn(["serve", "mock", s, "--insecure"], env, state / f"mock-{s}.log") for s in SYSTEMS
    ]
    processes += [
        spawn(
            ["serve", "adapter", s, f"--health-listen={health[s]}", "--insecure"],
            env,
            state / f"adapter-{s}.log",
        )
        for s in SYSTEMS
    ]
    processes.append(spawn(["serve", "gateway", "--insecure"], env, state / "gateway.log"))
    try:
        for target in (*mocks.values(), *health.values(), gateway):
            wait_serving(target, ready_timeout_s)
        yield Stack(gateway, mocks, state)
    finally:
        stop(processes)
        shutil.rmtree(state, ignore_errors=True)


def _wait_alive(process: subprocess.Popen[bytes], target: str, timeout_s: float, log: Path) -> None:
    """wait_serving, but give up at once (with the log's tail) when the process has died."""
    deadline = time.monotonic() + timeout_s
    while process.poll() is None:
        try:
            wait_serving(target, min(2.0, max(0.1, deadline - time.monotonic())))
            return
        except TimeoutError:
            if time.monotonic() > deadline:
                raise
    tail = log.read_text(errors="replace")[-2000:]
    raise _Exited(f"the stack exited with {process.returncode} before serving:\n{tail}")


class _Exited(RuntimeError):
    """The stack's process ended before it served."""
