"""Two replicas of every adapter, as separate processes on Kafka, share each system's
queries: both replicas of a system take part, and every query is answered once."""

from __future__ import annotations

import re
import shutil
import uuid

import grpc
import pytest

from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from systems import REGISTRY
from tests.e2e.stacks import SPECIMEN, ProcessStack

pytestmark = pytest.mark.kafka

# Within the territory all five systems are asked. Keys (correlation ids) spread the
# queries over the topic's four partitions: with this many, a replica that owns a
# partition gets work with certainty in practice (a miss is under 1e-4).
EVERY_SYSTEM = pb.CheckRequest(purpose=pb.PURPOSE_IN_TERRITORY_CHECK, traveller=SPECIMEN)
CHECKS = 40
STOPPED = re.compile(r"adapter (\w+) stopped: (\d+) answered")


def _answered(log: str) -> dict[str, int]:
    """Queries each adapter in a process's log answered, from its line on stopping."""
    return {system: int(count) for system, count in STOPPED.findall(log)}


async def _calls(address: str, session: str) -> list[str]:
    async with grpc.aio.insecure_channel(address) as channel:
        control = mock_pb2_grpc.MockControlStub(channel)
        calls = await control.ListCalls(
            mock_pb2.ListCallsRequest(), metadata=session_metadata(session), timeout=10
        )
    return [f"{call.method} {call.status}" for call in calls.calls]


async def test_two_replicas_share_each_systems_queries_and_answer_each_once(
    kafka_bootstrap: str,
) -> None:
    # Ready means every adapter process reports SERVING, which it does only once its group
    # gave it partitions of its system's topic.
    stack = ProcessStack(kafka_bootstrap, adapter_replicas=2, population=0)
    session = f"replicas-{uuid.uuid4().hex[:8]}"
    try:
        await stack.start()
        async with grpc.aio.insecure_channel(stack.target) as channel:
            stub = border_check_pb2_grpc.BorderCheckStub(channel)
            for _ in range(CHECKS):
                report = await stub.Check(
                    EVERY_SYSTEM, metadata=session_metadata(session), timeout=10
                )
                assert {o.status for o in report.outcomes} == {pb.OUTCOME_STATUS_ANSWERED}
        for system in REGISTRY.names:
            calls = await _calls(stack.mock_addresses[system], session)
            assert calls == ["Search OK"] * CHECKS, f"{system}: each query asked once"
    finally:
        await stack.stop(keep_state=True)
    try:
        logs = {log.stem: log.read_text(errors="replace") for log in stack.logs.glob("*.log")}
    finally:
        shutil.rmtree(stack.state, ignore_errors=True)
    assert "duplicate reply" not in logs["gateway"]
    # Every part served with its start-up heap set aside from the garbage collector.
    parts = [name for name in logs if name.startswith(("gateway", "adapter", "mock"))]
    assert len(parts) >= 1 + 2 * len(REGISTRY.names), sorted(logs)
    unsettled = [name for name in parts if "start-up heap settled" not in logs[name]]
    assert not unsettled, unsettled
    for system in REGISTRY.names:
        replicas = [_answered(logs[f"adapter-{system}"]), _answered(logs[f"adapter-{system}-2"])]
        assert all(answered.get(system, 0) > 0 for answered in replicas), (system, replicas)
