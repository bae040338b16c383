"""Coordinated omission: a mock frozen for one second, seen by the open loop, hidden by the closed.

The mock is frozen through MockControl (a fixed latency of one second on the default
session, cleared a second later). Open loop keeps sending at its rate, so about a
second's worth of checks wait for the mock and the p99 shows the stall. A closed-loop
caller sends nothing while its one check waits: one or two slow checks among
hundreds, below the p99. Validity is not asserted: a generator starved of CPU on a busy
machine still counts the stall from the intended send time, which is the point here.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest
from hdrh.histogram import HdrHistogram

from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from loadtest.load.cli import build_parser, plan_of, pool_of
from loadtest.load.execute import execute
from loadtest.load.report import RunReport
from loadtest.load.summary import Latency
from loadtest.processes import ProcessStack
from tests.loadtest.conftest import POPULATION

FREEZE_MS = 1000
FREEZE_AT_S = 3.0


async def freeze(mock: str, at_s: float) -> None:
    """From `at_s` on, the mock answers every call a second late, for one second."""
    await asyncio.sleep(at_s)
    async with grpc.aio.insecure_channel(mock) as channel:
        control = mock_pb2_grpc.MockControlStub(channel)
        slow = mock_pb2.Faults(latency_ms=FREEZE_MS)
        await control.SetFaults(mock_pb2.SetFaultsRequest(faults=slow), timeout=5)
        try:
            await asyncio.sleep(FREEZE_MS / 1000)
        finally:
            await control.SetFaults(mock_pb2.SetFaultsRequest(faults=mock_pb2.Faults()), timeout=5)


async def run_with_freeze(stack: ProcessStack, *shape: str) -> RunReport:
    mix = "--distinct 200 --variants exact --purposes border-entry --warmup 0s"
    target = f"--target {stack.target} --population {POPULATION}"
    args = build_parser().parse_args(["run", *target.split(), *mix.split(), *shape])
    plan = plan_of(args)
    run = asyncio.create_task(execute(plan, pool_of(plan), show_progress=False))
    await freeze(stack.mock_addresses["vis"], FREEZE_AT_S)
    return await run


def stalled(latency: Latency) -> int:
    """How many checks took at least (nearly) the freeze."""
    histogram = HdrHistogram.decode(latency.hdr.encode())
    threshold_us = 0.95 * FREEZE_MS * 1000
    return sum(
        item.count_at_value_iterated_to
        for item in histogram.get_recorded_iterator()
        if item.value_iterated_to >= threshold_us
    )


@pytest.mark.slow
async def test_open_loop_shows_the_frozen_second_closed_loop_hides_it(
    memory_stack: ProcessStack,
) -> None:
    opened = (await run_with_freeze(memory_stack, "--rate", "40", "--duration", "8s")).summary
    # About 40 of 320 checks were meant to be sent while VIS was frozen: far more than 1 %.
    assert stalled(opened.latency) >= 0.05 * opened.latency.count, opened.latency
    assert opened.latency.p99_ms >= 0.95 * FREEZE_MS, opened.latency

    closed = (
        await run_with_freeze(memory_stack, "--concurrency", "1", "--duration", "10s")
    ).summary
    # The one caller waited through the freeze once (twice if it sent just before the end).
    assert 1 <= stalled(closed.latency) <= 2, closed.latency
    if closed.latency.count >= 200:  # then two checks are at most 1 %: under the p99
        assert closed.latency.p99_ms < 0.95 * FREEZE_MS, closed.latency
