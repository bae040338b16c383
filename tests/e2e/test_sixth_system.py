"""A system the broker has never heard of joins with one declaration and one registry line.

The Common Identity Repository stands in for any sixth system: its spec, its adapter's
translation and its mock are declared here, registered, and checked end to end on the
memory bus, through the same gateway, adapter runtime and mock service as the five.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest_asyncio

from adapters.translate import base_hit
from broker.domain.profiles import BORDER_GUARD
from broker.domain.systems import Criterion, SystemSpec
from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from interop.v1 import systems_pb2 as s
from mocks.engine import Rules
from mocks.spec import MockSpec
from systems import REGISTRY, BorderSystem
from tests.e2e.stacks import InProcessStack

SYSTEM_CIR = 6  # not in the proto's System enum: proto3 enums are open


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    return base_hit(match, "CIR_IDENTITY", s.ACTION_VERIFY)


CIR = BorderSystem(
    SystemSpec(
        name="cir",
        value=SYSTEM_CIR,  # type: ignore[arg-type]
        label="CIR",
        searched_by=frozenset({Criterion.IDENTITY, Criterion.DOCUMENT}),
        readers=frozenset({BORDER_GUARD}),
    ),
    translate,
    MockSpec("interop.mock.v1.CirMock", 0, Rules(frozenset({Criterion.IDENTITY}))),
)
PERSON = pb.Traveller(
    surname="OKONKWO", given_names=["CHIDI"], date_of_birth="1988-03-09", nationality="NGA"
)


@pytest_asyncio.fixture(scope="module")
async def stack() -> AsyncIterator[InProcessStack]:
    async with InProcessStack(registry=REGISTRY.with_system(CIR)) as running:
        yield running


async def test_a_sixth_system_is_asked_and_answers_in_the_report(stack: InProcessStack) -> None:
    session = session_metadata("cir-test")
    async with grpc.aio.insecure_channel(stack.mock_addresses["cir"]) as channel:
        await mock_pb2_grpc.MockControlStub(channel).Seed(
            mock_pb2.SeedRequest(records=[mock_pb2.MockRecord(record_id="CIR-1", identity=PERSON)]),
            metadata=session,
            timeout=10,
        )
    request = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=PERSON)
    async with grpc.aio.insecure_channel(stack.target) as channel:
        stub = border_check_pb2_grpc.BorderCheckStub(channel)
        report = await stub.Check(request, metadata=session, timeout=10)
        only_cir = await stub.Check(
            pb.CheckRequest(
                purpose=pb.PURPOSE_BORDER_ENTRY,
                traveller=PERSON,
                systems=[SYSTEM_CIR],  # type: ignore[list-item]
            ),
            metadata=session,
            timeout=10,
        )

    # Eurodac (5) is not asked on entry (Reg. 2024/1358 Art. 1).
    assert [o.system for o in report.outcomes] == [1, 2, 3, 4, SYSTEM_CIR]
    assert all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes)
    [hit] = [h for h in report.hits if h.system == SYSTEM_CIR]
    assert (hit.hit_id, hit.record_id, hit.category) == ("cir-1", "CIR-1", "CIR_IDENTITY")
    assert report.verdict == pb.VERDICT_HIT
    assert [o.system for o in only_cir.outcomes] == [SYSTEM_CIR]
    assert only_cir.hits[0].record_id == "CIR-1"
