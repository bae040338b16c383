"""What a run is asked to do: its mode, rates and durations, SLO, transport and mix."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from loadtest.load.arrivals import Arrivals
from loadtest.load.capacity import Ramp, SearchLimits
from loadtest.load.runner import Transport
from loadtest.load.slo import Slo
from loadtest.load.workload import Mix

# The timeline keeps at most about this many intervals, whatever the run's length.
TIMELINE_POINTS = 300


class Mode(Enum):
    FIXED = "fixed"
    RAMP = "ramp"
    FIND_MAX = "find-max"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Plan:
    mode: Mode
    target_rate: float | None
    duration_s: float
    ramp: Ramp | None
    step_s: float
    search: SearchLimits | None
    concurrency: int | None
    arrivals: Arrivals
    warmup_s: float
    slo: Slo | None
    max_lag_ms: float
    transport: Transport
    mix: Mix | None
    request_file: Path | None
    deadline_ms: int | None
    metrics_urls: tuple[str, ...]
    seed: int

    @property
    def open_loop(self) -> bool:
        return self.mode is not Mode.CLOSED

    def first_rate(self) -> float | None:
        """The rate the warm-up runs at (None in closed loop)."""
        if self.ramp is not None:
            return self.ramp.start
        if self.search is not None:
            return self.search.start
        return self.target_rate

    def planned_s(self) -> float:
        """How long the measured part lasts at most (find-max: its time limit)."""
        if self.ramp is not None:
            return len(self.ramp.rates()) * self.step_s
        if self.search is not None:
            return self.search.max_time_s + self.step_s
        return self.duration_s

    def timeline_interval_s(self) -> float:
        return float(max(1, math.ceil(self.planned_s() / TIMELINE_POINTS)))

    def settings(self) -> dict[str, object]:
        """The plan as plain JSON values, for report.json."""
        tls = self.transport.tls
        mix = self.mix
        return {
            "mode": self.mode.value,
            "target": self.transport.target,
            "rate": self.target_rate,
            "duration_s": self.duration_s,
            "ramp": asdict(self.ramp) if self.ramp else None,
            "step_s": self.step_s,
            "find_max": asdict(self.search) if self.search else None,
            "concurrency": self.concurrency,
            "arrivals": self.arrivals.value,
            "warmup_s": self.warmup_s,
            "slo": self.slo.spec if self.slo else None,
            "max_lag_ms": self.max_lag_ms,
            "channels": self.transport.channels,
            "max_in_flight": self.transport.max_in_flight,
            "timeout_s": self.transport.timeout_s,
            "tls": {"dir": str(tls.directory), "client_name": tls.client_name} if tls else None,
            "request_file": str(self.request_file) if self.request_file else None,
            "mix": _mix_settings(mix) if mix else None,
            "deadline_ms": self.deadline_ms,
            "metrics_urls": list(self.metrics_urls),
            "seed": self.seed,
        }


def _mix_settings(mix: Mix) -> dict[str, object]:
    return {
        "population": mix.population,
        "population_seed": mix.population_seed,
        "seed": mix.seed,
        "distinct": mix.distinct,
        "variants": dict(mix.variants),
        "purposes": dict(mix.purposes),
        "systems": dict(mix.subsets),
        "hit_ratio": mix.hit_ratio,
        "packs": {str(p.path): p.share for p in mix.packs},
    }
