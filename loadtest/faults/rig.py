"""What a fault acts on: a Kafka of the run's own (one node behind a loadtest.netcut proxy
that can cut its network, or a cluster of three), and the stack as processes on it."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from loadtest import netcut
from loadtest.kafka_nodes import KafkaNodes, own_kafka
from loadtest.processes import Fleet, ProcessStack, Role, Topology, free_ports

PROXY_START_S = 30.0
# Topics on a cluster of three as production would have them: every partition on three
# brokers, and audit records and dead letters acknowledged by two, so that one broker may
# be lost without losing one of them.
CLUSTER_ENV = {
    "INTEROP_TOPIC_REPLICATION": "3",
    "INTEROP_TOPIC_MIN_INSYNC_AUDIT": "2",
    "INTEROP_TOPIC_MIN_INSYNC_DEADLETTER": "2",
}


# The fault runs hold the gateway's bound on checks in flight fixed (INTEROP_MAX_IN_FLIGHT,
# 64): a fault run measures what a fault does at half the capacity, and on a machine shared
# with other work the adaptive bound also answers to that work (it shrinks while the cores
# are saturated and answers slow down), which is the overload run's subject.
FAULT_ENV = {"INTEROP_ADMISSION": "fixed"}


@dataclass(frozen=True)
class Layout:
    """How the stack is laid out: its topology, the adapter part with a second replica
    (so that one of two can be killed), and settings of its own."""

    topology: Topology = Topology.SEPARATE
    replicated: str | None = "adapter-vis"
    population: int = 10_000
    env: Mapping[str, str] = field(default_factory=dict)

    def replicas(self) -> Mapping[str, int]:
        return {} if self.replicated is None else {self.replicated: 2}


@dataclass(frozen=True)
class Rig:
    stack: ProcessStack
    kafka: KafkaNodes
    # The netcut proxy's control address, when Kafka (one node) is reached through one.
    proxy: netcut.Address | None

    async def cut(self, mode: netcut.Mode) -> None:
        assert self.proxy is not None, "this Kafka is not behind a proxy"
        await _command(self.proxy, f"cut {mode.value}")

    async def restore(self) -> None:
        assert self.proxy is not None, "this Kafka is not behind a proxy"
        await _command(self.proxy, "restore")

    async def slow_mock(self, system: str, latency_ms: int) -> None:
        """Make `system`'s mock answer every call `latency_ms` late (0: at once again)."""
        async with grpc.aio.insecure_channel(self.stack.mock_addresses[system]) as channel:
            control = mock_pb2_grpc.MockControlStub(channel)
            faults = mock_pb2.Faults(latency_ms=latency_ms)
            await control.SetFaults(mock_pb2.SetFaultsRequest(faults=faults), timeout=5)

    def second_replica(self) -> str:
        """An adapter part that is one of two members of its groups."""
        return next(name for name in self.stack.parts if name.endswith("-2"))


async def _command(control: netcut.Address, command: str) -> None:
    reply = await netcut.send(control, command)
    if not reply.startswith("ok"):
        raise RuntimeError(f"netcut {command}: {reply}")


@contextlib.asynccontextmanager
async def rigged(
    state: Path, brokers: int, layout: Layout, proxied: bool = True
) -> AsyncIterator[Rig]:
    """Kafka of `brokers` nodes (one: behind a netcut proxy unless not `proxied`; more:
    with CLUSTER_ENV's topics), and the stack on it."""
    tools = Fleet(state / "tools")
    try:
        proxy, forward = await _proxy(tools) if brokers == 1 and proxied else (None, None)
        ports, advertised = (
            ((forward.target.port,), (forward.listen.port,)) if forward else ((), ())
        )
        async with own_kafka(state / "kafka", brokers, ports, advertised) as kafka:
            stack = ProcessStack(
                kafka.bootstrap,
                layout.topology,
                population=layout.population,
                adapter_replicas=layout.replicas(),
                env_extra={**(CLUSTER_ENV if brokers > 1 else {}), **layout.env},
                state=state / "stack",
            )
            try:
                await stack.start()
                yield Rig(stack, kafka, proxy)
            finally:
                await stack.stop(keep_state=True)
    finally:
        await asyncio.to_thread(tools.stop)


async def _proxy(tools: Fleet) -> tuple[netcut.Address, netcut.Forward]:
    """A netcut proxy (its control address, and what it forwards): Kafka will listen on the
    target port and advertise the proxy's."""
    listen, target, control = free_ports(3)
    address = netcut.Address("127.0.0.1", control)
    forward = netcut.Forward(
        netcut.Address("127.0.0.1", listen), netcut.Address("127.0.0.1", target)
    )
    tools.start(
        "netcut",
        Role.TOOL,
        [
            sys.executable,
            "-m",
            "loadtest.netcut",
            "serve",
            f"--forward={forward.listen}={forward.target}",
            f"--control={address}",
        ],
    )
    deadline = time.monotonic() + PROXY_START_S
    while True:
        try:
            await netcut.send(address, "status")
            return address, forward
        except OSError:
            tools.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError("netcut proxy not answering") from None
            await asyncio.sleep(0.1)
