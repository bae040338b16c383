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
INTEROP = (sys.executable, "-m", "broker.cli")


@dataclass(frozen=True, slots=True)
class Stack:
    gateway: str
    mocks: Mapping[str, str]
    state: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


@contextlib.contextmanager
def all_in_one(population: int, ready_timeout_s: float = 120) -> Iterator[Stack]:
    """`interop up` on the memory bus: gateway, adapters and mocks in one process."""
    state = Path(tempfile.mkdtemp(prefix="interop-loadtest-"))
    gateway = f"127.0.0.1:{free_port()}"
    mocks = {system: f"127.0.0.1:{free_port()}" for system in SYSTEMS}
    env = base_env(state, population, mocks) | {"INTEROP_BUS": "memory"}
    process = spawn(
        ["up", "--population", str(population), "--listen", gateway], env, state / "up.log"
    )
    try:
        for target in (gateway, *mocks.values()):
            _wait_alive(process, target, ready_timeout_s, state / "up.log")
        yield Stack(gateway, mocks, state)
    finally:
        stop([process])
        shutil.rmtree(state, ignore_errors=True)


@contextlib.contextmanager
def on_kafka(bootstrap: str, population: int, ready_timeout_s: float = 120) -> Iterator[Stack]:
    """Five mocks, five adapters and a gateway as eleven processes on Kafka (own topics)."""
    state = Path(tempfile.mkdtemp(prefix="interop-loadtest-"))
    gateway = f"127.0.0.1:{free_port()}"
    mocks = {system: f"127.0.0.1:{free_port()}" for system in SYSTEMS}
    health = {system: f"127.0.0.1:{free_port()}" for system in SYSTEMS}
    env = base_env(state, population, mocks) | {
        "INTEROP_BUS": "kafka",
        "INTEROP_KAFKA_BOOTSTRAP": bootstrap,
        "INTEROP_TOPIC_PREFIX": f"lt{uuid.uuid4().hex[:8]}",
        "INTEROP_GATEWAY_LISTEN": gateway,
    }
    processes = [spawn(["serve", "mock", s], env, state / f"mock-{s}.log") for s in SYSTEMS]
    processes += [
        spawn(
            ["serve", "adapter", s, f"--health-listen={health[s]}"], env, state / f"adapter-{s}.log"
        )
        for s in SYSTEMS
    ]
    processes.append(spawn(["serve", "gateway"], env, state / "gateway.log"))
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
    raise RuntimeError(f"the stack exited with {process.returncode} before serving:\n{tail}")
