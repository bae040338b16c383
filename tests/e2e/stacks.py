"""Ways to run the whole stack for end-to-end tests, with one handle to drive faults.

`ProcessStack` starts each part as its own `interop serve ...` process (real gRPC on
loopback, real Kafka), as a deployment would; `InProcessStack` runs the same parts in
the test's event loop on the in-memory bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from broker.transport.topics import Topics
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from mocks.faults import FaultPlan
from mocks.session import DEFAULT_SESSION
from stack import bootstrap as stack
from stack.settings import Settings
from systems import REGISTRY

SYSTEMS = REGISTRY.names

ROOT = Path(__file__).resolve().parents[2]
SPECIMEN = pb.Traveller(
    surname="Eriksson",
    given_names=["Anna Maria"],
    date_of_birth="1974-08-12",
    nationality="uto",
    document=pb.Document(number="L898902C3"),
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_serving(target: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{target} not serving after {timeout} s")
            await asyncio.sleep(0.2)


async def wait_all_answering(target: str, timeout: float = 90.0) -> None:
    """Until every adapter has joined its group, some systems time out: wait that out."""
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(target) as channel:
        stub = border_check_pb2_grpc.BorderCheckStub(channel)
        request = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=SPECIMEN)
        while True:
            report = await stub.Check(request, timeout=10)
            if all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"systems still not answering: {report.outcomes}")
            await asyncio.sleep(0.5)


@dataclass
class ProcessStack:
    """Gateway, five adapters and five mocks as separate processes over real Kafka."""

    bootstrap: str
    prefix: str = field(default_factory=lambda: f"e2e{uuid.uuid4().hex[:8]}")
    gateway_port: int = field(default_factory=free_port)
    mock_ports: dict[str, int] = field(default_factory=lambda: {s: free_port() for s in SYSTEMS})
    adapter_ports: dict[str, int] = field(default_factory=lambda: {s: free_port() for s in SYSTEMS})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: Path = field(default_factory=lambda: ROOT / "var" / "e2e-logs")
    state: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="interop-e2e-")))

    @property
    def audit_log(self) -> Path:
        return self.state / "audit.jsonl"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.gateway_port}"

    @property
    def mock_addresses(self) -> dict[str, str]:
        return {s: f"127.0.0.1:{p}" for s, p in self.mock_ports.items()}

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "INTEROP_BUS": "kafka",
                "INTEROP_KAFKA_BOOTSTRAP": self.bootstrap,
                "INTEROP_TOPIC_PREFIX": self.prefix,
                "INTEROP_GATEWAY_LISTEN": self.target,
                "INTEROP_KEYS_DIR": str(self.state / "keys"),
                "INTEROP_AUDIT_LOG": str(self.audit_log),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(
            {f"INTEROP_MOCK_{s.upper()}": f"127.0.0.1:{p}" for s, p in self.mock_ports.items()}
        )
        return env

    def spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = open(self.logs / f"{self.prefix}-{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "stack.cli", *args],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes[name] = process
        return process

    async def start(self) -> None:
        for system in SYSTEMS:
            self.spawn(f"mock-{system}", "serve", "mock", system)
        for system in SYSTEMS:
            self.spawn(
                f"adapter-{system}",
                "serve",
                "adapter",
                system,
                f"--health-listen=127.0.0.1:{self.adapter_ports[system]}",
            )
        self.spawn("gateway", "serve", "gateway")
        await asyncio.gather(
            wait_serving(self.target),
            *(wait_serving(f"127.0.0.1:{p}") for p in self.mock_ports.values()),
            *(wait_serving(f"127.0.0.1:{p}") for p in self.adapter_ports.values()),
        )
        await wait_all_answering(self.target)

    async def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    # Faults, by system name.
    def freeze_mock(self, system: str) -> None:
        self.processes[f"mock-{system}"].send_signal(signal.SIGSTOP)

    def thaw_mock(self, system: str) -> None:
        self.processes[f"mock-{system}"].send_signal(signal.SIGCONT)

    async def take_down(self, system: str) -> None:
        process = self.processes[f"mock-{system}"]
        process.terminate()
        process.wait(timeout=10)

    async def bring_up(self, system: str) -> None:
        self.spawn(f"mock-{system}", "serve", "mock", system)
        await wait_serving(self.mock_addresses[system])


def in_process_settings(**changes: object) -> Settings:
    """Settings for a stack in this process: free ports, its own topics, keys and audit file."""
    state = Path(tempfile.mkdtemp(prefix="interop-mem-"))
    return Settings(
        bus="memory",
        gateway_listen=f"127.0.0.1:{free_port()}",
        mock_addresses={s: f"127.0.0.1:{free_port()}" for s in SYSTEMS},
        topics=Topics(prefix=f"mem{uuid.uuid4().hex[:8]}"),
        keys_dir=str(state / "keys"),
        audit_log=str(state / "audit.jsonl"),
    ).with_overrides(**changes)


@dataclass
class InProcessStack:
    """The same parts in this event loop on the in-memory bus."""

    settings: Settings = field(
        default_factory=lambda: Settings(
            bus="memory",
            gateway_listen=f"127.0.0.1:{free_port()}",
            mock_addresses={s: f"127.0.0.1:{free_port()}" for s in SYSTEMS},
            topics=Topics(prefix=f"mem{uuid.uuid4().hex[:8]}"),
        )
    )
    _exit: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    @property
    def target(self) -> str:
        return self.settings.gateway_listen

    @property
    def audit_log(self) -> Path:
        return Path(self.settings.audit_path)

    @property
    def mock_addresses(self) -> dict[str, str]:
        return dict(self.settings.mock_addresses)

    async def start(self) -> None:
        self.running = await self._exit.enter_async_context(stack.whole_stack(self.settings))

    def freeze_mock(self, system: str) -> None:
        self.running.mocks[system].sessions.get(DEFAULT_SESSION).faults = FaultPlan(latency_s=3600)

    def thaw_mock(self, system: str) -> None:
        self.running.mocks[system].sessions.get(DEFAULT_SESSION).faults = FaultPlan()

    async def take_down(self, system: str) -> None:
        """In one process the mock cannot die alone: it refuses every call instead."""
        self.running.mocks[system].sessions.get(DEFAULT_SESSION).faults = FaultPlan(
            outage_until=float("inf")
        )

    async def bring_up(self, system: str) -> None:
        self.thaw_mock(system)

    async def stop(self) -> None:
        await self._exit.aclose()


Stack = InProcessStack | ProcessStack
