"""Wiring: the one module that knows the gateway, the adapters and the mocks together.

`interop up` runs everything in one process on one bus; `interop serve ...` runs one
part per process for deployments with several gateways and adapter replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.registry import ADAPTERS
from adapters.runtime import Adapter
from broker.access import AccessPolicy, parse_profile_map
from broker.audit import AuditSink
from broker.bus import Bus
from broker.bus.factory import make_bus
from broker.config import Settings
from broker.dispatch import Dispatcher
from broker.envelope import Keyring
from broker.gateway import Gateway
from broker.links import link_hits
from broker.serving import GrpcServer, Service
from broker.systems import SYSTEMS
from broker.tls import server_credentials
from interop.v1 import border_check_pb2, border_check_pb2_grpc
from mocks import scenarios
from mocks.commands import control as mock_control
from mocks.commands import run_scenarios
from mocks.engine import RecordSource
from mocks.faults import FaultPlan
from mocks.population_source import PopulationSource
from mocks.service import MockControl, MockSystem
from mocks.session import DEFAULT_SESSION
from mocks.systems import RULES
from mocks.world import World, examples

__all__ = [
    "adapter",
    "example_commands",
    "gateway",
    "mock",
    "mock_control",
    "run_scenarios",
    "whole_stack",
]

log = logging.getLogger(__name__)


@dataclass
class RunningGateway:
    server: GrpcServer
    dispatcher: Dispatcher
    bus: Bus


def _bus(settings: Settings, client_id: str) -> Bus:
    return make_bus(settings.bus, settings.bootstrap, client_id)


def keyring(settings: Settings, signer: str) -> Keyring:
    """The service's keys; development keys are created in `keys_dir` when missing."""
    directory = Path(settings.keys_dir)
    if not (directory / "signers" / f"{signer}.key").is_file():
        log.warning("no keys for %s in %s: creating development keys", signer, directory)
        Keyring.generate_dev(directory)
    return Keyring.load(directory, signer)


def access_policy(settings: Settings) -> AccessPolicy:
    return AccessPolicy(parse_profile_map(settings.clients), settings.insecure_profile)


@contextlib.asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[RunningGateway]:
    """A serving gateway; health turns SERVING only once its reply topic is being read."""
    policy = access_policy(settings)
    credentials = server_credentials(Path(settings.tls_dir)) if settings.tls_dir else None
    if credentials is None:
        log.warning(
            "gateway without TLS: every caller gets profile %s; for one laptop only",
            settings.insecure_profile,
        )
    bus = _bus(settings, f"gateway-{settings.gateway_id}")
    await bus.start()
    audit = AuditSink(Path(settings.audit_path), bus, settings.topics.audit)
    try:
        dispatcher = Dispatcher(
            bus, settings.topics, settings.gateway_id, keyring(settings, "gateway")
        )
        await dispatcher.start()
        servicer = Gateway(
            settings, dispatcher, policy, audit, link_hits, tls=credentials is not None
        )
        full_name = border_check_pb2.DESCRIPTOR.services_by_name["BorderCheck"].full_name
        server = GrpcServer(
            settings.gateway_listen,
            [
                Service(
                    full_name,
                    lambda s: border_check_pb2_grpc.add_BorderCheckServicer_to_server(servicer, s),
                )
            ],
            credentials,
        )
        await server.start()
        await server.set_serving(True)
        log.info(
            "gateway %s listening on %s (bus %s, %s)",
            settings.gateway_id,
            settings.gateway_listen.rsplit(":", 1)[0] + f":{server.port}",
            settings.bus,
            "mTLS" if credentials else "plaintext",
        )
        try:
            yield RunningGateway(server, dispatcher, bus)
        finally:
            await server.stop()
            await dispatcher.stop()
    finally:
        await audit.close()
        await bus.stop()


@contextlib.asynccontextmanager
async def adapter(
    settings: Settings, name: str, health_listen: str | None = None
) -> AsyncIterator[Adapter]:
    """A running adapter for system `name`, a member of that system's consumer group.

    With `health_listen`, it answers grpc.health.v1 there (SERVING once it consumes), so
    an orchestrator can probe an adapter like the gateway and the mocks.
    """
    bus = _bus(settings, f"adapter-{name}")
    await bus.start()
    runner = Adapter(
        bus,
        settings.topics,
        ADAPTERS[name],
        settings.mock_addresses[name],
        keyring(settings, f"adapter-{name}"),
    )
    health = GrpcServer(health_listen, []) if health_listen else None
    try:
        await runner.start()
        async with _background(runner.run(), f"adapter-{name}"):
            if health is not None:
                await health.start()
                await health.set_serving(True)
                log.info("adapter %s: health on %s", name, health_listen)
            yield runner
    finally:
        if health is not None:
            await health.stop(0)
        await runner.stop()
        await bus.stop()


BASE_PACK = Path(__file__).resolve().parent.parent / "mocks" / "packs" / "base.yaml"


def load_packs(system: MockSystem, packs: Sequence[Path]) -> None:
    """Seed the default session with each pack's records for this system, and its faults."""
    session = system.sessions.get(DEFAULT_SESSION)
    for path in packs:
        scenario = scenarios.load(path)
        session.seed(scenario.records.get(system.name, []))
        if system.name in scenario.faults:
            session.faults = FaultPlan.from_message(scenario.faults[system.name], time.time())
        log.info("mock %s: loaded pack %s", system.name, scenario.name)


def population(settings: Settings, name: str) -> list[RecordSource]:
    """The synthetic world's records of system `name` (none when the population is 0)."""
    if settings.population <= 0:
        return []
    started = time.monotonic()
    world = World.build(settings.population, settings.population_seed)
    source = PopulationSource(world, name, RULES[name])
    log.info("mock %s: %d synthetic records from %d people (seed %d) in %.1f s", name,
             len(source), settings.population, settings.population_seed,
             time.monotonic() - started)  # fmt: skip
    return [source]


def example_commands(settings: Settings) -> list[str]:
    """`interop check` lines for a few synthetic travellers with something to show."""
    if settings.population <= 0:
        return []
    lines = []
    for what, person in examples(World.build(settings.population, settings.population_seed)):
        lines.append(
            f"  # {what}\n  interop check --surname {shlex.quote(person.surname)} "
            f"--given-names {shlex.quote(' '.join(person.given_names))} "
            f"--dob {person.date_of_birth} --nationality {person.nationality} "
            f"--document {person.document_number}"
        )
    return lines


@contextlib.asynccontextmanager
async def mock(settings: Settings, name: str) -> AsyncIterator[MockSystem]:
    """A mock system serving on its configured address, with MockControl beside it."""
    system = MockSystem(name, RULES[name], await asyncio.to_thread(population, settings, name))
    load_packs(system, [BASE_PACK, *(Path(p) for p in settings.scenarios)])
    server = GrpcServer(
        settings.mock_addresses[name], [system.service(), MockControl(system).service()]
    )
    await server.start()
    await server.set_serving(True)
    log.info("mock %s listening on %s", name, settings.mock_addresses[name])
    try:
        yield system
    finally:
        await server.stop()


@dataclass
class RunningStack:
    gateway: RunningGateway
    mocks: dict[str, MockSystem]


@contextlib.asynccontextmanager
async def whole_stack(
    settings: Settings, systems: Sequence[str] = tuple(SYSTEMS)
) -> AsyncIterator[RunningStack]:
    """Mocks, adapters and the gateway of every system, started in dependency order."""
    async with contextlib.AsyncExitStack() as stack:
        mocks = {name: await stack.enter_async_context(mock(settings, name)) for name in systems}
        for name in systems:
            await stack.enter_async_context(adapter(settings, name))
        yield RunningStack(await stack.enter_async_context(gateway(settings)), mocks)


@contextlib.asynccontextmanager
async def _background(coro: Coroutine[object, object, None], name: str) -> AsyncIterator[None]:
    task = asyncio.create_task(coro, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
