"""What an adapter tells the gateway when its system fails a call: each gRPC status as
the outcome it means for the report, with the system's own words as the detail."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import pytest
import pytest_asyncio

from adapters.mock_client import MockSystemClient
from adapters.runtime import Adapter
from broker.domain.answers import Answer
from broker.domain.trace import CheckTrace
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.dispatcher import BusDispatcher
from broker.transport.envelope import Keyring
from broker.transport.grpc_server import GrpcServer
from broker.transport.topics import Topics
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from mocks.faults import FaultPlan
from mocks.service import MockSystem
from mocks.session import DEFAULT_SESSION
from stack.bootstrap import adapter_keyring, dev_channels, gateway_keyring, mock_system
from stack.settings import Settings
from systems import REGISTRY

SIS = REGISTRY["sis"]
TOPICS = Topics(prefix="adapter-errors")


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    directory = tmp_path_factory.mktemp("keys")
    Keyring.generate_dev(directory, dev_channels(REGISTRY, ["gw1"]))
    return Settings(keys_dir=str(directory))


@dataclass
class ToSis:
    """The gateway's dispatcher, the SIS adapter, and the SIS mock it calls over gRPC."""

    mock: MockSystem
    dispatcher: BusDispatcher

    async def ask(self, query: bus_pb2.SystemQuery) -> Answer:
        query.correlation_id = "c1"
        query.system = SIS.spec.value
        query.deadline_unix_ms = int(time.time() * 1000) + 10_000
        deadline = time.monotonic() + 10
        trace = CheckTrace.continuing(None)
        [answer] = [a async for a in self.dispatcher.ask("c1", [query], deadline, trace)]
        return answer


@pytest_asyncio.fixture
async def path(settings: Settings) -> AsyncIterator[ToSis]:
    mock = mock_system(SIS)
    server = GrpcServer("127.0.0.1:0", [mock.service()])
    await server.start()
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    dispatcher = BusDispatcher(bus, TOPICS, "gw1", gateway_keyring(settings), REGISTRY.catalog)
    await dispatcher.start()
    client = MockSystemClient(server.address, SIS.mock.service, SIS.translate)
    adapter = Adapter(bus, TOPICS, SIS.spec, client, adapter_keyring(settings, "sis"))
    await adapter.start()
    running = asyncio.create_task(adapter.run())
    yield ToSis(mock, dispatcher)
    running.cancel()
    await adapter.stop()
    await dispatcher.stop()
    await bus.stop()
    await server.stop(0)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (grpc.StatusCode.PERMISSION_DENIED, pb.OUTCOME_STATUS_NOT_PERMITTED),
        (grpc.StatusCode.UNAVAILABLE, pb.OUTCOME_STATUS_UNAVAILABLE),
        (grpc.StatusCode.DEADLINE_EXCEEDED, pb.OUTCOME_STATUS_TIMEOUT),
        (grpc.StatusCode.INTERNAL, pb.OUTCOME_STATUS_ERROR),
        (grpc.StatusCode.INVALID_ARGUMENT, pb.OUTCOME_STATUS_ERROR),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, pb.OUTCOME_STATUS_ERROR),
    ],
    ids=lambda value: value.name if isinstance(value, grpc.StatusCode) else None,
)
async def test_a_failed_call_is_the_outcome_its_status_means(
    path: ToSis, code: grpc.StatusCode, status: pb.OutcomeStatus.ValueType
) -> None:
    faults = FaultPlan(error_probability=1.0, error_code=code, error_message="said by SIS")
    path.mock.sessions.get(DEFAULT_SESSION).faults = faults
    answer = await path.ask(bus_pb2.SystemQuery(traveller=pb.Traveller(surname="X")))
    assert (answer.status, answer.detail) == (status, f"{code.name}: said by SIS")
    assert answer.hits == ()


async def test_a_crossing_for_a_system_that_records_none_is_an_error(path: ToSis) -> None:
    crossing = bus_pb2.Crossing(direction=pb.CROSSING_DIRECTION_ENTRY, date="2026-11-30")
    answer = await path.ask(
        bus_pb2.SystemQuery(traveller=pb.Traveller(surname="X"), crossing=crossing)
    )
    assert answer.status == pb.OUTCOME_STATUS_ERROR
    assert answer.detail == "sis does not record crossings"
    assert not path.mock.sessions.get(DEFAULT_SESSION).calls, "the system is not asked"
