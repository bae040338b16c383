"""One stack per bus for the whole test session: in-process on memory, processes on Kafka."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest
import pytest_asyncio

from interop.v1 import border_check_pb2_grpc
from tests.e2e.stacks import InProcessStack, ProcessStack, Stack


@pytest_asyncio.fixture(
    scope="session", params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)]
)
async def stack(request: pytest.FixtureRequest) -> AsyncIterator[Stack]:
    running: Stack
    if request.param == "kafka":
        running = ProcessStack(request.getfixturevalue("kafka_bootstrap"))
    else:
        running = InProcessStack()
    try:
        await running.start()
        yield running
    finally:
        await running.stop()


@pytest_asyncio.fixture
async def client(stack: Stack) -> AsyncIterator[border_check_pb2_grpc.BorderCheckStub]:
    async with grpc.aio.insecure_channel(stack.target) as channel:
        yield border_check_pb2_grpc.BorderCheckStub(channel)
