"""The test team's commands: run scenario packs, and drive a mock's MockControl."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import grpc
from google.protobuf import json_format

from broker.transport.links import dial
from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from mocks import scenario_run
from mocks.scenarios import Scenario, ScenarioError, load
from stack.client import GATEWAY_HINT, MOCK_HINT, answering
from systems import REGISTRY


async def run_scenarios(
    paths: Sequence[Path],
    target: str,
    mocks: Mapping[str, str],
    credentials: grpc.ChannelCredentials | None,
    control_credentials: grpc.ChannelCredentials | None,
    seed: bool,
) -> int:
    """Run every pack; print pass/fail per check; 0 only when all were read and passed."""
    results: list[scenario_run.CheckResult] = []
    unread = 0
    for path in paths:
        try:
            scenario = load(path, REGISTRY.names)
        except ScenarioError as error:
            print(f"ERROR {error}", file=sys.stderr)
            unread += 1
            continue
        if not scenario.checks:
            print(f"scenario {scenario.name} ({path}): records only, no checks to run")
            continue
        ran = await _run_pack(scenario, path, target, mocks, credentials, control_credentials, seed)
        results += ran
    failed = sum(not r.passed for r in results)
    not_read = f", {unread} pack(s) not read" if unread else ""
    print(f"{len(results) - failed} passed, {failed} failed{not_read}")
    return 1 if failed or unread else 0


async def _run_pack(
    scenario: Scenario,
    path: Path,
    target: str,
    mocks: Mapping[str, str],
    credentials: grpc.ChannelCredentials | None,
    control_credentials: grpc.ChannelCredentials | None,
    seed: bool,
) -> list[scenario_run.CheckResult]:
    """Seed the pack in a session of its own (unless not to), run its checks, print each."""
    session = scenario_run.new_session() if seed else ""
    systems = sorted({*scenario.records, *scenario.faults})
    print(f"scenario {scenario.name} ({path}), session {session or '(default)'}")
    if seed:
        with answering("mock", MOCK_HINT):
            await scenario_run.seed(scenario, mocks, session, control_credentials)
    try:
        with answering("gateway", GATEWAY_HINT):
            async with dial(target, credentials) as gateway:
                results = await scenario_run.run(scenario, gateway, session)
    finally:
        if seed:
            await scenario_run.reset(mocks, systems, session, control_credentials)
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        print(f"  {mark} {result.name}  [{result.summary}, {result.elapsed_ms:.0f} ms]")
        for problem in result.problems:
            print(f"       {problem}")
    return results


async def control(
    args: argparse.Namespace, address: str, credentials: grpc.ChannelCredentials | None
) -> int:
    """`interop mock ACTION SYSTEM ...` against one mock's MockControl."""
    if args.action == "seed":
        if not args.file:
            print("interop: mock seed: name the scenario pack FILE to take the records from",
                  file=sys.stderr)  # fmt: skip
            return 2
        try:
            load(Path(args.file), REGISTRY.names)
        except ScenarioError as error:
            print(f"interop: {error}", file=sys.stderr)
            return 2
    with answering("mock", MOCK_HINT):
        await _control(args, address, credentials)
    return 0


async def _control(
    args: argparse.Namespace, address: str, credentials: grpc.ChannelCredentials | None
) -> None:
    metadata = session_metadata(args.session)
    async with dial(address, credentials) as mock:
        stub = mock_pb2_grpc.MockControlStub(mock)
        if args.action == "seed":
            records = load(Path(args.file), REGISTRY.names).records.get(args.system, [])
            seeded = await stub.Seed(
                mock_pb2.SeedRequest(records=records), metadata=metadata, timeout=30
            )
            print(f"{args.system}: {seeded.added} added, {seeded.session_records} in the session")
        elif args.action == "reset":
            await stub.Reset(mock_pb2.ResetRequest(), metadata=metadata, timeout=10)
            print(f"{args.system}: session {args.session or '(default)'} reset")
        elif args.action == "faults":
            faults = mock_pb2.Faults(
                latency_ms=args.latency_ms,
                latency_median_ms=args.lognormal_median_ms,
                latency_sigma=args.lognormal_sigma,
                error_probability=args.error_rate,
                error_every_nth=args.every_nth,
                error_code=args.error_code,
                error_message=args.error_message,
                outage_seconds=args.outage_s,
            )
            await stub.SetFaults(
                mock_pb2.SetFaultsRequest(faults=faults), metadata=metadata, timeout=10
            )
            shown = json_format.MessageToJson(faults, indent=None, preserving_proto_field_name=True)
            print(f"{args.system}: faults set: {shown}")
        else:
            calls = await stub.ListCalls(
                mock_pb2.ListCallsRequest(limit=args.limit), metadata=metadata, timeout=10
            )
            for call in calls.calls:
                who = f"{call.traveller.surname} {call.traveller.document.number}".strip()
                trace = f" trace {call.trace_id}" if call.trace_id else ""
                print(
                    f"{call.at} {call.method} {call.status} {call.match_count} match(es) {who}"
                    f"{trace}"
                )
