"""An outsider with read and write access to the bus topics (issue 10, point 1): a sealed
message is accepted once, only by the system it is for, with the routing it was sealed
with; everything else goes to the dead-letter topic with its reason, and a crossing is
recorded once however often it arrives."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest_asyncio

from broker.transport.bus import Bus, Message
from broker.transport.inbox import DEAD_LETTER_REASON
from broker.transport.metadata import session_metadata
from broker.transport.topics import Kind, Topics
from broker.transport.wire import DEADLINE, REPLY_TO, SYSTEM
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from interop.v1 import systems_pb2 as s
from tests.e2e.stacks import SPECIMEN, Stack, tap

Outsider = tuple[Bus, Topics]


@pytest_asyncio.fixture
async def outsider(stack: Stack) -> AsyncIterator[Outsider]:
    bus, topics = tap(stack)
    await bus.start()
    yield bus, topics
    await bus.stop()


async def _records(
    bus: Bus, topic: str, key: bytes, count: int, wait: float = 10.0
) -> list[Message]:
    """Up to `count` records with `key` on `topic`, from its start, waiting at most `wait` s."""
    subscription = await bus.subscribe([topic], group=f"outsider-{uuid.uuid4().hex}")
    await subscription.ready()
    found: list[Message] = []
    try:
        async with asyncio.timeout(wait):
            async for message in subscription:
                if message.key == key:
                    found.append(message)
                if len(found) == count:
                    break
    except TimeoutError:
        pass
    finally:
        await subscription.close()
    return found


def _reasons(messages: list[Message]) -> list[str]:
    return [m.headers[DEAD_LETTER_REASON].decode().split(":")[0] for m in messages]


async def _calls(stack: Stack, system: str, session: str) -> int:
    """How often the mock of `system` was called in `session`."""
    async with grpc.aio.insecure_channel(stack.mock_addresses[system]) as channel:
        calls = await mock_pb2_grpc.MockControlStub(channel).ListCalls(
            mock_pb2.ListCallsRequest(), metadata=session_metadata(session), timeout=10
        )
    return len(calls.calls)


async def _checked(
    client: border_check_pb2_grpc.BorderCheckStub, session: str, deadline_ms: int = 30_000
) -> pb.HitReport:
    request = pb.CheckRequest(
        purpose=pb.PURPOSE_BORDER_ENTRY,
        traveller=SPECIMEN,
        systems=[s.SYSTEM_SIS],
        deadline_ms=deadline_ms,
    )
    report: pb.HitReport = await client.Check(
        request, metadata=session_metadata(session), timeout=35
    )
    return report


async def _sis_query(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub, outsider: Outsider, **kw: int
) -> tuple[str, Message]:
    """A check asked of SIS in a session of its own, and its sealed query as the bus holds it."""
    bus, topics = outsider
    session = f"forgery-{uuid.uuid4().hex[:8]}"
    report = await _checked(client, session, **kw)
    key = report.correlation_id.encode()
    [query] = await _records(bus, topics.request("sis"), key, 1)
    return session, query


async def test_a_replayed_query_is_answered_once(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub, outsider: Outsider
) -> None:
    bus, topics = outsider
    session, query = await _sis_query(stack, client, outsider)
    for _ in range(4):
        await bus.publish(query.topic, query.key, query.value, dict(query.headers))
    dead = await _records(bus, topics.dead_letter, query.key, 4)
    assert _reasons(dead) == ["replayed"] * 4
    assert await _calls(stack, "sis", session) == 1


async def test_a_query_copied_to_another_systems_topic_is_refused(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub, outsider: Outsider
) -> None:
    bus, topics = outsider
    session, query = await _sis_query(stack, client, outsider)
    await bus.publish(topics.request("vis"), query.key, query.value, dict(query.headers))
    relabelled = {**query.headers, SYSTEM: b"vis"}
    await bus.publish(topics.request("vis"), query.key, query.value, relabelled)
    dead = await _records(bus, topics.dead_letter, query.key, 2)
    assert _reasons(dead) == ["wrong-system", "forged"]
    assert await _calls(stack, "vis", session) == 0


async def test_a_rewritten_reply_to_sends_nothing_anywhere(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub, outsider: Outsider
) -> None:
    bus, topics = outsider
    session, query = await _sis_query(stack, client, outsider)
    stolen = topics.reply(f"outsider-{uuid.uuid4().hex[:8]}")
    await bus.ensure_topics([topics.spec(stolen, Kind.REPLY)])
    await bus.publish(
        query.topic, query.key, query.value, {**query.headers, REPLY_TO: stolen.encode()}
    )
    assert _reasons(await _records(bus, topics.dead_letter, query.key, 1)) == ["forged"]
    assert await _records(bus, stolen, query.key, 1, wait=1.0) == []
    assert await _calls(stack, "sis", session) == 1


async def test_an_expired_query_with_a_new_deadline_is_refused(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub, outsider: Outsider
) -> None:
    bus, topics = outsider
    session, query = await _sis_query(stack, client, outsider, deadline_ms=300)
    await asyncio.sleep(0.5)
    revived = {**query.headers, DEADLINE: str(int(time.time() * 1000) + 60_000).encode()}
    await bus.publish(query.topic, query.key, query.value, revived)
    assert _reasons(await _records(bus, topics.dead_letter, query.key, 1)) == ["forged"]
    assert await _calls(stack, "sis", session) == 1


async def test_a_crossing_is_recorded_once_however_often_it_arrives(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub, outsider: Outsider
) -> None:
    bus, topics = outsider
    session = f"crossing-{uuid.uuid4().hex[:8]}"
    number = f"R{uuid.uuid4().hex[:8].upper()}"
    traveller = pb.Traveller(
        surname="REPLAYED", given_names=["ONCE"], date_of_birth="1990-01-01", sex=pb.SEX_MALE,
        nationality="UTO", document=pb.Document(number=number, issuing_state="UTO"),
    )  # fmt: skip
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    request = pb.RecordCrossingRequest(
        request_id=f"crossing-{number}",
        traveller=traveller,
        direction=pb.CROSSING_DIRECTION_ENTRY,
        date=day,
        deadline_ms=30_000,
    )
    metadata = session_metadata(session)
    first = await client.RecordCrossing(request, metadata=metadata, timeout=35)
    [query] = await _records(bus, topics.request("ees"), first.correlation_id.encode(), 1)
    for _ in range(2):
        await bus.publish(query.topic, query.key, query.value, dict(query.headers))
    assert _reasons(await _records(bus, topics.dead_letter, query.key, 2)) == ["replayed"] * 2
    retried = await client.RecordCrossing(request, metadata=metadata, timeout=35)
    assert retried.outcome.status == pb.OUTCOME_STATUS_ANSWERED
    check = pb.CheckRequest(
        purpose=pb.PURPOSE_BORDER_ENTRY, traveller=traveller, systems=[s.SYSTEM_EES]
    )
    report = await client.Check(check, metadata=metadata, timeout=10)
    [file] = report.hits
    assert [(c.direction, c.date) for c in file.ees.crossings] == [("ENTRY", day)]
