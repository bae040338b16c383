"""Running a scenario pack: seed the mocks, run the checks against a gateway, judge them.

A run uses its own test session (the `x-test-session` header, carried by the gateway
through the bus to the mocks), so several runs, and ordinary traffic, can share one
stack without seeing each other's records or faults.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import grpc

from broker.domain.labels import label, short_name
from broker.transport.links import connect_failure, dial
from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from mocks.scenarios import Scenario, as_dict, check_report, mismatches


@dataclass(frozen=True)
class CheckResult:
    name: str
    passed: bool
    problems: tuple[str, ...]
    elapsed_ms: float
    summary: str


async def seed(
    scenario: Scenario,
    mocks: Mapping[str, str],
    session: str,
    credentials: grpc.ChannelCredentials | None = None,
) -> None:
    """Seed records and set faults on each mock the scenario names."""
    for system in {*scenario.records, *scenario.faults}:
        async with dial(mocks[system], credentials) as channel:
            control = mock_pb2_grpc.MockControlStub(channel)
            metadata = session_metadata(session)
            await control.Reset(mock_pb2.ResetRequest(), metadata=metadata, timeout=10)
            if scenario.records.get(system):
                await control.Seed(
                    mock_pb2.SeedRequest(records=scenario.records[system]),
                    metadata=metadata,
                    timeout=30,
                )
            if system in scenario.faults:
                await control.SetFaults(
                    mock_pb2.SetFaultsRequest(faults=scenario.faults[system]),
                    metadata=metadata,
                    timeout=10,
                )


async def reset(
    mocks: Mapping[str, str],
    systems: Sequence[str],
    session: str,
    credentials: grpc.ChannelCredentials | None = None,
) -> None:
    for system in systems:
        async with dial(mocks[system], credentials) as channel:
            control = mock_pb2_grpc.MockControlStub(channel)
            await control.Reset(
                mock_pb2.ResetRequest(), metadata=session_metadata(session), timeout=10
            )


async def run(scenario: Scenario, channel: grpc.aio.Channel, session: str) -> list[CheckResult]:
    stub = border_check_pb2_grpc.BorderCheckStub(channel)
    results = []
    for check in scenario.checks:
        started = time.perf_counter()
        try:
            if check.request is not None:
                report = await stub.Check(
                    check.request, metadata=session_metadata(session), timeout=30
                )
                problems = check_report(check.expect, report)
                summary = _summary(report)
            else:
                assert check.crossing is not None
                response = await stub.RecordCrossing(
                    check.crossing, metadata=session_metadata(session), timeout=30
                )
                problems = mismatches(check.expect, as_dict(response))
                summary = f"EES {label(pb.OutcomeStatus, response.outcome.status)}"
        except grpc.aio.AioRpcError as error:
            if connect_failure(error):
                raise  # no gateway to judge: not a failed check
            problems = mismatches(check.expect, {"error": error.code().name})
            summary = f"error {error.code().name}: {error.details()}"
        elapsed = (time.perf_counter() - started) * 1000
        results.append(CheckResult(check.name, not problems, tuple(problems), elapsed, summary))
    return results


def new_session() -> str:
    return f"scenario-{uuid.uuid4().hex[:12]}"


def _summary(report: pb.HitReport) -> str:
    hits = ", ".join(h.category for h in report.hits[:4]) or "no hits"
    return f"{short_name(pb.Verdict, report.verdict)}: {hits}"
