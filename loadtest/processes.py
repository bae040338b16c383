"""Starting the stack as a user would, as `interop up` or `interop serve ...` processes.

The one place where load runs, benchmarks, fault runs and the end-to-end tests start a
stack. Topologies:

- `all-in-one`: `interop up`, gateway, adapters and mocks in one process (the memory bus,
  or Kafka when given a bootstrap);
- `separate`: one process per mock and per adapter, and the gateways (11 processes);
- `compact`: one process for all mocks and one for all adapters (a small site).

Every part listens on free loopback ports and has its own log; the stack has its own topic
prefix, keys and audit files in a temporary directory removed at `stop`, so a run never
touches the developer's stack or `var/`. Parts are started through `setpriv --pdeathsig
TERM` where it exists, so that they get SIGTERM even when the launcher is killed with
SIGKILL and cannot clean up. Any part can be killed (-9), stopped (SIGTERM), frozen
(SIGSTOP), thawed and restarted on its ports while load runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from systems import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
# How the project's command line is started; the one line to change if the module moves.
CLI = (sys.executable, "-m", "stack.cli")
# Every part on loopback, in plaintext: a benchmark and test stack on one machine.
INSECURE = "--insecure"
STOP_GRACE_S = 10.0
START_ATTEMPTS = 3
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


class Topology(enum.Enum):
    ALL_IN_ONE = "all-in-one"
    SEPARATE = "separate"
    COMPACT = "compact"


class Role(enum.Enum):
    """What a process does, to count its CPU with its kind."""

    GATEWAY = "gateway"
    ADAPTERS = "adapters"
    MOCKS = "mocks"
    WHOLE_STACK = "whole stack"
    TOOL = "tool beside the stack"


class ProcessDied(RuntimeError):
    """A process exited while it was still needed."""


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all held open at once, so none repeats)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def _orphan_guard() -> tuple[str, ...]:
    setpriv = shutil.which("setpriv")
    return (setpriv, "--pdeathsig", "TERM", "--") if setpriv else ()


@dataclass(frozen=True)
class Member:
    """One running (or ended) process of a fleet, and how to start it again."""

    name: str
    role: Role
    argv: tuple[str, ...]
    env: Mapping[str, str] | None
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


class Fleet:
    """Named processes, each with its log, all stopped by `stop` whatever happens.

    Start processes from the thread that lives as long as the fleet (the event loop's):
    `--pdeathsig` fires when the thread that started a child ends, not the process.
    """

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.members: dict[str, Member] = {}
        self._guard = _orphan_guard()

    def start(
        self,
        name: str,
        role: Role,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
    ) -> Member:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name.replace(' ', '-')}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [*self._guard, *argv],
                cwd=ROOT,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        member = Member(name, role, tuple(argv), env, log, process)
        self.members[name] = member
        return member

    def restart(self, name: str) -> Member:
        """Start `name` again as it was started (kill it first if it still runs)."""
        old = self.members[name]
        if old.process.poll() is None:
            self.kill(name)
        return self.start(old.name, old.role, old.argv, old.env)

    def kill(self, name: str) -> None:
        """SIGKILL: a crash, no clean-up in the process."""
        process = self.members[name].process
        process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait()

    def signal(self, name: str, number: signal.Signals) -> None:
        self.members[name].process.send_signal(number)

    def pids(self, role: Role) -> tuple[int, ...]:
        return tuple(m.pid for m in self.members.values() if m.role is role and _running(m))

    def check_alive(self) -> None:
        for member in self.members.values():
            code = member.process.poll()
            if code is not None:
                raise ProcessDied(
                    f"{member.name} (pid {member.pid}) exited with {code}; "
                    f"last lines of {member.log}:\n{member.log_tail()}"
                )

    def stop(self) -> None:
        """SIGTERM to all, SIGKILL to those still running after STOP_GRACE_S (blocks that
        long at most; idempotent)."""
        members, self.members = list(self.members.values()), {}
        for member in members:
            if _running(member):
                member.process.send_signal(signal.SIGCONT)
                member.process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for member in members:
            try:
                member.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                member.process.kill()
                member.process.wait()


def _running(member: Member) -> bool:
    return member.process.poll() is None


async def wait_serving(target: str, timeout_s: float, fleet: Fleet | None = None) -> None:
    """Until `target` answers grpc.health.v1 with SERVING; fails at once when a process of
    `fleet` has died, and with TimeoutError after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            _still_waiting(f"{target} not serving", deadline, timeout_s, fleet)
            await asyncio.sleep(0.2)


async def wait_answering(target: str, timeout_s: float, fleet: Fleet | None = None) -> None:
    """Until a check through `target` comes back with every system answering (until every
    adapter has joined its group, some systems time out)."""
    deadline = time.monotonic() + timeout_s
    async with grpc.aio.insecure_channel(target) as channel:
        stub = border_check_pb2_grpc.BorderCheckStub(channel)
        while True:
            try:
                report = await stub.Check(EVERY_SYSTEM, timeout=10)
                if complete(report):
                    return
            except grpc.aio.AioRpcError:
                pass
            _still_waiting(f"systems not all answering at {target}", deadline, timeout_s, fleet)
            await asyncio.sleep(0.5)


def _still_waiting(what: str, deadline: float, timeout_s: float, fleet: Fleet | None) -> None:
    if fleet is not None:
        fleet.check_alive()
    if time.monotonic() > deadline:
        raise TimeoutError(f"{what} after {timeout_s:.0f} s")


def complete(report: pb.HitReport) -> bool:
    """Every system of the registry answered."""
    answered = {o.system for o in report.outcomes if o.status == pb.OUTCOME_STATUS_ANSWERED}
    return answered == {spec.value for spec in REGISTRY.catalog}


@dataclass(frozen=True)
class _Part:
    """How to start one part: `interop ARGS` with its own environment, the addresses where
    it answers grpc.health.v1 once ready, and the systems it serves."""

    name: str
    role: Role
    args: tuple[str, ...]
    health: tuple[str, ...]
    systems: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ProcessStack:
    """Gateway, adapters and mocks as processes; `bootstrap` None means the memory bus
    (all-in-one only)."""

    bootstrap: str | None = None
    topology: Topology = Topology.SEPARATE
    population: int | None = None
    # Adapter processes per system (separate) or in all (compact), each a member of its
    # groups: one number for every adapter part, or per part (`adapter-vis`, `adapters`).
    adapter_replicas: int | Mapping[str, int] = 1
    gateways: int = 1
    env_extra: Mapping[str, str] = field(default_factory=dict)
    log_level: str = "INFO"
    ready_timeout_s: float = 180.0
    # Every part serves Prometheus metrics on a loopback port of its own (`metrics_ports`).
    metrics: bool = False
    prefix: str = field(default_factory=lambda: f"ps{uuid.uuid4().hex[:8]}")
    state: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="interop-ps-")))

    def __post_init__(self) -> None:
        if self.bootstrap is None and self.topology is not Topology.ALL_IN_ONE:
            raise ValueError(f"the {self.topology.value} topology needs Kafka (a bootstrap)")
        alone = self.gateways == 1 and self.adapter_replicas in (1, {})
        if self.topology is Topology.ALL_IN_ONE and not alone:
            raise ValueError("all-in-one runs one gateway and one adapter per system")
        self.fleet = Fleet(self.state / "logs")
        self.parts: dict[str, _Part] = {}
        self.mock_addresses: dict[str, str] = {}
        self.targets: list[str] = []
        self.metrics_ports: dict[str, int] = {}

    @property
    def target(self) -> str:
        return self.targets[0]

    @property
    def audit_logs(self) -> list[Path]:
        return [self.state / f"audit-gw{n + 1}.jsonl" for n in range(self.gateways)]

    @property
    def audit_log(self) -> Path:
        return self.audit_logs[0]

    @property
    def logs(self) -> Path:
        return self.fleet.logs

    def env(self) -> dict[str, str]:
        """The environment every part shares."""
        env = dict(os.environ)
        env.update(
            {
                "INTEROP_BUS": "memory" if self.bootstrap is None else "kafka",
                "INTEROP_TOPIC_PREFIX": self.prefix,
                "INTEROP_KEYS_DIR": str(self.state / "keys"),
                "INTEROP_AUDIT_DIR": str(self.state / "audit"),
                "INTEROP_LOG_LEVEL": self.log_level,
                "PYTHONUNBUFFERED": "1",
                **{f"INTEROP_MOCK_{s.upper()}": a for s, a in self.mock_addresses.items()},
            }
        )
        if self.bootstrap is not None:
            env["INTEROP_KAFKA_BOOTSTRAP"] = self.bootstrap
        if self.population is not None:
            env["INTEROP_POPULATION"] = str(self.population)
        env.update(self.env_extra)
        return env

    # -- start and stop ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start every part and wait until every system answers through every gateway.

        A port found free can be taken by another program before a part binds it; that part
        then exits at once, and the stack is started again on other ports.
        """
        for attempt in range(1, START_ATTEMPTS + 1):
            self._plan()
            try:
                await self._start_all()
                return
            except ProcessDied:
                self.fleet.stop()
                if attempt == START_ATTEMPTS:
                    raise

    async def stop(self, keep_state: bool = False) -> None:
        await asyncio.to_thread(self.fleet.stop)
        if not keep_state:
            shutil.rmtree(self.state, ignore_errors=True)

    async def _start_all(self) -> None:
        if len(self.parts) > 1:
            await self._make_keys()
        for part in self.parts.values():
            self._spawn(part)
        deadline = time.monotonic() + self.ready_timeout_s
        for address in (a for part in self.parts.values() for a in part.health):
            await wait_serving(address, deadline - time.monotonic(), self.fleet)
        for target in self.targets:
            await wait_answering(target, deadline - time.monotonic(), self.fleet)

    async def _make_keys(self) -> None:
        """Created once before the parts start: each would otherwise create missing keys
        itself, and they would overwrite each other's."""
        made = await asyncio.create_subprocess_exec(
            *CLI, "keys", "init", cwd=ROOT, env=self.env(), stdout=subprocess.DEVNULL
        )
        if await made.wait() != 0:
            raise RuntimeError(f"`interop keys init` exited with {made.returncode}")

    def _spawn(self, part: _Part) -> Member:
        env = {**self.env(), **part.env}
        if self.metrics:
            port = self.metrics_ports.setdefault(part.name, free_port())
            env["INTEROP_METRICS_LISTEN"] = f"127.0.0.1:{port}"
        return self.fleet.start(part.name, part.role, [*CLI, *part.args], env)

    # -- the parts --------------------------------------------------------------------------

    def _plan(self) -> None:
        """Ports and command lines of every part."""
        ports = iter(free_ports(self.gateways + len(REGISTRY.names) + self._health_ports()))
        self.targets = [f"127.0.0.1:{next(ports)}" for _ in range(self.gateways)]
        self.mock_addresses = {s: f"127.0.0.1:{next(ports)}" for s in REGISTRY.names}
        if self.topology is Topology.ALL_IN_ONE:
            whole = _Part(
                "stack",
                Role.WHOLE_STACK,
                ("up", INSECURE, "--listen", self.target),
                (self.target, *self.mock_addresses.values()),
                REGISTRY.names,
                {"INTEROP_AUDIT_LOG": str(self.audit_log)},
            )
            self.parts = {whole.name: whole}
            return
        parts = [*self._mock_parts(), *self._adapter_parts(ports), *self._gateway_parts()]
        self.parts = {part.name: part for part in parts}

    def _adapter_groups(self) -> dict[str, tuple[str, ...]]:
        """Adapter processes (first replica's name) and the systems each serves."""
        if self.topology is Topology.ALL_IN_ONE:
            return {}
        if self.topology is Topology.COMPACT:
            return {"adapters": REGISTRY.names}
        return {f"adapter-{s}": (s,) for s in REGISTRY.names}

    def _replicas(self, group: str) -> int:
        if isinstance(self.adapter_replicas, int):
            return self.adapter_replicas
        return self.adapter_replicas.get(group, 1)

    def _health_ports(self) -> int:
        return sum(self._replicas(group) for group in self._adapter_groups())

    def _mock_parts(self) -> list[_Part]:
        if self.topology is Topology.COMPACT:
            every = ",".join(REGISTRY.names)
            addresses = tuple(self.mock_addresses.values())
            return [
                _Part(
                    "mocks",
                    Role.MOCKS,
                    ("serve", "mocks", every, INSECURE),
                    addresses,
                    REGISTRY.names,
                )
            ]
        return [
            _Part(f"mock-{s}", Role.MOCKS, ("serve", "mock", s, INSECURE), (a,), (s,))
            for s, a in self.mock_addresses.items()
        ]

    def _adapter_parts(self, ports: Iterator[int]) -> list[_Part]:
        parts = []
        for name, systems in self._adapter_groups().items():
            for replica in range(1, self._replicas(name) + 1):
                health = f"127.0.0.1:{next(ports)}"
                part = name if replica == 1 else f"{name}-{replica}"
                args = (
                    "serve",
                    "adapters",
                    ",".join(systems),
                    f"--health-listen={health}",
                    INSECURE,
                )
                parts.append(_Part(part, Role.ADAPTERS, args, (health,), systems))
        return parts

    def _gateway_parts(self) -> list[_Part]:
        return [
            _Part(
                gateway_name(n),
                Role.GATEWAY,
                ("serve", "gateway", INSECURE),
                (target,),
                (),
                {
                    "INTEROP_GATEWAY_ID": f"gw{n + 1}",
                    "INTEROP_GATEWAY_LISTEN": target,
                    "INTEROP_AUDIT_LOG": str(self.audit_logs[n]),
                },
            )
            for n, target in enumerate(self.targets)
        ]

    def mock_part(self, system: str) -> str:
        """The part that serves `system`'s mock."""
        if self.topology is Topology.ALL_IN_ONE:
            return "stack"
        return "mocks" if self.topology is Topology.COMPACT else f"mock-{system}"

    def health_of(self, part: str) -> tuple[str, ...]:
        return self.parts[part].health

    def systems_of(self, part: str) -> tuple[str, ...]:
        """The systems `part` serves (none for a gateway)."""
        return self.parts[part].systems

    def pids(self, role: Role) -> tuple[int, ...]:
        return self.fleet.pids(role)

    def log_tail(self, part: str, lines: int = 20) -> str:
        return self.fleet.members[part].log_tail(lines)

    # -- faults, by part --------------------------------------------------------------------

    def kill(self, part: str) -> None:
        """SIGKILL `part`: a crash."""
        self.fleet.kill(part)

    def freeze(self, part: str) -> None:
        self.fleet.signal(part, signal.SIGSTOP)

    def thaw(self, part: str) -> None:
        self.fleet.signal(part, signal.SIGCONT)

    async def terminate(self, part: str, timeout_s: float = 60.0) -> int:
        """SIGTERM `part` and wait for it to exit (a graceful stop); its exit code."""
        process = self.fleet.members[part].process
        process.terminate()
        return await asyncio.to_thread(process.wait, timeout_s)

    async def restart(self, part: str) -> None:
        """Start `part` again on its ports (killed first if it still runs), until it serves."""
        self.fleet.restart(part)
        for address in self.parts[part].health:
            await wait_serving(address, self.ready_timeout_s, self.fleet)

    # The fault vocabulary of the in-process stack of the end-to-end tests, by system.
    def freeze_mock(self, system: str) -> None:
        self.freeze(self.mock_part(system))

    def thaw_mock(self, system: str) -> None:
        self.thaw(self.mock_part(system))

    async def take_down(self, system: str) -> None:
        await self.terminate(self.mock_part(system), 10)

    async def bring_up(self, system: str) -> None:
        await self.restart(self.mock_part(system))


def gateway_name(n: int) -> str:
    """The part name of gateway `n` (from 0)."""
    return "gateway" if n == 0 else f"gateway-{n + 1}"
