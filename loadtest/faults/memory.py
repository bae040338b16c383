"""Resident memory of every process of the stack over a run, sampled at an interval."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field

from loadtest.procstat import rss_kb


@dataclass
class RssLog:
    """Per process, (seconds on the run's clock, RSS in MiB) samples."""

    samples: dict[str, list[tuple[float, float]]] = field(default_factory=dict)

    def record(self, at_s: float, pids: Mapping[str, int]) -> None:
        for name, pid in pids.items():
            kb = rss_kb(pid)
            if kb is not None:
                self.samples.setdefault(name, []).append((at_s, kb / 1024))

    def growth(self, name: str, since_s: float = 0.0) -> float:
        """RSS at the last sample over RSS at the first one after `since_s`, minus one."""
        kept = [mb for at, mb in self.samples.get(name, []) if at >= since_s]
        return kept[-1] / kept[0] - 1 if len(kept) >= 2 else 0.0

    def first_last(self, name: str, since_s: float = 0.0) -> tuple[float, float]:
        kept = [mb for at, mb in self.samples.get(name, []) if at >= since_s]
        return (kept[0], kept[-1]) if kept else (0.0, 0.0)


async def _sample(
    pids: Callable[[], Mapping[str, int]], clock: Callable[[], float], every_s: float, log: RssLog
) -> None:
    while True:
        log.record(clock(), pids())
        await asyncio.sleep(every_s)


@contextlib.asynccontextmanager
async def sampled(
    pids: Callable[[], Mapping[str, int]], clock: Callable[[], float], every_s: float
) -> AsyncIterator[RssLog]:
    """Sample the RSS of `pids()` (name -> pid, asked each time) while the block runs, and
    once more at its end."""
    log = RssLog()
    task = asyncio.create_task(_sample(pids, clock, every_s, log), name="rss-sampler")
    try:
        yield log
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        log.record(clock(), pids())
