"""Where observations go: HDR histograms per system and overall, counters, a timeline.

A `Tally` sums up a stretch of load (the whole run, or one step of a ramp); a
`Timeline` keeps the same figures per interval for the plots. Both take the same
three calls from the runner (`scheduled`, `sent`, `add`), so the runner feeds any
number of them without knowing which is which.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from hdrh.histogram import HdrHistogram

from loadtest.load.observation import SERVER_TIMING, Observation
from loadtest.load.summary import Hops, Latency, Summary, SystemFigures, TimelinePoint

HIGHEST_US = 3_600_000_000
# Three significant digits for the figures of record; two per timeline interval, where
# hundreds of histograms are kept and a plot cannot show the third digit anyway.
DIGITS = 3
TIMELINE_DIGITS = 2


def histogram(digits: int = DIGITS) -> HdrHistogram:
    return HdrHistogram(1, HIGHEST_US, digits)


def microseconds(seconds: float) -> int:
    return min(HIGHEST_US, max(1, round(seconds * 1e6)))


@dataclass
class Recorded:
    """A histogram of microseconds and the exact sum of its values.

    The sum gives the mean directly; hdrh works it out by walking every bucket in Python,
    which takes tens of milliseconds per histogram.
    """

    histogram: HdrHistogram = field(default_factory=histogram)
    total_us: int = 0

    def add(self, value_us: int) -> None:
        self.histogram.record_value(value_us)
        self.total_us += value_us

    def latency(self) -> Latency:
        return Latency.of(self.histogram, self.total_us)


class Sink(Protocol):
    def scheduled(self, intended_s: float) -> None: ...
    def sent(self, sent_s: float) -> None: ...
    def add(self, observation: Observation) -> None: ...


@dataclass
class _System:
    latency: Recorded = field(default_factory=Recorded)
    outcomes: Counter[str] = field(default_factory=Counter)


class Tally:
    """Every figure of one stretch of load, from `start_s` on."""

    def __init__(self, start_s: float, open_loop: bool) -> None:
        self.start_s = start_s
        self.open_loop = open_loop
        self.offered = 0
        self.latency = Recorded()
        self.service_time = Recorded()
        self.send_lag = Recorded()
        self.errors: Counter[str] = Counter()
        self.verdicts: Counter[str] = Counter()
        self.systems: dict[str, _System] = {}
        self.hops: dict[str, Recorded] = {}
        self.answered = 0
        self.incomplete = 0
        self.with_hits = 0
        self.last_end_s = start_s

    def scheduled(self, intended_s: float) -> None:
        self.offered += 1

    def sent(self, sent_s: float) -> None:
        """Sends are counted when they end (`add`); the tally needs no separate count."""

    def add(self, observation: Observation) -> None:
        self.latency.add(microseconds(observation.ended_s - observation.intended_s))
        self.service_time.add(microseconds(observation.ended_s - observation.sent_s))
        self.send_lag.add(microseconds(observation.sent_s - observation.intended_s))
        self.last_end_s = max(self.last_end_s, observation.ended_s)
        if observation.error is not None:
            self.errors[observation.error] += 1
            return
        self.answered += 1
        self.verdicts[observation.verdict] += 1
        self.incomplete += observation.incomplete
        self.with_hits += observation.hits > 0
        for answer in observation.systems:
            system = self.systems.setdefault(answer.system, _System())
            system.outcomes[answer.status] += 1
            if answer.status == "ANSWERED":
                system.latency.add(max(1, answer.latency_ms * 1000))
        for hop, ms in observation.hops:
            self.hops.setdefault(hop, Recorded()).add(microseconds(ms / 1000))

    def summary(self, nominal_s: float) -> Summary:
        """The figures, over `nominal_s` or until the last call ended if that was later."""
        completed = self.answered + sum(self.errors.values())
        duration = max(nominal_s, self.last_end_s - self.start_s)
        offered = self.offered if self.open_loop else None
        return Summary(
            duration_s=round(duration, 3),
            offered=offered,
            offered_rate=round(self.offered / nominal_s, 3) if offered is not None else None,
            completed=completed,
            answered=self.answered,
            errors=completed - self.answered,
            achieved_rate=round(completed / duration, 3) if duration > 0 else 0.0,
            error_share=_share(completed - self.answered, completed),
            latency=self.latency.latency(),
            service_time=self.service_time.latency(),
            send_lag=self.send_lag.latency(),
            errors_by_status=dict(sorted(self.errors.items())),
            verdicts=dict(sorted(self.verdicts.items())),
            incomplete_reports=self.incomplete,
            incomplete_share=_share(self.incomplete, self.answered),
            reports_with_hits=self.with_hits,
            systems={
                name: SystemFigures(s.latency.latency(), dict(sorted(s.outcomes.items())))
                for name, s in sorted(self.systems.items())
            },
            hops=Hops(
                reported=bool(self.hops),
                source=f"{SERVER_TIMING} trailing metadata",
                by_hop={name: h.latency() for name, h in sorted(self.hops.items())},
            ),
        )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


@dataclass
class _Window:
    offered: int = 0
    sent: int = 0
    completed: int = 0
    errors: int = 0
    latency: HdrHistogram = field(default_factory=lambda: histogram(TIMELINE_DIGITS))


class Timeline:
    """The run cut into intervals of `interval_s`: what was offered, what ended, how fast."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._windows: dict[int, _Window] = {}

    def _at(self, t_s: float) -> _Window:
        return self._windows.setdefault(max(0, int(t_s // self.interval_s)), _Window())

    def scheduled(self, intended_s: float) -> None:
        self._at(intended_s).offered += 1

    def sent(self, sent_s: float) -> None:
        self._at(sent_s).sent += 1

    def add(self, observation: Observation) -> None:
        window = self._at(observation.ended_s)
        window.completed += 1
        window.errors += observation.error is not None
        window.latency.record_value(microseconds(observation.ended_s - observation.intended_s))

    def points(self) -> list[TimelinePoint]:
        """One point per interval from 0 to the last one with activity, gaps filled."""
        points: list[TimelinePoint] = []
        in_flight = 0
        for index in range(max(self._windows, default=-1) + 1):
            window = self._windows.get(index, _Window())
            in_flight += window.sent - window.completed
            points.append(_point(index * self.interval_s, window, in_flight))
        return points


def _point(t_s: float, window: _Window, in_flight: int) -> TimelinePoint:
    def ms(microseconds: int) -> float | None:
        return round(int(microseconds) / 1000, 3) if window.completed else None

    def at(percentile: float) -> float | None:
        return ms(window.latency.get_value_at_percentile(percentile))

    return TimelinePoint(
        t_s=round(t_s, 3),
        offered=window.offered,
        completed=window.completed,
        errors=window.errors,
        in_flight=max(0, in_flight),
        p50_ms=at(50),
        p90_ms=at(90),
        p99_ms=at(99),
        max_ms=ms(window.latency.get_max_value()),
    )
