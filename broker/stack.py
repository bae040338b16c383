"""Wiring: the one module that knows the gateway, the adapters and the mocks together.

`interop up` runs everything in one process on one bus; `interop serve ...` runs one
part per process for deployments with several gateways and adapter replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine, Sequence
from dataclasses import dataclass

from adapters.registry import ADAPTERS
from adapters.runtime import Adapter
from broker.access import AccessPolicy
from broker.bus import Bus
from broker.bus.factory import make_bus
from broker.config import Settings
from broker.dispatch import Dispatcher
from broker.gateway import Gateway
from broker.links import link_hits
from broker.serving import GrpcServer, Service
from broker.systems import SYSTEMS
from interop.v1 import border_check_pb2, border_check_pb2_grpc, bus_pb2
from mocks.fixed_data import fixed_stores
from mocks.service import MockSystem

log = logging.getLogger(__name__)


@dataclass
class RunningGateway:
    server: GrpcServer
    dispatcher: Dispatcher
    bus: Bus


def _bus(settings: Settings, client_id: str) -> Bus:
    return make_bus(settings.bus, settings.bootstrap, client_id)


@contextlib.asynccontextmanager
async def gateway(
    settings: Settings, policy: AccessPolicy | None = None
) -> AsyncIterator[RunningGateway]:
    """A serving gateway; health turns SERVING only once its reply topic is being read."""
    bus = _bus(settings, f"gateway-{settings.gateway_id}")
    await bus.start()
    try:
        dispatcher = Dispatcher(bus, settings.topics, settings.gateway_id)
        await dispatcher.start()

        async def audit(record: bus_pb2.AuditRecord) -> None:
            await bus.publish(
                settings.topics.audit, record.correlation_id.encode(), record.SerializeToString()
            )

        servicer = Gateway(
            settings, dispatcher, policy or AccessPolicy({}), audit, link_hits, tls=False
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
        )
        await server.start()
        await server.set_serving(True)
        log.info(
            "gateway %s listening on %s (bus %s)",
            settings.gateway_id,
            settings.gateway_listen.rsplit(":", 1)[0] + f":{server.port}",
            settings.bus,
        )
        try:
            yield RunningGateway(server, dispatcher, bus)
        finally:
            await server.stop()
            await dispatcher.stop()
    finally:
        await bus.stop()


@contextlib.asynccontextmanager
async def adapter(settings: Settings, name: str) -> AsyncIterator[Adapter]:
    """A running adapter for system `name`, a member of that system's consumer group."""
    bus = _bus(settings, f"adapter-{name}")
    await bus.start()
    runner = Adapter(bus, settings.topics, ADAPTERS[name], settings.mock_addresses[name])
    try:
        await runner.start()
        async with _background(runner.run(), f"adapter-{name}"):
            yield runner
    finally:
        await runner.stop()
        await bus.stop()


@contextlib.asynccontextmanager
async def mock(settings: Settings, name: str) -> AsyncIterator[MockSystem]:
    """A mock system serving on its configured address."""
    system = MockSystem(name, fixed_stores()[name])
    server = GrpcServer(settings.mock_addresses[name], [system.service()])
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
