"""Soak: the stack as processes on Kafka at 70 % of its capacity, for half an hour.

    python -m loadtest.faults.soak                            # capacity measured first
    python -m loadtest.faults.soak --capacity 28 --duration 30m --share 70%

Holds the rate with the load tool (open loop, the specimen check, 2 s deadline), keeps
every check and samples the resident memory of every process of the stack and of the Kafka
JVM every --every. Prints each process's RSS once settled (--settle after the start) and at
the end, with its growth, and the latency of each --stretch of the run with the p99 drift
(last stretch against the first). report.json and report.html (latency over time) go to
--out. Exit 0 when no process grew by more than 10 % after settling and no check hung.
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
from loadtest.faults.steady import Steady, latencies, percentile_ms, steady
from loadtest.load.helptext import HelpFormatter
from loadtest.load.units import arg_type, parse_duration, parse_rate, parse_share
from loadtest.processes import Topology

RSS_GROWTH = 0.10


@dataclass(frozen=True)
class Stretch:
    start_s: float
    checks: int
    p50_ms: float
    p99_ms: float
    not_whole: int


@dataclass(frozen=True)
class Soak:
    capacity: float
    run: Steady
    settle_s: float
    stretch_s: float

    def stretches(self) -> list[Stretch]:
        found = []
        start = 0.0
        while start < self.run.duration_s:
            part = [c for c in self.run.checks if start <= c.intended_s < start + self.stretch_s]
            answered = [c for c in part if c.answered]
            found.append(
                Stretch(
                    start,
                    len(part),
                    percentile_ms(latencies(answered), 50),
                    percentile_ms(latencies(answered), 99),
                    sum(1 for c in part if not c.good(PROMISE)),
                )
            )
            start += self.stretch_s
        return found

    def growth(self) -> dict[str, float]:
        return {name: self.run.rss.growth(name, self.settle_s) for name in self.run.rss.samples}

    def met(self) -> bool:
        growing = any(g > RSS_GROWTH for g in self.growth().values())
        return not growing and self.run.count(Fate.HUNG) == 0


def render(soak: Soak) -> str:
    run = soak.run
    stretches = soak.stretches()
    drift = stretches[-1].p99_ms / max(stretches[0].p99_ms, 1e-9) if stretches else 1.0
    lines = [
        f"soak: {run.rate:g} checks/s ({run.rate / soak.capacity:.0%} of {soak.capacity:g}/s) "
        f"for {run.duration_s / 60:g} min: {len(run.checks)} checks, "
        f"{run.count(Fate.IN_TIME)} in time, {run.count(Fate.CLEAN_ERROR)} clean errors, "
        f"{run.count(Fate.LATE)} late, {run.count(Fate.HUNG)} hung; "
        f"{sum(1 for c in run.checks if not c.complete)} reports not whole",
        "",
        f"| process | RSS at {soak.settle_s / 60:g} min (MiB) | at the end | growth |",
        "|---|---|---|---|",
        *(
            f"| {name} | {first:.0f} | {last:.0f} | {run.rss.growth(name, soak.settle_s):+.1%} |"
            for name, (first, last) in (
                (n, run.rss.first_last(n, soak.settle_s)) for n in sorted(run.rss.samples)
            )
        ),
        "",
        "| minutes | checks | p50 ms | p99 ms | not whole or late |",
        "|---|---|---|---|---|",
        *(
            f"| {s.start_s / 60:g}-{(s.start_s + soak.stretch_s) / 60:g} | {s.checks} "
            f"| {s.p50_ms:.0f} | {s.p99_ms:.0f} | {s.not_whole} |"
            for s in stretches
        ),
        "",
        f"p99 drift (last stretch / first): {drift:.2f}x; load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
        f"{'met' if soak.met() else 'MISSED'} (RSS growth <= {RSS_GROWTH:.0%}, nothing hung)",
    ]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.faults.soak",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=HelpFormatter,
    )
    add = parser.add_argument
    add("--capacity", type=arg_type(parse_rate), help="checks/s (default: find-max first)")
    add("--share", type=arg_type(parse_share), default="70%", help="of the capacity")
    add("--duration", type=arg_type(parse_duration), default="30m", help="of the soak")
    add("--every", type=arg_type(parse_duration), default="30s", help="RSS sample interval")
    add(
        "--settle",
        type=arg_type(parse_duration),
        default="2m",
        help="RSS growth is counted from this far into the run (caches and pools fill first)",
    )
    add("--stretch", type=arg_type(parse_duration), default="5m", help="latency per stretch")
    add(
        "--topology",
        choices=[Topology.SEPARATE.value, Topology.COMPACT.value],
        default=Topology.SEPARATE.value,
        help="a process per mock and adapter, or one for all mocks and one for all adapters",
    )
    add("--out", type=Path, help="reports and logs (default var/soak/<UTC time>)")
    return parser


async def _run(args: argparse.Namespace, out: Path) -> Soak:
    layout = Layout(Topology(args.topology), replicated=None)
    async with rigged(out / "stack", 1, layout, proxied=False) as rig:
        found = args.capacity or await capacity(rig.stack.target, out / "capacity", THROUGHPUT_SLO)
        rate = round(found * args.share, 1)
        print(f"soak: {rate:g}/s for {args.duration:g} s", file=sys.stderr, flush=True)
        run = await steady(rig, rate, args.duration, out / "soak", args.every)
    return Soak(found, run, args.settle, args.stretch)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    out = args.out or Path("var/soak") / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    soak = asyncio.run(_run(args, out))
    print(render(soak))
    return 0 if soak.met() else 1


if __name__ == "__main__":
    sys.exit(main())
