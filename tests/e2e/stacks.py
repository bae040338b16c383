"""Ways to run the whole stack for end-to-end tests, with one handle to drive faults.

`ProcessStack` (loadtest.processes) starts each part as its own `interop serve ...`
process (real gRPC on loopback, real Kafka), as a deployment would; `InProcessStack` runs
the same parts in the test's event loop on the in-memory bus.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from broker.transport.bus import Bus
from broker.transport.bus.factory import make_bus
from broker.transport.envelope import ChannelKeys, audit_channel
from broker.transport.topics import Topics
from interop.v1 import border_check_pb2 as pb
from loadtest.processes import ROOT, ProcessStack, free_port
from mocks.faults import FaultPlan
from mocks.session import DEFAULT_SESSION
from stack import bootstrap as stack
from stack.settings import Settings
from systems import REGISTRY, Registry

__all__ = [
    "ROOT",
    "SPECIMEN",
    "InProcessStack",
    "ProcessStack",
    "Stack",
    "free_port",
    "tap",
    "trail_file",
    "trail_keys",
]

SPECIMEN = pb.Traveller(
    surname="Eriksson",
    given_names=["Anna Maria"],
    date_of_birth="1974-08-12",
    sex=pb.SEX_FEMALE,
    nationality="uto",
    document=pb.Document(number="L898902C3"),
)


def in_process_settings(state: Path, registry: Registry = REGISTRY, **changes: object) -> Settings:
    """Settings for a stack in this process: its own topics, keys and audit file; every
    server takes the port it is given when it binds (port 0), so no other program can take
    it between a choice and the bind."""
    return Settings(
        bus="memory",
        gateway_listen="127.0.0.1:0",
        mock_addresses=dict.fromkeys(registry.names, "127.0.0.1:0"),
        topics=Topics(prefix=f"mem{uuid.uuid4().hex[:8]}"),
        keys_dir=str(state / "keys"),
        audit_dir=str(state / "audit"),
        audit_log=str(state / "audit.jsonl"),
        insecure="tls_dir" not in changes,
    ).with_overrides(**changes)


@dataclass
class InProcessStack:
    """The same parts in this event loop on the in-memory bus; its files in a temp dir."""

    registry: Registry = REGISTRY
    state: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="interop-mem-")))
    changes: dict[str, object] = field(default_factory=dict)
    _exit: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    def __post_init__(self) -> None:
        self.settings = in_process_settings(self.state, self.registry, **self.changes)

    @property
    def target(self) -> str:
        return self.running.target

    @property
    def audit_log(self) -> Path:
        return Path(self.settings.audit_path)

    @property
    def mock_addresses(self) -> dict[str, str]:
        return dict(self.running.mock_addresses)

    async def start(self) -> None:
        self.running = await self._exit.enter_async_context(
            stack.whole_stack(self.settings, self.registry)
        )

    async def __aenter__(self) -> InProcessStack:
        """Started; stopped, and its temp dir removed, however the block ends (a start
        that fails included)."""
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

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
        try:
            await self._exit.aclose()
        finally:
            shutil.rmtree(self.state, ignore_errors=True)


Stack = InProcessStack | ProcessStack


def tap(stack: Stack) -> tuple[Bus, Topics]:
    """A bus connection of an outsider who can read and write the stack's topics (not
    started), and the stack's topic names."""
    if isinstance(stack, ProcessStack):
        return make_bus("kafka", stack.bootstrap, "outsider"), Topics(prefix=stack.prefix)
    return make_bus("memory", None, "outsider"), stack.settings.topics


def trail_keys(stack: Stack, trail: str = "gw1") -> ChannelKeys:
    """The keys of audit trail `trail` (a gateway id, or mock-<system>) of the stack."""
    return ChannelKeys.load(stack.state / "keys", audit_channel(trail))


def trail_file(stack: Stack, trail: str) -> Path:
    """Where the stack keeps audit trail `trail`; the first gateway's is `stack.audit_log`."""
    return stack.audit_log if trail == "gw1" else stack.state / "audit" / f"{trail}.jsonl"
