"""A steady open-loop load on a stack, with every check kept and the memory of every
process sampled: what the overload and soak runs are made of."""

from __future__ import annotations

import asyncio
import os
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtest.faults.checks import Check, Collector, Fate
from loadtest.faults.memory import RssLog, sampled
from loadtest.faults.rig import Rig
from loadtest.faults.specimen import PROMISE, specimen_load
from loadtest.load import report_html
from loadtest.load.execute import execute
from loadtest.load.report import RunReport
from loadtest.load.report import write as write_json
from loadtest.procstat import Group, Usage, snapshot, usage

REFUSED = "RESOURCE_EXHAUSTED"
STACK, KAFKA, TOOL = "stack", "kafka", "load tool"
WARMUP_S = 2.0


@dataclass(frozen=True)
class Steady:
    rate: float
    duration_s: float
    report: RunReport
    checks: tuple[Check, ...]
    rss: RssLog
    # CPU seconds of the stack, the Kafka JVMs, this load tool and the whole machine.
    cpu: Usage

    def count(self, fate: Fate) -> int:
        return sum(1 for c in self.checks if c.fate(PROMISE) is fate)

    @property
    def goodput(self) -> float:
        """Whole reports in time, per second."""
        return sum(1 for c in self.checks if c.good(PROMISE)) / self.duration_s

    def cpu_ms_per_check(self, group: str = STACK) -> float:
        """CPU ms `group` spent per check that got a report (a refusal costs little)."""
        answered = sum(1 for c in self.checks if c.answered)
        return 1000 * self.cpu.cpu_s.get(group, 0.0) / max(answered, 1)

    @property
    def others_s(self) -> float:
        """CPU seconds the machine spent on other work than the run's (other users)."""
        return max(0.0, self.cpu.machine_s - sum(self.cpu.cpu_s.values()))

    @property
    def accepted(self) -> list[Check]:
        return [c for c in self.checks if c.error != REFUSED]

    @property
    def refused(self) -> list[Check]:
        return [c for c in self.checks if c.error == REFUSED]


def percentile_ms(seconds: Sequence[float], p: float) -> float:
    """The p-th percentile in ms (0 for none)."""
    if not seconds:
        return 0.0
    if len(seconds) == 1:
        return seconds[0] * 1000
    return statistics.quantiles(seconds, n=1000, method="inclusive")[round(p * 10) - 1] * 1000


def latencies(checks: Sequence[Check]) -> list[float]:
    """From the intended send to the end, as the load tool measures it."""
    return [c.ended_s - c.intended_s for c in checks]


def process_ids(rig: Rig) -> dict[str, int]:
    """Every process of the stack, and the Kafka JVMs."""
    pids = {name: m.pid for name, m in rig.stack.fleet.members.items()}
    pids.update({f"kafka pid {pid}": pid for pid in rig.kafka.pids()})
    return pids


def groups(rig: Rig) -> list[Group]:
    """The run's processes as /proc counts them: the stack, Kafka, this process."""
    return [
        Group(STACK, tuple(m.pid for m in rig.stack.fleet.members.values())),
        Group(KAFKA, tuple(rig.kafka.pids())),
        Group(TOOL, (os.getpid(),), descendants=False),
    ]


async def steady(rig: Rig, rate: float, duration_s: float, out: Path, rss_every_s: float) -> Steady:
    """`rate` checks/s for `duration_s` after a short warm-up; reports written to `out`."""
    shape = (f"--rate={rate:g}", f"--duration={duration_s:g}s", f"--warmup={WARMUP_S:g}s")
    plan, pool = specimen_load(rig.stack.target, out, *shape)
    collector = Collector()
    load = asyncio.create_task(execute(plan, pool, False, [collector]))
    try:
        await collector.measuring(load)
        before = snapshot(groups(rig))
        async with sampled(lambda: process_ids(rig), collector.now, rss_every_s) as rss:
            report = await load
        cpu = usage(before, snapshot(groups(rig)))
    finally:
        load.cancel()
    write_json(report, out)
    report_html.write(report, out)
    checks = tuple(sorted(collector.checks, key=lambda c: c.intended_s))
    return Steady(rate, duration_s, report, checks, rss, cpu)
