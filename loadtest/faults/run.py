"""One fault under load: the load tool holds an open-loop rate against the gateway while
the fault is injected and healed; every check is judged, recovery and audit counted."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from loadtest.faults.audit import audited
from loadtest.faults.catalog import Fault, Note
from loadtest.faults.checks import Check, Collector, Expected, Fate, recovery_s
from loadtest.faults.health import HealthLog, watched
from loadtest.faults.rig import Rig
from loadtest.faults.specimen import PROMISE, specimen_load
from loadtest.load import report_html
from loadtest.load.execute import execute
from loadtest.load.report import RunReport
from loadtest.load.report import write as write_json
from loadtest.processes import Role

# The longest healing may take (a Kafka node's start on a busy machine): the load runs on
# until the fault is healed and `after_s` more, this long at most.
HEAL_BUDGET_S = 180.0


@dataclass(frozen=True)
class Timing:
    """Seconds of load before the fault, how long it lasts, and load once it is healed."""

    before_s: float
    lasts_s: float
    after_s: float

    @property
    def longest_s(self) -> float:
        return self.before_s + self.lasts_s + HEAL_BUDGET_S + self.after_s


@dataclass(frozen=True)
class Window:
    """When the fault began, when it ended (its healing began), and when it was healed:
    the part restarted and serving, the Kafka node back, the network restored."""

    start_s: float
    end_s: float
    healed_s: float


@dataclass(frozen=True)
class Result:
    fault: Fault
    rate: float
    checks: tuple[Check, ...]
    window: Window
    recovery_s: float | None
    # Why each check the fault may not have caused was wrong.
    wrong: tuple[str, ...]
    audit_lost: int
    # What the fault's steps reported (a stopped part's exit code).
    notes: tuple[Note, ...]
    health: HealthLog
    load_average: tuple[float, float, float]
    report: RunReport

    @property
    def fates(self) -> Counter[Fate]:
        return Counter(c.fate(PROMISE) for c in self.checks)

    @property
    def errors(self) -> Counter[str]:
        return Counter(c.error for c in self.checks if c.error is not None)


def judge(
    checks: list[Check], expected: Expected, window: Window, recovery: float | None
) -> tuple[str, ...]:
    """Checks whose outcome the fault may not cause: within the fault (from a deadline
    before it to the recovery), outcomes `expected` does not allow; outside, any report
    that is not whole."""
    first = window.start_s - PROMISE.by_s
    last = window.healed_s + (float("inf") if recovery is None else recovery)
    wrong = []
    for check in checks:
        if expected.drains and check.sent_s < window.start_s and not check.answered:
            reason: str | None = f"sent before the stop, ended {check.error}: not drained"
        elif first <= check.intended_s <= last:
            reason = expected.wrong(check)
        else:
            reason = None if check.complete else "not whole outside the fault"
        if reason is not None:
            wrong.append(f"{check.intended_s:.1f} s: {reason}")
    return tuple(wrong)


def health_addresses(rig: Rig) -> dict[str, str]:
    """The gateway's and every adapter's health address: the parts that watch the bus."""
    roles = (Role.GATEWAY, Role.ADAPTERS)
    return {
        name: part.health[0]
        for name, part in rig.stack.parts.items()
        if part.role in roles and part.health
    }


async def run_fault(rig: Rig, fault: Fault, timing: Timing, rate: float, out: Path) -> Result:
    """Load at `rate`: the fault `timing.before_s` into it, healed `timing.lasts_s` later,
    and `timing.after_s` more once healed."""
    shape = (f"--rate={rate:g}", f"--duration={timing.longest_s:g}s", "--warmup=1s")
    plan, pool = specimen_load(rig.stack.target, out, *shape)
    collector = Collector()
    audit_before = audited(rig.stack.audit_logs)
    if fault.prepare is not None:
        await fault.prepare(rig)
    stop = asyncio.Event()
    load = asyncio.create_task(execute(plan, pool, False, [collector], stop))
    try:
        await collector.measuring(load)
        async with watched(health_addresses(rig), collector.now) as health:
            window, notes = await _drive(rig, fault, timing, collector)
            await _until(collector, window.healed_s + timing.after_s)
            stop.set()
            report = await load
    finally:
        load.cancel()
    await _restore(rig, fault)
    new_audit = audited(rig.stack.audit_logs) - audit_before
    answered = {c.correlation_id for c in collector.checks if c.answered}
    write_json(report, out)
    report_html.write(report, out)
    checks = sorted(collector.checks, key=lambda c: c.intended_s)
    recovery = recovery_s(checks, PROMISE, window.start_s, window.healed_s)
    return Result(
        fault,
        rate,
        tuple(checks),
        window,
        recovery,
        judge(checks, fault.expected(rig), window, recovery),
        len(answered - new_audit),
        notes,
        health,
        os.getloadavg(),
        report,
    )


async def _drive(
    rig: Rig, fault: Fault, timing: Timing, collector: Collector
) -> tuple[Window, tuple[Note, ...]]:
    """Inject the fault, and heal it when its time is up."""
    await _until(collector, timing.before_s)
    start = collector.now()
    notes = [await fault.inject(rig)]
    if fault.heal is None:
        return Window(start, start, start), _kept(notes)
    await _until(collector, start + timing.lasts_s)
    end = collector.now()
    notes.append(await fault.heal(rig))
    return Window(start, end, collector.now()), _kept(notes)


def _kept(notes: list[Note | None]) -> tuple[Note, ...]:
    return tuple(n for n in notes if n)


async def _until(collector: Collector, at_s: float) -> None:
    await asyncio.sleep(max(0.0, at_s - collector.now()))


async def _restore(rig: Rig, fault: Fault) -> None:
    """Leave the stack whole for the next fault."""
    if fault.cleanup is not None:
        await fault.cleanup(rig)
