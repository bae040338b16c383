"""Scale out, measured: one gateway and one adapter per system, then two of each.

    python -m loadtest.scale_out --bootstrap 127.0.0.1:9092
    python -m loadtest.scale_out --bootstrap 127.0.0.1:9092 --gateways 2 --replicas 2 --checks 2000

For each layout it starts the stack as processes on the Kafka at `--bootstrap` (five mocks,
`--replicas` adapter processes per system, `--gateways` gateways, each with its own reply
topic), every process serving Prometheus metrics on a loopback port. A closed loop of
`--in-flight` callers spreads its checks over the gateways round robin (the ICAO specimen
checked within the territory, so all five systems are asked). It then scrapes every
process and prints, per layout:

- the rate, p50 and p99, and the CPU milliseconds per check of all the stack's processes
  and of Kafka (from /proc);
- per system, the queries each adapter replica answered (`interop_adapter_queries_total`),
  the searches its mock served (`interop_mock_calls_total`) and what the gateways heard
  back (`interop_gateway_outcomes_total`): the replicas' share of the work, and whether
  any query was answered twice (replicas' sum above the mock's count) or lost;
- the replies the gateways dropped as duplicates (`interop_gateway_replies_dropped_total`).

Exit 0 when every layout answered every check completely (or refused it with
RESOURCE_EXHAUSTED, a gateway at its admission bound), each replica of each system took
part and no query was answered twice; 1 otherwise. On two cores the rate does not
grow with replicas (the processes share the same cores); what scale-out shows here is that
the work spreads and stays exactly-once, at about the same CPU per check.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
from prometheus_client.parser import text_string_to_metric_families

from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from loadtest.check_latency import percentile
from loadtest.processes import EVERY_SYSTEM, ProcessStack, gateway_name
from loadtest.procstat import Group, listening_pids, snapshot, usage
from systems import REGISTRY

CHECK_TIMEOUT_S = 10.0


@dataclass
class Layout:
    gateways: int
    replicas: int

    @property
    def name(self) -> str:
        return f"{self.gateways} gateway(s) x {self.replicas} adapter replica(s)"


@dataclass
class Result:
    layout: str
    checks: int
    errors: int
    errors_by_status: dict[str, int]
    incomplete: int
    rate: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_check: float
    kafka_ms_per_check: float
    # system -> replica part -> queries answered
    answered: dict[str, dict[str, int]]
    # system -> searches its mock served
    searched: dict[str, int]
    # system -> answers the gateways received
    heard: dict[str, int]
    checks_per_gateway: dict[str, int]
    duplicates_dropped: int

    @property
    def spread(self) -> bool:
        return all(all(n > 0 for n in parts.values()) for parts in self.answered.values())

    @property
    def exactly_once(self) -> bool:
        return self.duplicates_dropped == 0 and all(
            sum(self.answered[s].values()) == self.searched[s] == self.heard[s]
            for s in self.answered
        )

    @property
    def ok(self) -> bool:
        """Every check answered whole or refused by admission (RESOURCE_EXHAUSTED, a clean
        answer of a gateway at its bound), the work spread, each query answered once."""
        refused = self.errors_by_status.get("RESOURCE_EXHAUSTED", 0)
        return self.errors == refused and self.incomplete == 0 and self.spread and self.exactly_once


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the process serving metrics on `port`: (name, labels) -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def _sum(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and all(dict(sample_labels).get(k) == v for k, v in labels.items())
    )


async def drive(
    targets: Sequence[str], in_flight: int, checks: int
) -> tuple[list[float], Counter[str], int, Counter[str]]:
    """A closed loop over the gateways, round robin: latencies, errors by gRPC status,
    incomplete reports, checks per gateway."""
    channels = [grpc.aio.insecure_channel(t) for t in targets]
    stubs = itertools.cycle(
        [
            (t, border_check_pb2_grpc.BorderCheckStub(c))
            for t, c in zip(targets, channels, strict=True)
        ]
    )
    latencies: list[float] = []
    incomplete = 0
    failed: Counter[str] = Counter()
    remaining = checks
    per_gateway: Counter[str] = Counter()

    async def caller() -> None:
        nonlocal remaining, incomplete
        while remaining > 0:
            remaining -= 1
            target, stub = next(stubs)
            per_gateway[target] += 1
            sent = time.perf_counter()
            try:
                report = await stub.Check(EVERY_SYSTEM, timeout=CHECK_TIMEOUT_S)
            except grpc.aio.AioRpcError as error:
                failed[error.code().name] += 1
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            incomplete += any(o.status != pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes)

    try:
        await asyncio.gather(*(caller() for _ in range(in_flight)))
    finally:
        for channel in channels:
            await channel.close()
    return sorted(latencies), failed, incomplete, per_gateway


async def measure(layout: Layout, args: argparse.Namespace) -> Result:
    stack = ProcessStack(
        args.bootstrap,
        population=args.population,
        gateways=layout.gateways,
        adapter_replicas=layout.replicas,
        metrics=True,
    )
    print(f"{layout.name}: starting", file=sys.stderr, flush=True)
    try:
        await stack.start()
        await drive(stack.targets, args.in_flight, args.warmup)
        kafka = Group("kafka", tuple(listening_pids(int(args.bootstrap.rsplit(":", 1)[1]))))
        ours = Group("stack", tuple(m.pid for m in stack.fleet.members.values()))
        before_metrics = {name: scrape(port) for name, port in stack.metrics_ports.items()}
        before = snapshot([ours, kafka])
        started = time.perf_counter()
        print(f"{layout.name}: {args.checks} checks, {args.in_flight} in flight", file=sys.stderr)
        latencies, failed, incomplete, per_gateway = await drive(
            stack.targets, args.in_flight, args.checks
        )
        wall = time.perf_counter() - started
        used = usage(before, snapshot([ours, kafka]))
        await asyncio.sleep(0.5)  # let the last answers reach the adapters' counters
        after_metrics = {name: scrape(port) for name, port in stack.metrics_ports.items()}
    finally:
        await stack.stop()

    def delta(part: str, name: str, **labels: str) -> int:
        return round(
            _sum(after_metrics[part], name, **labels) - _sum(before_metrics[part], name, **labels)
        )

    answered: dict[str, dict[str, int]] = defaultdict(dict)
    searched, heard = {}, {}
    gateways = [gateway_name(n) for n in range(layout.gateways)]
    for system in REGISTRY.names:
        for part in after_metrics:
            if part == f"adapter-{system}" or part.startswith(f"adapter-{system}-"):
                answered[system][part] = delta(
                    part, "interop_adapter_queries_total", system=system, outcome="answered"
                )
        searched[system] = delta(
            f"mock-{system}",
            "interop_mock_calls_total",
            system=system,
            method="Search",
            status="OK",
        )
        heard[system] = sum(
            delta(g, "interop_gateway_outcomes_total", system=system, status="answered")
            for g in gateways
        )
    duplicates = sum(
        delta(g, "interop_gateway_replies_dropped_total", reason="duplicate") for g in gateways
    )
    done = len(latencies) + sum(failed.values())
    return Result(
        layout=layout.name,
        checks=len(latencies),
        errors=sum(failed.values()),
        errors_by_status=dict(failed),
        incomplete=incomplete,
        rate=done / wall,
        p50_ms=percentile(latencies, 50) if latencies else 0.0,
        p99_ms=percentile(latencies, 99) if latencies else 0.0,
        cpu_ms_per_check=used.cpu_s["stack"] * 1000 / max(1, done),
        kafka_ms_per_check=used.cpu_s["kafka"] * 1000 / max(1, done),
        answered=dict(answered),
        searched=searched,
        heard=heard,
        checks_per_gateway=dict(per_gateway),
        duplicates_dropped=duplicates,
    )


def render(results: Sequence[Result]) -> str:
    lines = []
    for r in results:
        lines.append(f"== {r.layout}")
        lines.append(
            f"   {r.checks} checks ({r.errors} errors {r.errors_by_status or ''}, "
            f"{r.incomplete} incomplete), "
            f"{r.rate:.1f}/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms; CPU per check: "
            f"stack {r.cpu_ms_per_check:.2f} ms + Kafka {r.kafka_ms_per_check:.2f} ms"
        )
        lines.append(
            "   checks per gateway: "
            + ", ".join(f"{t} {n}" for t, n in sorted(r.checks_per_gateway.items()))
        )
        lines.append(
            f"   {'system':8} {'replicas answered':40} {'mock searched':>13} {'gateways heard':>14}"
        )
        for system, parts in r.answered.items():
            share = ", ".join(f"{p} {n}" for p, n in sorted(parts.items()))
            lines.append(f"   {system:8} {share:40} {r.searched[system]:>13} {r.heard[system]:>14}")
        lines.append(
            f"   duplicate replies dropped by the gateways: {r.duplicates_dropped}; "
            f"work spread over every replica: {'yes' if r.spread else 'NO'}; "
            f"each query answered once: {'yes' if r.exactly_once else 'NO'}"
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.scale_out",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--bootstrap", required=True, metavar="HOST:PORT", help="a running Kafka on loopback")
    add("--gateways", type=int, default=2, metavar="N", help="gateways of the scaled layout [2]")
    add("--replicas", type=int, default=2, metavar="N", help="adapters per system, scaled [2]")
    add("--checks", type=int, default=1500, metavar="N", help="measured checks per layout [1500]")
    add("--warmup", type=int, default=200, metavar="N", help="checks before measuring [200]")
    add("--in-flight", type=int, default=16, metavar="N", help="closed-loop callers [16]")
    add("--population", type=int, default=100_000, metavar="N", help="people [100000]")
    add("--json", type=Path, default=None, metavar="FILE", help="also write the figures here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    layouts = [Layout(1, 1), Layout(args.gateways, args.replicas)]
    results = [asyncio.run(measure(layout, args)) for layout in layouts]
    print(render(results))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
