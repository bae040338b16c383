"""The faults: what each does to the rig, what undoes it, and what it may do to a check."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from loadtest.faults.checks import Expected
from loadtest.faults.rig import Rig
from loadtest.netcut import Mode
from systems import REGISTRY

STALLED_MOCK = "vis"
# A part stopped with SIGTERM drains checks in flight up to their deadline (2 s), then
# leaves: it must be gone by then, with some time to close its connections.
GRACEFUL_EXIT_S = 5.0
# How long a mock takes to answer in a graceful stop's run: each check is in flight this long.
DRAINED_MS = 1000


@dataclass(frozen=True)
class Note:
    """What a step saw that the checks do not show (a stopped part's exit), and whether it
    is as it should be."""

    text: str
    ok: bool


Step = Callable[[Rig], Awaitable[Note | None]]


@dataclass(frozen=True)
class Fault:
    name: str
    # The row of the README table.
    what: str
    # Kafka nodes the rig needs: 1 (behind a proxy) or a cluster of 3.
    brokers: int
    inject: Step
    # None: the fault stays until the run ends (a lost replica is not replaced).
    heal: Step | None
    expected: Callable[[Rig], Expected]
    # How long it lasts by default, and how long the CI run loads after it ends.
    lasts_s: float
    after_s: float
    # What is set up before the load begins, and what makes the stack whole again after
    # the run when healing does not.
    prepare: Step | None = None
    cleanup: Step | None = None


def at_once(act: Callable[[Rig], object]) -> Step:
    """A step that is done when `act` returns (a signal sent)."""

    async def step(rig: Rig) -> None:
        act(rig)

    return step


async def drained(rig: Rig, part: str) -> Note:
    """SIGTERM `part` and wait for it to exit: it must answer what it holds first (with
    `in_flight` every check waits a second for one system), and exit 0 by the deadline."""
    started = time.monotonic()
    code = await rig.stack.terminate(part)
    took = time.monotonic() - started
    ok = code == 0 and took <= GRACEFUL_EXIT_S
    return Note(f"{part} exited with {code} {took:.1f} s after SIGTERM", ok)


async def kill_node(rig: Rig, controller: bool) -> Note:
    """Kill the node that is the active controller, or one that is not. Partitions it led
    have no leader until the controller fences it (broker.session.timeout.ms); with the
    controller gone, a new one is elected first."""
    leader = await asyncio.to_thread(rig.kafka.quorum_leader)
    node = leader if controller else next(n for n in range(1, rig.kafka.count + 1) if n != leader)
    await rig.kafka.kill(node)
    return Note(f"killed Kafka node {node} (active controller: node {leader})", ok=True)


def every_system(rig: Rig) -> Expected:
    return Expected(frozenset(REGISTRY.names))


def replica_systems(rig: Rig) -> Expected:
    """The systems of the replica stopped: TIMEOUT until the other takes its partitions."""
    return Expected(frozenset(rig.stack.systems_of(rig.second_replica())))


def stalled_systems(rig: Rig) -> Expected:
    return Expected(frozenset(rig.stack.systems_of(rig.stack.mock_part(STALLED_MOCK))))


def gateway_down(rig: Rig) -> Expected:
    # Refused connections while it is down, reset or refused calls as it goes: UNAVAILABLE.
    return Expected(frozenset(), frozenset({"UNAVAILABLE"}))


def gateway_drained(rig: Rig) -> Expected:
    """Checks sent before the SIGTERM are answered; later ones are refused (a call that
    reaches the server in the instant its stop begins is CANCELLED by gRPC)."""
    return Expected(frozenset(), frozenset({"UNAVAILABLE", "CANCELLED"}), drains=True)


def nothing_lost(rig: Rig) -> Expected:
    """The leaving replica answers what it holds, the other takes its partitions."""
    return Expected(frozenset())


async def in_flight(rig: Rig) -> None:
    """Every check waits a second for one system: a part always holds a second of them."""
    await rig.slow_mock(STALLED_MOCK, DRAINED_MS)


async def back_in_time(rig: Rig) -> None:
    """The slow mock answers at once again."""
    await rig.slow_mock(STALLED_MOCK, 0)


async def replica_back(rig: Rig) -> None:
    await rig.stack.restart(rig.second_replica())


async def replica_back_in_time(rig: Rig) -> None:
    await replica_back(rig)
    await back_in_time(rig)


FAULTS = (
    Fault(
        "kafka-kill",
        "Kafka broker (single node) killed -9, restarted",
        brokers=1,
        inject=lambda rig: rig.kafka.kill(1),
        heal=lambda rig: rig.kafka.restart(1),
        expected=every_system,
        lasts_s=10,
        after_s=30,
    ),
    Fault(
        "network-cut",
        "network to Kafka cut (held by a proxy), restored",
        brokers=1,
        inject=lambda rig: rig.cut(Mode.HOLD),
        heal=lambda rig: rig.restore(),
        expected=every_system,
        lasts_s=10,
        after_s=15,
    ),
    Fault(
        "adapter-kill",
        "one of two adapter replicas killed -9",
        brokers=1,
        inject=at_once(lambda rig: rig.stack.kill(rig.second_replica())),
        heal=None,
        expected=replica_systems,
        lasts_s=0,
        after_s=15,
        cleanup=replica_back,
    ),
    Fault(
        "adapter-term",
        "one of two adapter replicas stopped (SIGTERM) with queries in hand",
        brokers=1,
        inject=lambda rig: drained(rig, rig.second_replica()),
        heal=None,
        expected=nothing_lost,
        lasts_s=0,
        after_s=10,
        prepare=in_flight,
        cleanup=replica_back_in_time,
    ),
    Fault(
        "mock-stall",
        "a mock stalled (SIGSTOP), resumed",
        brokers=1,
        inject=at_once(lambda rig: rig.stack.freeze_mock(STALLED_MOCK)),
        heal=at_once(lambda rig: rig.stack.thaw_mock(STALLED_MOCK)),
        expected=stalled_systems,
        lasts_s=10,
        after_s=8,
    ),
    Fault(
        "gateway-kill",
        "gateway killed -9, restarted",
        brokers=1,
        inject=at_once(lambda rig: rig.stack.kill("gateway")),
        heal=lambda rig: rig.stack.restart("gateway"),
        expected=gateway_down,
        lasts_s=2,
        after_s=15,
    ),
    Fault(
        "gateway-term",
        "gateway stopped (SIGTERM) with checks in flight, restarted",
        brokers=1,
        inject=lambda rig: drained(rig, "gateway"),
        heal=lambda rig: rig.stack.restart("gateway"),
        expected=gateway_drained,
        lasts_s=3,
        after_s=15,
        prepare=in_flight,
        cleanup=back_in_time,
    ),
    Fault(
        "broker-kill",
        "one broker of three (not the active controller) killed -9, restarted",
        brokers=3,
        inject=lambda rig: kill_node(rig, controller=False),
        heal=lambda rig: rig.kafka.start_stopped(),
        expected=every_system,
        lasts_s=10,
        after_s=25,
    ),
    Fault(
        "controller-kill",
        "the broker of three that is the active controller killed -9, restarted",
        brokers=3,
        inject=lambda rig: kill_node(rig, controller=True),
        heal=lambda rig: rig.kafka.start_stopped(),
        expected=every_system,
        lasts_s=10,
        after_s=25,
    ),
)
BY_NAME = {fault.name: fault for fault in FAULTS}
