"""MockControl on a real mock server: seeding, faults, call log, isolation per session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from broker.transport.grpc_server import GrpcServer
from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.service import MockControl
from stack.bootstrap import mock_system
from systems import REGISTRY

PERSON = pb.Traveller(
    surname="KAUR",
    given_names=["SIMRAN"],
    date_of_birth="1992-02-14",
    nationality="IND",
    document=pb.Document(number="Z1234567"),
)
RECORD = mock_pb2.MockRecord(
    record_id="SIS-T-1",
    identity=PERSON,
    sis=s.SisAlert(category=s.SIS_ALERT_CATEGORY_INQUIRY_CHECK),
)


@pytest_asyncio.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    system = mock_system(REGISTRY["sis"])
    server = GrpcServer("127.0.0.1:0", [system.service(), MockControl(system).service()])
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield channel
    await server.stop(0)


def session(name: str) -> tuple[tuple[str, str], ...]:
    return session_metadata(name)


async def search(
    channel: grpc.aio.Channel, who: str, timeout: float = 5
) -> mock_pb2.SearchResponse:
    stub = mock_pb2_grpc.SisMockStub(channel)
    request = mock_pb2.SearchRequest(traveller=PERSON)
    response: mock_pb2.SearchResponse = await stub.Search(
        request, metadata=session(who), timeout=timeout
    )
    return response


async def set_faults(channel: grpc.aio.Channel, who: str, **faults: object) -> None:
    control = mock_pb2_grpc.MockControlStub(channel)
    await control.SetFaults(
        mock_pb2.SetFaultsRequest(faults=mock_pb2.Faults(**faults)),  # type: ignore[arg-type]
        metadata=session(who),
        timeout=5,
    )


async def test_seeded_records_are_seen_only_by_their_session(channel: grpc.aio.Channel) -> None:
    control = mock_pb2_grpc.MockControlStub(channel)
    seeded = await control.Seed(mock_pb2.SeedRequest(records=[RECORD]), metadata=session("a"))
    assert (seeded.added, seeded.session_records) == (1, 1)
    assert [m.record_id for m in (await search(channel, "a")).matches] == ["SIS-T-1"]
    assert not (await search(channel, "b")).matches
    await control.Reset(mock_pb2.ResetRequest(), metadata=session("a"))
    assert not (await search(channel, "a")).matches


async def test_seed_without_a_record_id_is_invalid(channel: grpc.aio.Channel) -> None:
    control = mock_pb2_grpc.MockControlStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await control.Seed(mock_pb2.SeedRequest(records=[mock_pb2.MockRecord()]))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "records[0].record_id" in (caught.value.details() or "")


async def test_latency_makes_a_short_deadline_expire(channel: grpc.aio.Channel) -> None:
    await set_faults(channel, "slow", latency_ms=3000)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await search(channel, "slow", timeout=0.3)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert (await search(channel, "slow", timeout=10)).matches == []
    # Shorter than the latency: another session is not slowed down.
    assert (await search(channel, "other", timeout=2.5)).matches == []


async def test_every_nth_call_fails_with_the_chosen_status(channel: grpc.aio.Channel) -> None:
    await set_faults(
        channel, "nth", error_every_nth=3, error_code="RESOURCE_EXHAUSTED", error_message="quota"
    )
    outcomes = []
    for _ in range(9):
        try:
            await search(channel, "nth")
            outcomes.append("OK")
        except grpc.aio.AioRpcError as error:
            assert error.details() == "quota"
            outcomes.append(error.code().name)
    assert outcomes == ["OK", "OK", "RESOURCE_EXHAUSTED"] * 3


async def test_error_probability(channel: grpc.aio.Channel) -> None:
    await set_faults(channel, "always", error_probability=1.0)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await search(channel, "always")
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    await set_faults(channel, "half", error_probability=0.5)
    failures = 0
    for _ in range(60):
        try:
            await search(channel, "half")
        except grpc.aio.AioRpcError:
            failures += 1
    assert 10 < failures < 50


async def test_outage_until_reset(channel: grpc.aio.Channel) -> None:
    await set_faults(channel, "down", outage_seconds=600)
    for _ in range(3):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await search(channel, "down")
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    control = mock_pb2_grpc.MockControlStub(channel)
    await control.Reset(mock_pb2.ResetRequest(), metadata=session("down"))
    await search(channel, "down")
    calls = await control.ListCalls(mock_pb2.ListCallsRequest(), metadata=session("down"))
    assert [(c.method, c.status) for c in calls.calls] == [("Search", "OK")], "served again"


async def test_bad_faults_are_refused_naming_the_field(channel: grpc.aio.Channel) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"error_probability": 1.5}, "faults.error_probability"),
        ({"error_code": "NOPE"}, "faults.error_code"),
    ]
    for faults, field in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await set_faults(channel, "x", **faults)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in (caught.value.details() or "")


async def test_calls_are_listed_per_session(channel: grpc.aio.Channel) -> None:
    await asyncio.gather(search(channel, "log"), search(channel, "log"), search(channel, "else"))
    control = mock_pb2_grpc.MockControlStub(channel)
    calls = await control.ListCalls(mock_pb2.ListCallsRequest(), metadata=session("log"))
    assert [(c.method, c.status) for c in calls.calls] == [("Search", "OK")] * 2
    assert calls.calls[0].traveller.document.number == "Z1234567"
    newest = await control.ListCalls(mock_pb2.ListCallsRequest(limit=1), metadata=session("log"))
    assert len(newest.calls) == 1
