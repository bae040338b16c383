"""The result of a run as one value, and report.json (schema: loadtest/README.md)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loadtest.load.capacity import SearchResult
from loadtest.load.environment import Machine, Version
from loadtest.load.scrape import Scrape
from loadtest.load.slo import SloResult
from loadtest.load.summary import Summary, TimelinePoint

SCHEMA = "interop-loadtest-report/1"


@dataclass(frozen=True, slots=True)
class Step:
    """One stretch at one rate: the whole fixed-rate run, a ramp step, a find-max probe."""

    index: int
    rate: float | None
    started_s: float
    summary: Summary
    slo: SloResult | None
    valid: bool
    invalid_reason: str | None


@dataclass(frozen=True, slots=True)
class RunReport:
    schema: str
    version: Version
    machine: Machine
    started_at: str
    finished_at: str
    settings: Mapping[str, object]
    workload: Mapping[str, Mapping[str, int]]
    valid: bool
    invalid_reasons: tuple[str, ...]
    summary: Summary
    slo: SloResult | None
    steps: tuple[Step, ...]
    capacity: SearchResult | None
    timeline_interval_s: float
    timeline: tuple[TimelinePoint, ...]
    metrics: tuple[Scrape, ...]

    @property
    def met_slo(self) -> bool | None:
        """Did the run meet its SLO (None without one): every step did, or a capacity was found."""
        if self.slo is None:
            return None
        if self.capacity is not None:
            return self.capacity.max_rate is not None
        return all(s.slo is not None and s.slo.passed for s in self.steps)


def to_json(report: RunReport) -> str:
    return json.dumps(dataclasses.asdict(report), indent=2, ensure_ascii=False) + "\n"


def write(report: RunReport, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "report.json"
    path.write_text(to_json(report), encoding="utf-8")
    return path
