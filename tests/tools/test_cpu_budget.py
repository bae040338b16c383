"""The CPU budget benchmark: its load driver, report and options; a floor-only run on Kafka."""

from __future__ import annotations

import dataclasses
import itertools
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from loadtest import cpu_budget
from loadtest.cpu_budget import Idle, Kafka, Report, Window, closed_loop, render, to_json
from loadtest.transport_floor import REPORT


class _FakeGateway:
    """Answers every check with a complete report, and fails every `fail_every`-th."""

    def __init__(self, fail_every: int = 0) -> None:
        self._count = itertools.count(1)
        self._fail_every = fail_every

    async def check(
        self,
        request: pb.CheckRequest,
        context: grpc.aio.ServicerContext[pb.CheckRequest, pb.HitReport],
    ) -> pb.HitReport:
        if self._fail_every and next(self._count) % self._fail_every == 0:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "fake failure")
        return REPORT


async def _serve(gateway: _FakeGateway) -> tuple[grpc.aio.Server, str]:
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(
        gateway.check,
        request_deserializer=pb.CheckRequest.FromString,
        response_serializer=pb.HitReport.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("interop.v1.BorderCheck", {"Check": handler})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, f"127.0.0.1:{port}"


@pytest.fixture
async def stub() -> AsyncIterator[border_check_pb2_grpc.BorderCheckStub]:
    server, target = await _serve(_FakeGateway(fail_every=5))
    async with grpc.aio.insecure_channel(target) as channel:
        yield border_check_pb2_grpc.BorderCheckStub(channel)
    await server.stop(0)


async def test_a_closed_loop_ends_after_its_checks(
    stub: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    load = await closed_loop(stub, in_flight=4, checks=50, seconds=30)
    assert len(load.latencies_ms) + load.errors == 50
    assert load.errors == 10
    assert load.incomplete == 0
    assert list(load.latencies_ms) == sorted(load.latencies_ms)


async def test_a_closed_loop_ends_after_its_time(
    stub: border_check_pb2_grpc.BorderCheckStub,
) -> None:
    load = await closed_loop(stub, in_flight=2, checks=sys.maxsize, seconds=0.3)
    assert 0.3 <= load.wall_s < 1.5
    assert len(load.latencies_ms) > 10


def _window(setup: str, in_flight: int, ms: float) -> Window:
    role_ms = {"FRONT": ms, "WORKERS": ms, "SYSTEMS": 2 * ms if setup == "stack" else 0.0}
    return Window(
        setup=setup,
        in_flight=in_flight,
        checks=100,
        errors=0,
        incomplete=0,
        wall_s=2.0,
        p50_ms=5.0,
        p99_ms=9.0,
        cpu_ms={**role_ms, "KAFKA": ms, "LOAD": 50.0},
        others_ms=100.0,
    )


def _report() -> Report:
    plan = cpu_budget.parse_plan(["--population", "1000"])
    return Report(
        plan=plan,
        kafka=Kafka("127.0.0.1:9092", (42,), started_here=True),
        processes={"gateway": 1, "adapters": 5, "mocks": 5},
        idle=(Idle("stack", {"FRONT": 10.0, "KAFKA": 100.0}),),
        windows=(
            _window("stack", 16, 300.0),
            _window("floor 0ms", 16, 100.0),
            _window("floor 2ms", 16, 50.0),
        ),
    )


def test_the_report_gives_cpu_per_check_and_ratios_to_the_floor() -> None:
    report = _report()
    stack = report.windows[0]
    assert stack.per_check(*cpu_budget.BROKER_PART) == 9.0
    assert stack.per_check(*cpu_budget.TOTAL) == 15.0
    assert stack.rate == 50.0
    text = render(report)
    assert "= broker part (front, workers, Kafka)   9.00" in text
    assert "16 in flight vs floor 0ms" in text and "3.0x" in text and "5.0x" in text
    assert "16 in flight vs floor 2ms" in text and "6.0x" in text and "10.0x" in text
    data = json.loads(json.dumps(to_json(report), default=str))
    assert data["windows"][0]["cpu_ms_per_check"]["load"] == 0.5
    assert [r["total"] for r in data["ratios"]] == [5.0, 10.0]


def test_the_stack_admits_every_check_the_budget_sends(tmp_path: Path) -> None:
    # Refused checks would be asked again at once and counted as nothing: the budget's
    # gateway admits as many as the most in flight, without adapting below it.
    plan = cpu_budget.parse_plan(["--in-flight", "16,96"])
    stack = cpu_budget.stack_of(plan, Kafka("127.0.0.1:9092", (42,), started_here=False), tmp_path)
    env = stack.env()
    assert env["INTEROP_ADMISSION"] == "fixed"
    assert env["INTEROP_MAX_IN_FLIGHT"] == env["INTEROP_MAX_IN_FLIGHT_PER_CLIENT"] == "96"
    assert "the gateway admits 96 checks at a time" in render(
        dataclasses.replace(_report(), plan=plan)
    )


def test_options_are_checked() -> None:
    with pytest.raises(SystemExit, match="--parts"):
        cpu_budget.parse_plan(["--parts", "stack,mocks"])
    plan = cpu_budget.parse_plan(["--in-flight", "8,32"])
    assert plan.in_flight == (8, 32)
    assert plan.floor_lingers_ms == (0, 2)


@pytest.mark.kafka
@pytest.mark.slow
def test_a_floor_only_run_on_kafka_writes_its_report(kafka_bootstrap: str, tmp_path: Path) -> None:
    code = cpu_budget.main(
        [
            f"--bootstrap={kafka_bootstrap}",
            "--parts=floor",
            "--in-flight=4",
            "--checks=100",
            "--seconds=20",
            "--warmup-s=0.5",
            "--idle-s=0.2",
            "--floor-linger-ms=0,2",
            f"--out-dir={tmp_path}",
        ]
    )
    assert code == 0
    (report,) = tmp_path.glob("cpu-budget-*.json")
    data = json.loads(report.read_text())
    assert data["kafka"]["pids"], "the broker JVM was found by its port"
    assert [w["setup"] for w in data["windows"]] == ["floor 0ms", "floor 2ms"]
    for window in data["windows"]:
        assert window["checks"] == 100 and window["errors"] == 0
        assert window["cpu_ms_per_check"]["front"] > 0
        assert window["cpu_ms_per_check"]["kafka"] > 0
