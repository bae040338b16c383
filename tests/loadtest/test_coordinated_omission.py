"""Coordinated omission: a mock frozen for one second, seen by the open loop, hidden by the closed.

The mock is frozen through MockControl (a fixed latency of one second on the default
session, cleared a second later). Open loop keeps sending at its rate, so about a
second's worth of checks wait for the mock and the p99 shows the stall. A closed-loop
caller sends nothing while its one check waits: one or two slow checks among
hundreds, below the p99.
"""

from __future__ import annotations

import asyncio

import grpc
import pytest

from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from loadtest.cli import build_parser, plan_of, pool_of
from loadtest.execute import execute
from loadtest.launch import Stack
from loadtest.report import RunReport
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


async def run_with_freeze(stack: Stack, *shape: str) -> RunReport:
    mix = "--distinct 200 --variants exact --purposes border-entry --warmup 0s"
    target = f"--target {stack.gateway} --population {POPULATION}"
    args = build_parser().parse_args(["run", *target.split(), *mix.split(), *shape])
    plan = plan_of(args)
    run = asyncio.create_task(execute(plan, pool_of(plan), show_progress=False))
    await freeze(stack.mocks["vis"], FREEZE_AT_S)
    return await run


@pytest.mark.slow
async def test_open_loop_shows_the_frozen_second_closed_loop_hides_it(memory_stack: Stack) -> None:
    opened = await run_with_freeze(memory_stack, "--rate", "40", "--duration", "8s")
    assert opened.valid, opened.invalid_reasons
    stalled = opened.summary.latency
    # About 40 of 320 checks waited a second for VIS: far more than 1 %.
    assert stalled.p99_ms >= 0.95 * FREEZE_MS, stalled
    assert max(p.p99_ms or 0 for p in opened.timeline) >= 0.95 * FREEZE_MS

    closed = await run_with_freeze(memory_stack, "--concurrency", "1", "--duration", "10s")
    hidden = closed.summary.latency
    assert hidden.max_ms >= 0.95 * FREEZE_MS, "the freeze fell outside the closed-loop run"
    assert hidden.p99_ms < 0.5 * FREEZE_MS, (
        f"closed loop: {hidden.count} checks, p99 {hidden.p99_ms} ms; with fewer than a "
        "few hundred checks in 10 s the one slow check reaches the p99"
    )
