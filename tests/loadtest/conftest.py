"""The all-in-one stack (`interop up` as a subprocess) shared by the load runs of a session."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from loadtest.processes import ProcessStack, Topology

POPULATION = 2000


@pytest_asyncio.fixture(scope="session")
async def memory_stack() -> AsyncIterator[ProcessStack]:
    stack = ProcessStack(topology=Topology.ALL_IN_ONE, population=POPULATION, log_level="WARNING")
    try:
        await stack.start()
        yield stack
    finally:
        await stack.stop()
