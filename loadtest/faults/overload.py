"""Overload: the stack as processes on Kafka at twice its capacity, open loop.

    python -m loadtest.faults.overload                        # capacity measured first
    python -m loadtest.faults.overload --capacity 24 --duration 60s

Measures the capacity (the load tool's find-max for the rate at which the cores saturate:
p99 <= 500 ms with no errors and no incomplete report), then holds the capacity for
--duration (the normal p99), then --factor times it for --duration. Prints the figures
the targets are about: goodput (whole reports within the deadline, per second) against
the capacity, the p99 of the checks the gateway
accepted against the normal p99, how many were refused with RESOURCE_EXHAUSTED and how
fast, late and hung checks, and the resident memory of every process (and the Kafka JVM)
at the start and the end of the overload, and the CPU time per check from /proc (with what
other work on the machine took meanwhile). Exit 0 when goodput >= 90 % of capacity, the
accepted p99 <= 2x the normal p99, refusals within 1 ms (p99, from the caller's send), no
check hung and no process grew by more than 10 %.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtest.faults.capacity import THROUGHPUT_SLO, capacity
from loadtest.faults.checks import Fate
from loadtest.faults.rig import Layout, rigged
from loadtest.faults.specimen import PROMISE
from loadtest.faults.steady import (
    KAFKA,
    STACK,
    TOOL,
    Steady,
    latencies,
    percentile_ms,
    steady,
)
from loadtest.load.helptext import HelpFormatter
from loadtest.load.units import arg_type, parse_duration, parse_rate
from loadtest.processes import Topology

GOODPUT_SHARE = 0.9
P99_FACTOR = 2.0
RSS_GROWTH = 0.10
REFUSAL_MS = 1.0
RSS_EVERY_S = 5.0


@dataclass(frozen=True)
class Overload:
    capacity: float
    normal: Steady
    over: Steady

    @property
    def normal_p99_ms(self) -> float:
        return percentile_ms(latencies(self.normal.accepted), 99)

    @property
    def accepted_p99_ms(self) -> float:
        return percentile_ms(latencies(self.over.accepted), 99)

    @property
    def refusal_p99_ms(self) -> float:
        return self.refusal_ms(99)

    def refusal_ms(self, p: float) -> float:
        """The p-th percentile of the time from a refused check's send to its refusal."""
        return percentile_ms([c.ended_s - c.sent_s for c in self.over.refused], p)

    def rss_growth(self) -> dict[str, float]:
        return {name: self.over.rss.growth(name) for name in self.over.rss.samples}

    def verdicts(self) -> dict[str, bool]:
        """Each target, and whether the run met it."""
        return {
            f"goodput >= {GOODPUT_SHARE:.0%} of capacity": self.over.goodput
            >= GOODPUT_SHARE * self.capacity,
            f"accepted p99 <= {P99_FACTOR:g}x normal": self.accepted_p99_ms
            <= P99_FACTOR * self.normal_p99_ms,
            f"refusal p99 <= {REFUSAL_MS:g} ms": self.refusal_p99_ms <= REFUSAL_MS,
            "nothing hung": self.over.count(Fate.HUNG) == 0,
            f"RSS growth <= {RSS_GROWTH:.0%}": all(
                g <= RSS_GROWTH for g in self.rss_growth().values()
            ),
        }

    def met(self) -> bool:
        return all(self.verdicts().values())


def cpu_lines(run: Steady) -> str:
    """CPU from /proc over a run: per check that got a report, and the machine's share."""
    wall = run.cpu.wall_s
    return (
        f"CPU at {run.rate:g}/s (/proc, {wall:.0f} s): stack {run.cpu_ms_per_check():.0f} ms "
        f"per answered check ({run.cpu.cpu_s.get(STACK, 0) / wall:.2f} cores), Kafka "
        f"{run.cpu.cpu_s.get(KAFKA, 0) / wall:.2f} cores, load tool "
        f"{run.cpu.cpu_s.get(TOOL, 0) / wall:.2f} cores, other work on the machine "
        f"{run.others_s / wall:.2f} of {os.cpu_count()} cores"
    )


def render(result: Overload) -> str:
    over, normal = result.over, result.normal
    rows = [
        f"capacity: {result.capacity:g} checks/s (find-max, {THROUGHPUT_SLO})",
        f"at capacity ({normal.rate:g}/s, {normal.duration_s:g} s): goodput "
        f"{normal.goodput:.1f}/s, p50 {percentile_ms(latencies(normal.accepted), 50):.0f} ms, "
        f"p99 {result.normal_p99_ms:.0f} ms; refused {len(normal.refused)}",
        f"at {over.rate / result.capacity:g}x ({over.rate:g}/s offered, {over.duration_s:g} s): "
        f"goodput {over.goodput:.1f}/s = {over.goodput / result.capacity:.0%} of capacity "
        f"(target >= {GOODPUT_SHARE:.0%})",
        f"  accepted {len(over.accepted)}: p50 {percentile_ms(latencies(over.accepted), 50):.0f}"
        f" ms, p99 {result.accepted_p99_ms:.0f} ms = "
        f"{result.accepted_p99_ms / max(result.normal_p99_ms, 1e-9):.1f}x normal "
        f"(target <= {P99_FACTOR:g}x); whole and in time "
        f"{sum(1 for c in over.accepted if c.good(PROMISE))}",
        f"  refused {len(over.refused)} with RESOURCE_EXHAUSTED, "
        f"from send to refusal p50 {result.refusal_ms(50):.1f} ms, p90 "
        f"{result.refusal_ms(90):.1f} ms, p99 {result.refusal_p99_ms:.1f} ms (target 1 ms)",
        f"  late {over.count(Fate.LATE)}, hung {over.count(Fate.HUNG)}, other errors "
        f"{sum(1 for c in over.accepted if not c.answered)}",
        "  RSS from the start to the end of the overload (MiB):",
        *(
            f"    {name}: {first:.0f} -> {last:.0f} ({result.over.rss.growth(name):+.1%})"
            for name, (first, last) in (
                (n, over.rss.first_last(n)) for n in sorted(over.rss.samples)
            )
        ),
        *(cpu_lines(run) for run in (normal, over)),
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
        "targets: "
        + ", ".join(
            f"{name} {'met' if ok else 'MISSED'}" for name, ok in result.verdicts().items()
        ),
    ]
    return "\n".join(rows)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.faults.overload",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=HelpFormatter,
    )
    add = parser.add_argument
    add("--capacity", type=arg_type(parse_rate), help="checks/s (default: find-max first)")
    add("--factor", type=float, default=2.0, help="overload as a multiple of the capacity")
    add(
        "--duration",
        type=arg_type(parse_duration),
        default="60s",
        help="of the run at capacity and of the overload",
    )
    add(
        "--topology",
        choices=[Topology.SEPARATE.value, Topology.COMPACT.value],
        default=Topology.SEPARATE.value,
        help="a process per mock and adapter, or one for all mocks and one for all adapters",
    )
    add(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an INTEROP_ setting of the stack, e.g. INTEROP_MAX_IN_FLIGHT=64 (repeatable)",
    )
    add("--out", type=Path, help="reports and logs (default var/overload/<UTC time>)")
    return parser


async def _run(args: argparse.Namespace, out: Path) -> Overload:
    env = dict(item.split("=", 1) for item in args.set)
    layout = Layout(Topology(args.topology), replicated=None, env=env)
    async with rigged(out / "stack", 1, layout, proxied=False) as rig:
        rate = args.capacity or await capacity(rig.stack.target, out / "capacity", THROUGHPUT_SLO)
        _say(f"capacity {rate:g}/s; holding it for {args.duration:g} s")
        normal = await steady(rig, rate, args.duration, out / "normal", RSS_EVERY_S)
        _say(f"overload at {args.factor:g}x: {rate * args.factor:g}/s for {args.duration:g} s")
        over = await steady(rig, rate * args.factor, args.duration, out / "over", RSS_EVERY_S)
    return Overload(rate, normal, over)


def _say(text: str) -> None:
    print(f"overload: {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if any("=" not in item for item in args.set):
        parser.error("--set takes NAME=VALUE")
    out = args.out or Path("var/overload") / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    result = asyncio.run(_run(args, out))
    print(render(result))
    return 0 if result.met() else 1


if __name__ == "__main__":
    sys.exit(main())
