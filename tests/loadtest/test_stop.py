"""A run stopped early: no new check is sent, those in flight end, the figures cover the
time it ran."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
from google.protobuf import json_format

from interop.v1 import border_check_pb2 as pb
from loadtest.load.cli import build_parser, plan_of, pool_of
from loadtest.load.execute import execute
from loadtest.transport_floor import REPORT


async def _answer(request: pb.CheckRequest, context: object) -> pb.HitReport:
    await asyncio.sleep(0.05)
    return REPORT


async def test_a_stopped_run_ends_early_with_its_checks_counted(tmp_path: Path) -> None:
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(
        _answer,
        request_deserializer=pb.CheckRequest.FromString,
        response_serializer=pb.HitReport.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("interop.v1.BorderCheck", {"Check": handler})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    request = tmp_path / "request.json"
    request.write_text(json_format.MessageToJson(pb.CheckRequest()))
    args = f"run --target 127.0.0.1:{port} --rate 50 --duration 60s --warmup 0s --request {request}"
    plan = plan_of(build_parser().parse_args(args.split()))
    stop = asyncio.Event()
    try:
        started = time.monotonic()
        run = asyncio.create_task(execute(plan, pool_of(plan), False, stop=stop))
        await asyncio.sleep(1.0)
        stop.set()
        report = await asyncio.wait_for(run, 10)
    finally:
        await server.stop(0)
    assert time.monotonic() - started < 5
    summary = report.summary
    assert summary.completed == summary.offered == summary.answered
    assert 40 <= summary.offered <= 60
    assert summary.offered_rate is not None and 40 <= summary.offered_rate <= 60
    assert report.steps[0].summary.completed == summary.completed
