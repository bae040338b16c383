"""A whole run: warm up, scrape, measure in the plan's mode, scrape again, one report.

Steps of a ramp or find-max run one after the other; each waits for its last check
to end and the stack gets `SETTLE_S` to drain before the next, so a step's tail does
not land in the next step's figures.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence

from loadtest.load.arrivals import Phase
from loadtest.load.capacity import SearchResult, find_max
from loadtest.load.environment import machine, version
from loadtest.load.plan import Mode, Plan
from loadtest.load.progress import Progress, stderr_progress
from loadtest.load.recorder import Sink, Tally, Timeline
from loadtest.load.report import SCHEMA, RunReport, Step
from loadtest.load.runner import Runner
from loadtest.load.scrape import scrapes, snapshots
from loadtest.load.summary import Summary
from loadtest.load.units import format_duration
from loadtest.load.workload import Pool

SETTLE_S = 1.0


async def execute(
    plan: Plan,
    pool: Pool,
    show_progress: bool,
    watchers: Sequence[Sink] = (),
    stop: asyncio.Event | None = None,
) -> RunReport:
    """Run `plan`; `watchers` see every check of the measured part as the report does.
    Setting `stop` ends the run early: no new check is sent, those in flight end."""
    started_at = _now()
    async with Runner(plan.transport, pool, plan.arrivals, plan.seed, stop) as runner:
        progress = stderr_progress(show_progress, lambda: runner.in_flight)
        async with progress.shown():
            await _warm_up(plan, runner, progress)
            before = await snapshots(plan.metrics_urls)
            runner.restart_clock()
            whole = Tally(0.0, plan.open_loop)
            timeline = Timeline(plan.timeline_interval_s())
            sinks: tuple[Sink, ...] = (whole, timeline, progress, *watchers)
            measure = _Measure(plan, runner, progress, sinks)
            steps, capacity = await measure.run()
            after = await snapshots(plan.metrics_urls)
    summary = whole.summary(_nominal_s(plan, steps, runner.stopped_s))
    reasons = _invalid_reasons(plan, steps, capacity)
    return RunReport(
        schema=SCHEMA,
        version=version(),
        machine=machine(),
        started_at=started_at,
        finished_at=_now(),
        settings=plan.settings(),
        workload=pool.composition,
        valid=not reasons,
        invalid_reasons=reasons,
        summary=summary,
        slo=plan.slo.judge(summary) if plan.slo else None,
        steps=tuple(steps),
        capacity=capacity,
        timeline_interval_s=timeline.interval_s,
        timeline=tuple(timeline.points()),
        metrics=scrapes(plan.metrics_urls, before, after),
    )


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


async def _warm_up(plan: Plan, runner: Runner, progress: Progress) -> None:
    if plan.warmup_s <= 0:
        return
    progress.begin("warm-up", plan.warmup_s, plan.planned_s())
    rate = plan.first_rate()
    if rate is None:
        await runner.closed_phase(plan.concurrency or 1, plan.warmup_s, [progress])
    else:
        await runner.open_phase(Phase(rate, plan.warmup_s), [progress])
    await asyncio.sleep(SETTLE_S)


class _Measure:
    """The measured part of a run, one method per mode."""

    def __init__(
        self, plan: Plan, runner: Runner, progress: Progress, sinks: Sequence[Sink]
    ) -> None:
        self.plan = plan
        self.runner = runner
        self.progress = progress
        self.sinks = sinks
        self.steps: list[Step] = []

    async def run(self) -> tuple[list[Step], SearchResult | None]:
        if self.plan.mode is Mode.RAMP:
            return self.steps, await self.ramp()
        if self.plan.mode is Mode.FIND_MAX:
            return self.steps, await self.find_max()
        if self.plan.mode is Mode.CLOSED:
            await self.closed()
        else:
            await self.step(self.plan.target_rate or 0.0, self.plan.duration_s, "measure", 0.0)
        return self.steps, None

    async def step(self, rate: float, duration_s: float, label: str, left_after_s: float) -> Step:
        """One open-loop stretch at `rate`, judged against the SLO."""
        tally = Tally(self.runner.now(), open_loop=True)
        self.progress.begin(label, duration_s, left_after_s)
        await self.runner.open_phase(Phase(rate, duration_s), [*self.sinks, tally])
        return self._record(rate, tally.summary(self._length(duration_s, tally)), tally.start_s)

    async def closed(self) -> None:
        concurrency = self.plan.concurrency or 1
        tally = Tally(self.runner.now(), open_loop=False)
        self.progress.begin(f"closed loop x{concurrency}", self.plan.duration_s, 0.0)
        await self.runner.closed_phase(concurrency, self.plan.duration_s, [*self.sinks, tally])
        self._record(None, tally.summary(self._length(self.plan.duration_s, tally)), tally.start_s)

    def _length(self, duration_s: float, tally: Tally) -> float:
        """How long the stretch sent checks: as planned, or until the run was stopped."""
        stopped = self.runner.stopped_s
        return duration_s if stopped is None else min(duration_s, stopped - tally.start_s)

    def _record(self, rate: float | None, summary: Summary, started_s: float) -> Step:
        slo = self.plan.slo.judge(summary) if self.plan.slo else None
        lag = _lag_problem(summary, self.plan.max_lag_ms) if rate is not None else None
        step = Step(len(self.steps), rate, round(started_s, 3), summary, slo, lag is None, lag)
        self.steps.append(step)
        return step

    async def ramp(self) -> SearchResult | None:
        """Every rate of the ramp in turn; with an SLO, up to the first step that misses it."""
        assert self.plan.ramp is not None
        rates = self.plan.ramp.rates()
        passed: float | None = None
        for i, rate in enumerate(rates):
            left = (len(rates) - i - 1) * (self.plan.step_s + SETTLE_S)
            label = f"step {i + 1}/{len(rates)} at {rate:g}/s"
            step = await self.step(rate, self.plan.step_s, label, left)
            if step.slo is not None and not step.slo.passed:
                return SearchResult(passed, rate, i + 1, f"SLO missed at {rate:g}/s")
            if step.slo is not None and not step.valid:
                return SearchResult(passed, rate, i + 1, f"generator fell behind at {rate:g}/s")
            passed = rate
            await asyncio.sleep(SETTLE_S)
        return SearchResult(passed, None, len(rates), "ramp finished") if self.plan.slo else None

    async def find_max(self) -> SearchResult:
        limits = self.plan.search
        assert limits is not None
        started = time.monotonic()

        async def probe(rate: float) -> bool:
            left = max(0.0, limits.max_time_s - (time.monotonic() - started))
            label = f"probe {len(self.steps) + 1} at {rate:g}/s"
            step = await self.step(rate, self.plan.step_s, label, left)
            await asyncio.sleep(SETTLE_S)
            return step.valid and step.slo is not None and step.slo.passed

        return await find_max(probe, limits)


def _nominal_s(plan: Plan, steps: Sequence[Step], stopped_s: float | None) -> float:
    """The measured time as planned: the run's duration (up to an early stop), or its
    steps' (pauses aside)."""
    if plan.mode in (Mode.FIXED, Mode.CLOSED):
        return plan.duration_s if stopped_s is None else min(plan.duration_s, stopped_s)
    return len(steps) * plan.step_s


def _lag_problem(summary: Summary, max_lag_ms: float) -> str | None:
    """Why the generator did not hold the offered rate, or None when it did."""
    lag = summary.send_lag
    if lag.count == 0 or lag.p99_ms <= max_lag_ms:
        return None
    return (
        f"the generator fell behind: p99 send lag {lag.p99_ms:g} ms > {max_lag_ms:g} ms "
        f"(worst {format_duration(lag.max_ms / 1000)}); the offered rate was not held"
    )


def _invalid_reasons(
    plan: Plan, steps: Sequence[Step], capacity: SearchResult | None
) -> tuple[str, ...]:
    """Steps whose figures cannot be trusted; for find-max only those the answer rests on."""
    relevant = steps
    if plan.mode is Mode.FIND_MAX:
        ceiling = capacity.max_rate if capacity is not None else None
        relevant = [s for s in steps if ceiling is None or (s.rate or 0) <= ceiling]
    return tuple(
        f"step {s.index + 1} at {s.rate:g}/s: {s.invalid_reason}"
        for s in relevant
        if s.invalid_reason is not None and s.rate is not None
    )
