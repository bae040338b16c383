"""Through the gateway: a check beyond the bound in flight is refused at once, with
RESOURCE_EXHAUSTED, while the check in flight still gets its report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from tests.e2e.stacks import SPECIMEN, InProcessStack


@pytest_asyncio.fixture(scope="module")
async def stack() -> AsyncIterator[InProcessStack]:
    async with InProcessStack(changes={"max_in_flight": 1}) as running:
        yield running


async def _in_flight(stack: InProcessStack, checks: int) -> None:
    """Until the gateway serves `checks` checks at once."""
    registry = stack.running.telemetry.registry
    deadline = time.monotonic() + 10
    while registry.get_sample_value("interop_gateway_checks_in_flight") != checks:
        assert time.monotonic() < deadline, f"not {checks} check(s) in flight"
        await asyncio.sleep(0.01)


async def test_a_check_beyond_the_bound_gets_resource_exhausted(stack: InProcessStack) -> None:
    stack.freeze_mock("vis")
    try:
        async with grpc.aio.insecure_channel(stack.target) as channel:
            stub = border_check_pb2_grpc.BorderCheckStub(channel)
            slow = pb.CheckRequest(
                purpose=pb.PURPOSE_BORDER_ENTRY, traveller=SPECIMEN, deadline_ms=1500
            )
            first = asyncio.ensure_future(stub.Check(slow, timeout=10))
            await _in_flight(stack, 1)  # waiting for the frozen VIS
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await stub.Check(slow, timeout=10)
            report = await first
    finally:
        stack.thaw_mock("vis")
    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "in flight" in (refused.value.details() or "")
    vis = next(o for o in report.outcomes if o.system == 2)
    assert vis.status == pb.OUTCOME_STATUS_TIMEOUT


async def test_stopping_the_gateway_lets_the_checks_in_flight_finish() -> None:
    async with InProcessStack() as stack, grpc.aio.insecure_channel(stack.target) as channel:
        stack.freeze_mock("vis")
        stub = border_check_pb2_grpc.BorderCheckStub(channel)
        # Longer than a short shutdown grace would allow.
        request = pb.CheckRequest(
            purpose=pb.PURPOSE_BORDER_ENTRY, traveller=SPECIMEN, deadline_ms=2500
        )
        in_flight = asyncio.ensure_future(stub.Check(request, timeout=10))
        await _in_flight(stack, 1)
        stopping = asyncio.create_task(stack.stop())
        report = await in_flight
        await stopping
    statuses = {o.system: o.status for o in report.outcomes}
    assert statuses[2] == pb.OUTCOME_STATUS_TIMEOUT
    assert list(statuses.values()).count(pb.OUTCOME_STATUS_ANSWERED) == 3
