"""The live progress line on stderr: rate, p50/p99, errors, in flight, time left.

On a terminal the line is rewritten every second; into a file or pipe a line is
written every `PLAIN_EVERY_S` seconds instead, so logs stay readable. Figures are
for the last second (rate, percentiles) or the phase so far (errors).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TextIO

from loadtest.load.observation import Observation
from loadtest.load.units import format_duration

PLAIN_EVERY_S = 5.0


class Progress:
    """A sink that counts what it sees, and a ticker that prints it."""

    def __init__(self, stream: TextIO, enabled: bool, in_flight: Callable[[], int]) -> None:
        self._stream = stream
        self._enabled = enabled
        self._interactive = enabled and stream.isatty()
        self._in_flight = in_flight
        self._label = ""
        self._ends_at = 0.0
        self._left_after_s = 0.0
        # A plain list: sorting a second's worth of latencies is cheap, whereas reading a
        # percentile from an HDR histogram walks its buckets in Python and would stall sends.
        self._recent: list[float] = []
        self._ended = 0
        self._errors = 0
        self._lag_ms = 0.0
        self._last_plain = 0.0

    def begin(self, label: str, duration_s: float, left_after_s: float) -> None:
        """A new phase: its label, its length, and the time planned after it."""
        self._label = label
        self._ends_at = time.monotonic() + duration_s
        self._left_after_s = left_after_s
        self._ended = self._errors = 0

    def scheduled(self, intended_s: float) -> None:
        """Nothing to show per schedule; the rate shown is what ended."""

    def sent(self, sent_s: float) -> None:
        """Sends show up as in-flight checks, counted by the runner."""

    def add(self, observation: Observation) -> None:
        self._recent.append(observation.ended_s - observation.intended_s)
        self._ended += 1
        self._errors += observation.error is not None
        self._lag_ms = max(self._lag_ms, (observation.sent_s - observation.intended_s) * 1000)

    @contextlib.asynccontextmanager
    async def shown(self) -> AsyncIterator[None]:
        """Print the line every second while the body runs."""
        if not self._enabled:
            yield
            return
        task = asyncio.create_task(self._tick())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if self._interactive:
                self._stream.write("\n")

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self._print(self.line())

    def line(self) -> str:
        """The figures since the last call (rate, percentiles, worst lag) and of the phase."""
        recent = sorted(self._recent)
        p50, p99 = (_nearest_rank(recent, p) * 1000 for p in (0.50, 0.99))
        left = max(0.0, self._ends_at - time.monotonic()) + self._left_after_s
        share = self._errors / self._ended if self._ended else 0.0
        text = (
            f"{self._label}: {len(recent)}/s  p50 {p50:.1f} ms  p99 {p99:.1f} ms  "
            f"errors {self._errors} ({share:.2%})  in flight {self._in_flight()}  "
            f"lag {self._lag_ms:.1f} ms  left {format_duration(left)}"
        )
        self._recent.clear()
        self._lag_ms = 0.0
        return text

    def _print(self, text: str) -> None:
        if self._interactive:
            self._stream.write(f"\r\x1b[2K{text}")
            self._stream.flush()
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = now
            print(text, file=self._stream, flush=True)


def _nearest_rank(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def stderr_progress(enabled: bool, in_flight: Callable[[], int]) -> Progress:
    return Progress(sys.stderr, enabled, in_flight)
