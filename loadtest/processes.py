"""The stack as separate processes on real Kafka, started as an operator would start it.

`ProcessStack` runs `interop serve ...` for every mock, adapter and the gateway on free
loopback ports with a topic prefix, keys and audit file of its own, waits until every
part is healthy and every system answers, and stops (and cleans up) everything at the
end. Benchmarks, fault runs and the end-to-end tests share it.

Topologies: `separate` (one process per mock and per adapter: 11 processes) or
`compact` (one process for all mocks, one for all adapters: 3 processes, a small site).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from systems import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CLI = (sys.executable, "-m", "stack.cli")
SPECIMEN = pb.Traveller(
    surname="ERIKSSON",
    given_names=["ANNA", "MARIA"],
    date_of_birth="1974-08-12",
    sex=pb.SEX_FEMALE,
    nationality="UTO",
    document=pb.Document(number="L898902C3", issuing_state="UTO"),
)
# A border guard's check within the territory asks all five systems (on entry Eurodac is
# not asked, Reg. 2024/1358 Art. 1): the request the benchmarks measure.
EVERY_SYSTEM = pb.CheckRequest(purpose=pb.PURPOSE_IN_TERRITORY_CHECK, traveller=SPECIMEN)
TOPOLOGIES = ("separate", "compact")
# Every part on loopback, in plaintext: a benchmark and test stack on one machine.
INSECURE = "--insecure"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_serving(target: str, timeout: float = 60.0) -> None:
    """Until `target` answers grpc.health.v1 with SERVING."""
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
                raise TimeoutError(f"{target} not serving after {timeout:.0f} s")
            await asyncio.sleep(0.2)


async def wait_all_answering(target: str, timeout: float = 90.0) -> None:
    """Until every adapter has joined its group, some systems time out: wait that out."""
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(target) as channel:
        stub = border_check_pb2_grpc.BorderCheckStub(channel)
        request = EVERY_SYSTEM
        while True:
            report = await stub.Check(request, timeout=10)
            if all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"systems still not answering: {report.outcomes}")
            await asyncio.sleep(0.5)


@dataclass
class ProcessStack:
    """Gateway, adapters and mocks as processes over the Kafka at `bootstrap`."""

    bootstrap: str
    topology: str = "separate"
    population: int | None = None
    # Adapter processes per system (separate) or in all (compact); each joins its groups.
    adapter_replicas: int = 1
    gateways: int = 1
    env_extra: dict[str, str] = field(default_factory=dict)
    systems: Sequence[str] = REGISTRY.names
    prefix: str = field(default_factory=lambda: f"ps{uuid.uuid4().hex[:8]}")
    state: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="interop-ps-")))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.topology not in TOPOLOGIES:
            raise ValueError(f"topology {self.topology!r}: choose {', '.join(TOPOLOGIES)}")
        self.gateway_ports = [free_port() for _ in range(self.gateways)]
        self.mock_ports = {s: free_port() for s in self.systems}
        self.health_ports: dict[str, int] = {}

    @property
    def target(self) -> str:
        return self.targets[0]

    @property
    def targets(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.gateway_ports]

    @property
    def audit_log(self) -> Path:
        return self.audit_logs[0]

    @property
    def audit_logs(self) -> list[Path]:
        return [self.state / f"audit-gw{n + 1}.jsonl" for n in range(self.gateways)]

    @property
    def mock_addresses(self) -> dict[str, str]:
        return {s: f"127.0.0.1:{p}" for s, p in self.mock_ports.items()}

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "INTEROP_BUS": "kafka",
                "INTEROP_KAFKA_BOOTSTRAP": self.bootstrap,
                "INTEROP_TOPIC_PREFIX": self.prefix,
                "INTEROP_KEYS_DIR": str(self.state / "keys"),
                "INTEROP_AUDIT_DIR": str(self.state / "audit"),
                "PYTHONUNBUFFERED": "1",
                **{f"INTEROP_MOCK_{s.upper()}": a for s, a in self.mock_addresses.items()},
            }
        )
        if self.population is not None:
            env["INTEROP_POPULATION"] = str(self.population)
        env.update(self.env_extra)
        return env

    def spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        """Start (or restart) part `name` as `interop ARGS...`, its output in its log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "ab") as log:
            self.processes[name] = subprocess.Popen(
                [*CLI, *args],
                cwd=ROOT,
                env={**self.env(), **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def _mock_parts(self) -> dict[str, list[str]]:
        if self.topology == "compact":
            return {"mocks": ["serve", "mocks", ",".join(self.systems), INSECURE]}
        return {f"mock-{s}": ["serve", "mock", s, INSECURE] for s in self.systems}

    def _adapter_parts(self) -> dict[str, list[str]]:
        groups = (
            {"adapters": ",".join(self.systems)}
            if self.topology == "compact"
            else {f"adapter-{s}": s for s in self.systems}
        )
        parts = {}
        for name, systems in groups.items():
            for replica in range(1, self.adapter_replicas + 1):
                part = name if replica == 1 else f"{name}-{replica}"
                self.health_ports[part] = free_port()
                health = f"--health-listen=127.0.0.1:{self.health_ports[part]}"
                parts[part] = ["serve", "adapters", systems, health, INSECURE]
        return parts

    def gateway_env(self, n: int) -> dict[str, str]:
        return {
            "INTEROP_GATEWAY_ID": f"gw{n + 1}",
            "INTEROP_GATEWAY_LISTEN": self.targets[n],
            "INTEROP_AUDIT_LOG": str(self.audit_logs[n]),
        }

    async def start(self) -> None:
        for name, args in {**self._mock_parts(), **self._adapter_parts()}.items():
            self.spawn(name, *args)
        for n in range(self.gateways):
            self.spawn(self.gateway_name(n), "serve", "gateway", INSECURE, env=self.gateway_env(n))
        healthy = [
            *self.targets,
            *self.mock_addresses.values(),
            *(f"127.0.0.1:{p}" for p in self.health_ports.values()),
        ]
        await asyncio.gather(*(wait_serving(t, 180) for t in healthy))
        for target in self.targets:
            await wait_all_answering(target)

    @staticmethod
    def gateway_name(n: int) -> str:
        return "gateway" if n == 0 else f"gateway-{n + 1}"

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items() if p.poll() is None}

    def mock_part(self, system: str) -> str:
        return "mocks" if self.topology == "compact" else f"mock-{system}"

    async def stop(self, keep_state: bool = False) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if not keep_state:
            shutil.rmtree(self.state, ignore_errors=True)

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # Faults, by system name.
    def freeze_mock(self, system: str) -> None:
        self.processes[self.mock_part(system)].send_signal(signal.SIGSTOP)

    def thaw_mock(self, system: str) -> None:
        self.processes[self.mock_part(system)].send_signal(signal.SIGCONT)

    async def take_down(self, system: str) -> None:
        process = self.processes[self.mock_part(system)]
        process.terminate()
        process.wait(timeout=10)

    async def bring_up(self, system: str) -> None:
        self.spawn(self.mock_part(system), *self._mock_parts()[self.mock_part(system)])
        await wait_serving(self.mock_addresses[system])
