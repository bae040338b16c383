"""Summaries made from synthetic observations, for tests that judge or compare figures."""

from __future__ import annotations

import json
from typing import Any

from loadtest.load.capacity import SearchResult
from loadtest.load.environment import Machine, Version
from loadtest.load.observation import Observation, SystemAnswer
from loadtest.load.recorder import Tally
from loadtest.load.report import SCHEMA, RunReport, Step, to_json
from loadtest.load.summary import Summary


def summary(
    latencies_ms: list[float], errors: int = 0, vis_ms: int = 30, incomplete: int = 0
) -> Summary:
    """Checks that took `latencies_ms`, then `errors` that failed and `incomplete` reports."""
    tally = Tally(0.0, open_loop=True)
    answers = (SystemAnswer("sis", "ANSWERED", 5), SystemAnswer("vis", "ANSWERED", vis_ms))
    missing = (SystemAnswer("sis", "ANSWERED", 5), SystemAnswer("vis", "TIMEOUT", 2000))
    for i, ms in enumerate(latencies_ms):
        tally.scheduled(i * 0.01)
        systems = missing if i < incomplete else answers
        at = i * 0.01
        tally.add(Observation(at, at, at + ms / 1000, verdict="CLEAR", systems=systems))
    for _ in range(errors):
        tally.scheduled(0.0)
        tally.add(Observation(0.0, 0.0, 0.05, error="UNAVAILABLE"))
    return tally.summary(10.0)


def report(
    figures: Summary,
    steps: tuple[Step, ...] = (),
    capacity: SearchResult | None = None,
    valid: bool = True,
    **settings: object,
) -> RunReport:
    """A run report around `figures`, as if made on a small machine."""
    return RunReport(
        schema=SCHEMA,
        version=Version("interop-broker", "0.1.0", "abcdef123456", False),
        machine=Machine("host", "Linux", "3.11.7", "CPU", 2, 4096, (0.5, 0.4, 0.3)),
        started_at="2026-01-01T00:00:00+00:00",
        finished_at="2026-01-01T00:01:00+00:00",
        settings={"mode": "fixed", "target": "127.0.0.1:50051", "rate": 200.0, "slo": None}
        | settings,
        workload={"variant": {"exact": 10}},
        valid=valid,
        invalid_reasons=() if valid else ("step 1 at 200/s: the generator fell behind",),
        summary=figures,
        slo=None,
        steps=steps or (Step(0, 200.0, 0.0, figures, None, valid, None),),
        capacity=capacity,
        timeline_interval_s=1.0,
        timeline=(),
        metrics=(),
    )


def as_json(run: RunReport) -> dict[str, Any]:
    """The report as compare reads it back from report.json."""
    document: dict[str, Any] = json.loads(to_json(run))
    return document
