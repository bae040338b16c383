"""The composition root: the one module that wires the gateway, the adapters and the mocks.

`interop up` runs everything in one process on one bus; `interop serve ...` runs one part
(or, for a small deployment, all adapters or all mocks) per process, with several
gateways and adapter replicas where needed. The parts of one process share its metrics
(`Telemetry`), served with `--metrics-listen`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shlex
import time
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from adapters.metrics import AdapterFamilies, AdapterMetrics
from adapters.mock_client import MockSystemClient
from adapters.port import BorderSystemClient
from adapters.runtime import Adapter
from broker.audit.sink import AuditSink
from broker.domain.links import link_hits
from broker.domain.profiles import AccessPolicy, adapter_identity, parse_profile_map
from broker.gateway.metrics import GatewayMetrics
from broker.gateway.servicer import BorderCheckServicer
from broker.service.admission import Admission
from broker.service.breaker import Breaker
from broker.service.limit import AdaptiveLimit
from broker.service.ports import Ports, SystemClock
from broker.transport.bus import Bus
from broker.transport.bus.factory import make_bus
from broker.transport.call_guard import CallGuard
from broker.transport.dispatcher import BusDispatcher
from broker.transport.envelope import (
    ChannelKeys,
    Keyring,
    audit_channel,
    query_channel,
    reply_channel,
)
from broker.transport.grpc_server import GrpcServer, Service, listened_on
from broker.transport.health import HealthWatch, bus_reachable
from broker.transport.links import Links
from broker.transport.metrics import DispatchMetrics
from broker.transport.telemetry import Telemetry, serving
from broker.transport.topics import Kind
from interop.v1 import border_check_pb2, border_check_pb2_grpc
from mocks import scenarios
from mocks.access import control_audit, is_control, mock_rules
from mocks.engine import RecordSource
from mocks.faults import FaultPlan
from mocks.metrics import MockFamilies, MockMetrics
from mocks.population_source import PopulationSource
from mocks.service import MockControl, MockSystem
from mocks.session import DEFAULT_SESSION
from mocks.world import World, examples
from stack.cores import CoresBusy
from stack.local_link import LocalSystemClient
from stack.settings import Settings
from systems import REGISTRY, BorderSystem, Registry

log = logging.getLogger(__name__)

BASE_PACK = Path(__file__).resolve().parent.parent / "mocks" / "packs" / "base.yaml"


@dataclass
class RunningGateway:
    server: GrpcServer
    dispatcher: BusDispatcher
    bus: Bus


class AddressesTaken(OSError):
    """Addresses this process would listen on are another program's (another stack's)."""


def refuse_taken(addresses: Mapping[str, str]) -> None:
    """Raise AddressesTaken, before anything slow starts, when another program listens on
    one of `addresses` (what -> HOST:PORT, e.g. "mock sis" -> "127.0.0.1:50061")."""
    taken = set(listened_on(addresses.values()))
    if taken:
        named = ", ".join(f"{a} ({what})" for what, a in addresses.items() if a in taken)
        raise AddressesTaken(
            f"another stack seems to be running: something listens on {named}. Stop it, "
            "or start this one on free addresses (--listen, INTEROP_GATEWAY_LISTEN, "
            "INTEROP_MOCK_<SYSTEM>=HOST:PORT)"
        )


def _mock_listens(settings: Settings, names: Sequence[str]) -> dict[str, str]:
    return {f"mock {name}": settings.mock_addresses[name] for name in names}


def _bus(settings: Settings, client_id: str) -> Bus:
    return make_bus(
        settings.bus,
        settings.bootstrap,
        client_id,
        linger_ms=settings.kafka_linger_ms,
        kafka_client=settings.kafka_client,
    )


def dev_channels(registry: Registry, gateway_ids: Sequence[str]) -> tuple[str, ...]:
    """Every key channel of a stack of `registry`'s systems with these gateways."""
    per_system = [
        (query_channel(n), reply_channel(n), audit_channel(_mock_trail(n))) for n in registry.names
    ]
    return (
        *(channel for channels in per_system for channel in channels),
        *(audit_channel(gateway_id) for gateway_id in gateway_ids),
    )


def _mock_trail(name: str) -> str:
    return f"mock-{name}"


def _keys_dir(settings: Settings, registry: Registry, needed: Sequence[str]) -> Path:
    """The key directory; development keys are created there for the channels missing."""
    directory = Path(settings.keys_dir)
    if not all((directory / channel / "current").is_file() for channel in needed):
        log.warning("keys missing in %s: creating development keys", directory)
        Keyring.generate_dev(directory, dev_channels(registry, [settings.gateway_id]))
    return directory


def audit_sink(settings: Settings, bus: Bus, trail: str, registry: Registry) -> AuditSink:
    """The trail `trail`: its file, keyed chain and anchors on the audit topic."""
    channel = audit_channel(trail)
    keys = ChannelKeys.load(_keys_dir(settings, registry, [channel]), channel)
    return AuditSink(Path(settings.trail_path(trail)), bus, settings.topics.audit, keys, trail)


def gateway_keyring(settings: Settings, registry: Registry = REGISTRY) -> Keyring:
    """A gateway seals queries to every system and opens their replies."""
    seals = [query_channel(name) for name in registry.names]
    opens = [reply_channel(name) for name in registry.names]
    directory = _keys_dir(settings, registry, [*seals, *opens])
    return Keyring.load(directory, f"gateway-{settings.gateway_id}", seals, opens)


def adapter_keyring(settings: Settings, name: str, registry: Registry = REGISTRY) -> Keyring:
    """The adapters of a system open its queries and seal its replies, and nothing else."""
    seals, opens = [reply_channel(name)], [query_channel(name)]
    directory = _keys_dir(settings, registry, [*seals, *opens])
    return Keyring.load(directory, adapter_identity(name), seals, opens)


def access_policy(settings: Settings) -> AccessPolicy:
    return AccessPolicy(parse_profile_map(settings.clients), settings.insecure_profile)


def links(settings: Settings) -> Links:
    """mTLS on every link, or plaintext on loopback with --insecure (InsecureLink otherwise)."""
    return Links(Path(settings.tls_dir) if settings.tls_dir else None, settings.insecure)


@contextlib.asynccontextmanager
async def process_metrics(settings: Settings) -> AsyncIterator[Telemetry]:
    """This process's metrics, served on `settings.metrics_listen` when it is set."""
    telemetry = Telemetry()
    if not settings.metrics_listen:
        yield telemetry
        return
    async with serving(telemetry, settings.metrics_listen):
        yield telemetry


@contextlib.asynccontextmanager
async def gateway(
    settings: Settings, registry: Registry = REGISTRY, telemetry: Telemetry | None = None
) -> AsyncIterator[RunningGateway]:
    """A serving gateway; health turns SERVING only once its reply topic is being read.
    Its metrics go to `telemetry` (by default to a registry nobody serves)."""
    refuse_taken({"gateway": settings.gateway_listen})
    observed = telemetry or Telemetry()
    policy = access_policy(settings)
    credentials = links(settings).server(settings.gateway_listen)
    if credentials is None:
        log.warning(
            "gateway without TLS (--insecure): every caller gets profile %s; loopback only",
            settings.insecure_profile,
        )
    bus = _bus(settings, f"gateway-{settings.gateway_id}")
    await bus.start()
    audit = audit_sink(settings, bus, settings.gateway_id, registry)
    try:
        dispatcher = BusDispatcher(
            bus,
            settings.topics,
            settings.gateway_id,
            gateway_keyring(settings, registry),
            registry.catalog,
            DispatchMetrics(observed.registry, registry.catalog),
        )
        await dispatcher.start()
        ports = Ports(
            registry.catalog,
            policy,
            settings.limits,
            dispatcher,
            audit,
            link_hits,
            SystemClock(),
            admission(settings),
            Breaker(settings.breaker_failures, settings.breaker_probe_ms / 1000),
        )
        metrics = GatewayMetrics(observed.registry, ports)
        servicer = BorderCheckServicer(ports, tls=credentials is not None, metrics=metrics)
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
        watch = HealthWatch(
            f"gateway {settings.gateway_id}", server, [bus_reachable(bus), dispatcher.trouble]
        )
        await watch.evaluate()
        log.info(
            "gateway %s listening on %s (bus %s, %s)",
            settings.gateway_id,
            server.address,
            settings.bus,
            "mTLS" if credentials else "plaintext",
        )
        try:
            async with _background(watch.run(), "gateway-health"):
                yield RunningGateway(server, dispatcher, bus)
        finally:
            # New checks are refused at once; those in flight get until their deadline.
            await server.stop(grace=settings.limits.max_deadline_ms / 1000 + 1)
            await dispatcher.stop()
    finally:
        await audit.close()
        await bus.stop()


def admission(settings: Settings) -> Admission:
    adaptive = (
        AdaptiveLimit(settings.max_in_flight, cores_busy=CoresBusy())
        if settings.admission == "adaptive"
        else None
    )
    return Admission(settings.max_in_flight, settings.max_in_flight_per_client, adaptive)


@contextlib.asynccontextmanager
async def adapters(
    settings: Settings,
    names: Sequence[str],
    health_listen: str | None = None,
    registry: Registry = REGISTRY,
    clients: Mapping[str, BorderSystemClient] | None = None,
    telemetry: Telemetry | None = None,
) -> AsyncIterator[list[Adapter]]:
    """Running adapters for the systems `names`, each a member of its system's consumer
    group, sharing one bus connection (one process for all adapters of a small site).

    Each calls its system through `clients[name]`, by default the gRPC client of its mock.
    With `health_listen`, grpc.health.v1 answers there (SERVING once all consume), so an
    orchestrator can probe adapters like the gateway and the mocks. Their metrics go to
    `telemetry`, their consumer lag read before each scrape.
    """
    observed = telemetry or Telemetry()
    families = AdapterFamilies(observed.registry)
    label = ",".join(names)
    secured = links(settings)
    health = GrpcServer(health_listen, [], secured.server(health_listen)) if health_listen else None
    bus = _bus(settings, f"adapter-{label}")
    await bus.start()
    chosen = [registry[name] for name in names]
    runners = [
        Adapter(
            bus,
            settings.topics,
            system.spec,
            (clients or {}).get(system.name) or _system_client(settings, secured, system),
            adapter_keyring(settings, system.name, registry),
            metrics=AdapterMetrics(families, system.name),
        )
        for system in chosen
    ]
    try:
        async with contextlib.AsyncExitStack() as running:
            for runner in runners:
                await runner.start()
                running.push_async_callback(runner.stop)
                await running.enter_async_context(_background(runner.run(), runner.group))
                observed.refreshes.append(runner.measure_lag)
                running.callback(observed.refreshes.remove, runner.measure_lag)
            if health is not None:
                await health.start()
                running.push_async_callback(health.stop, 0)
                checks = [bus_reachable(bus), *(runner.trouble for runner in runners)]
                watch = HealthWatch(f"adapters {label}", health, checks)
                await watch.evaluate()
                await running.enter_async_context(_background(watch.run(), "adapter-health"))
                log.info("adapters %s: health on %s", label, health_listen)
            yield runners
    finally:
        await bus.stop()


def _system_client(settings: Settings, secured: Links, system: BorderSystem) -> MockSystemClient:
    """The adapter's client of its system, as that system's adapter identity over mTLS."""
    address = settings.mock_addresses[system.name]
    credentials = secured.client(address, adapter_identity(system.name))
    return MockSystemClient(address, system.mock.service, system.translate, credentials)


def load_packs(system: MockSystem, packs: Sequence[Path], registry: Registry) -> None:
    """Seed the default session with each pack's records for this system, and its faults;
    a reset of the default session brings them back."""
    session = system.sessions.get(DEFAULT_SESSION)
    faults = None
    for path in packs:
        scenario = scenarios.load(path, registry.names)
        session.seed(scenario.records.get(system.name, []))
        if system.name in scenario.faults:
            faults = scenario.faults[system.name]
            session.faults = FaultPlan.from_message(faults, time.time())
        log.info("mock %s: loaded pack %s", system.name, scenario.name)
    system.sessions.keep_start(DEFAULT_SESSION, session.records, faults)


def population(settings: Settings, system: BorderSystem) -> list[RecordSource]:
    """The synthetic world's records of `system` (none when the population is 0)."""
    share = system.mock.world
    if settings.population <= 0 or share is None:
        return []
    started = time.monotonic()
    world = World.build(settings.population, settings.population_seed)
    source = PopulationSource(world, share, system.mock.rules)
    log.info("mock %s: %d synthetic records from %d people (seed %d) in %.1f s", system.name,
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
            f"--dob {person.date_of_birth} --sex {person.sex} --nationality {person.nationality} "
            f"--document {person.document_number} --issuing-state {person.nationality}"
        )
    return lines


def mock_system(
    system: BorderSystem, base: Sequence[RecordSource] = (), metrics: MockMetrics | None = None
) -> MockSystem:
    """The mock of `system` over `base` records (plus each session's seeded ones)."""
    return MockSystem(
        system.name,
        system.mock.service,
        system.mock.rules,
        base,
        system.spec.records_crossings,
        metrics,
    )


@dataclass
class RunningMocks:
    systems: dict[str, MockSystem]
    # Where each answers (the port it got, when its configured one is 0).
    addresses: dict[str, str]


@contextlib.asynccontextmanager
async def mocks(
    settings: Settings,
    names: Sequence[str],
    registry: Registry = REGISTRY,
    telemetry: Telemetry | None = None,
) -> AsyncIterator[RunningMocks]:
    """The mocks of the systems `names`, each serving on its configured address with
    MockControl beside it; their metrics go to `telemetry`."""
    refuse_taken(_mock_listens(settings, names))
    families = MockFamilies((telemetry or Telemetry()).registry)
    secured, policy = links(settings), access_policy(settings)
    bus = _bus(settings, f"mocks-{','.join(names)}")
    await bus.start()
    async with contextlib.AsyncExitStack() as running:
        running.push_async_callback(bus.stop)
        await bus.ensure_topics([settings.topics.spec(settings.topics.audit, Kind.AUDIT)])
        served = RunningMocks({}, {})
        for name in names:
            system = registry[name]
            records = await asyncio.to_thread(population, settings, system)
            mock = mock_system(system, records, MockMetrics(families, name))
            load_packs(mock, [BASE_PACK, *(Path(p) for p in settings.scenarios)], registry)
            address = settings.mock_addresses[name]
            audit = audit_sink(settings, bus, _mock_trail(name), registry)
            running.push_async_callback(audit.close)
            rules = mock_rules(name, system.mock.service, policy, secured.tls)
            server = GrpcServer(
                address,
                [mock.service(), MockControl(mock).service()],
                secured.server(address),
                CallGuard(rules, control_audit(audit), is_control),
            )
            await server.start()
            running.push_async_callback(server.stop)
            await server.set_serving(True)
            log.info("mock %s listening on %s", name, server.address)
            served.systems[name] = mock
            served.addresses[name] = server.address
        yield served


@dataclass
class RunningStack:
    gateway: RunningGateway
    mocks: dict[str, MockSystem]
    mock_addresses: dict[str, str]
    telemetry: Telemetry

    @property
    def target(self) -> str:
        """Where the gateway answers."""
        return self.gateway.server.address


@contextlib.asynccontextmanager
async def whole_stack(
    settings: Settings, registry: Registry = REGISTRY, telemetry: Telemetry | None = None
) -> AsyncIterator[RunningStack]:
    """Mocks, adapters and the gateway of every system, started in dependency order; the
    adapters call their mocks in this process directly unless `mock_link` is "grpc". All
    their metrics go to `telemetry`."""
    refuse_taken({"gateway": settings.gateway_listen, **_mock_listens(settings, registry.names)})
    observed = telemetry or Telemetry()
    async with contextlib.AsyncExitStack() as stack:
        served = await stack.enter_async_context(
            mocks(settings, registry.names, registry, observed)
        )
        clients: dict[str, BorderSystemClient] = (
            {
                name: LocalSystemClient(mock, registry[name].translate)
                for name, mock in served.systems.items()
            }
            if settings.mock_link == "local"
            else {}
        )
        bound = settings.with_overrides(mock_addresses=served.addresses)
        await stack.enter_async_context(
            adapters(bound, registry.names, registry=registry, clients=clients, telemetry=observed)
        )
        running = await stack.enter_async_context(gateway(settings, registry, observed))
        yield RunningStack(running, served.systems, served.addresses, observed)


@contextlib.asynccontextmanager
async def _background(coro: Coroutine[object, object, None], name: str) -> AsyncIterator[None]:
    task = asyncio.create_task(coro, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
