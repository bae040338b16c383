"""Where the time of a check goes, the trace it belongs to, and the metrics of each process,
on the in-memory bus and as separate processes on Kafka."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from loadtest.observation import server_timing
from systems import REGISTRY
from tests.e2e.stacks import ROOT, SPECIMEN, InProcessStack, Stack, free_port

EVERY_SYSTEM = pb.CheckRequest(purpose=pb.PURPOSE_IN_TERRITORY_CHECK, traveller=SPECIMEN)
GATEWAY_HOPS = ["gateway.validate", "gateway.route", "bus.publish"]
SYSTEM_HOPS = [f"{system}.{hop}" for system in REGISTRY.names for hop in ("queue", "call", "reply")]
LAST_HOPS = ["gateway.merge", "gateway.audit"]


def new_traceparent() -> tuple[str, str]:
    trace_id = uuid.uuid4().hex
    return trace_id, f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"


def assert_every_hop(trailers: grpc.aio.Metadata | None) -> None:
    hops = dict(server_timing(tuple(trailers or ())))
    assert sorted(hops) == sorted(GATEWAY_HOPS + SYSTEM_HOPS + LAST_HOPS)
    assert all(ms >= 0 for ms in hops.values())


async def test_a_check_returns_every_hop_in_its_server_timing_trailer(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    call = client.Check(EVERY_SYSTEM, timeout=10)
    report = await call
    assert all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes)
    assert_every_hop(await call.trailing_metadata())


async def test_a_stream_returns_them_at_its_end(
    client: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    call = client.CheckStream(EVERY_SYSTEM, timeout=10)
    events = [event async for event in call]
    assert events[-1].HasField("report")
    assert_every_hop(await call.trailing_metadata())


async def test_the_callers_trace_reaches_every_mock(
    client: border_check_pb2_grpc.BorderCheckStub, stack: Stack
) -> None:
    trace_id, traceparent = new_traceparent()
    session = ("x-test-session", f"trace-{uuid.uuid4().hex[:8]}")
    await client.Check(EVERY_SYSTEM, metadata=(("traceparent", traceparent), session), timeout=10)
    for system in REGISTRY.names:
        async with grpc.aio.insecure_channel(stack.mock_addresses[system]) as channel:
            control = mock_pb2_grpc.MockControlStub(channel)
            listed = await control.ListCalls(
                mock_pb2.ListCallsRequest(), metadata=(session,), timeout=5
            )
        assert [call.trace_id for call in listed.calls] == [trace_id], system


# The gateway logs, and all parts count, in this process only on the in-memory stack.
@pytest.mark.parametrize("stack", ["memory"], indirect=True)
async def test_the_gateway_logs_each_check_with_its_trace_id(
    client: border_check_pb2_grpc.BorderCheckStub, stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    trace_id, traceparent = new_traceparent()
    with caplog.at_level(logging.INFO, logger="broker.service.check"):
        await client.Check(EVERY_SYSTEM, metadata=(("traceparent", traceparent),), timeout=10)
    assert any(f"(trace {trace_id})" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("stack", ["memory"], indirect=True)
async def test_one_process_counts_the_hops_of_all_its_parts(
    client: border_check_pb2_grpc.BorderCheckStub, stack: Stack
) -> None:
    assert isinstance(stack, InProcessStack)
    registry = stack.running.telemetry.registry

    def count(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    before = count("interop_hop_duration_seconds_count", hop="sis.call")
    calls = count("interop_mock_calls_total", system="sis", method="Search", status="OK")
    await client.Check(EVERY_SYSTEM, timeout=10)
    assert count("interop_hop_duration_seconds_count", hop="sis.call") == before + 1
    assert count("interop_mock_calls_total", system="sis", method="Search", status="OK") > calls
    assert count("interop_adapter_queries_total", system="sis", outcome="answered") > 0


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:
        return bytes(response.read()).decode()


async def test_metrics_listen_serves_the_text_format_on_loopback(tmp_path: Path) -> None:
    metrics = f"127.0.0.1:{free_port()}"
    mock = f"127.0.0.1:{free_port()}"
    state = {"INTEROP_KEYS_DIR": str(tmp_path / "keys"), "INTEROP_AUDIT_DIR": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "stack.cli", "serve", "mock", "sis", "--population", "0"),
        *("--listen", mock, "--metrics-listen", metrics, "--insecure"),
        cwd=ROOT,
        env={**os.environ, "INTEROP_LOG_LEVEL": "WARNING", **state},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                text = await asyncio.to_thread(_scrape, f"http://{metrics}/metrics")
                break
            except OSError:
                assert process.returncode is None, "the mock exited"
                assert time.monotonic() < deadline, "no metrics within 60 s"
                await asyncio.sleep(0.2)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"interop_mock_calls", "interop_mock_shed_calls", "process_cpu_seconds"} <= names
    assert "_created" not in text
