"""Service level objectives: `p99<=100ms,errors<=0.1%` parsed, and judged against a summary.

A clause is `[SYSTEM.]METRIC OP VALUE`:
- latency metrics `p50`, `p90`, `p99`, `p99.9` (any `pNN`), `max`, `mean`; the value in
  `ms` (the default), `s` or `us`. Without a system they judge the whole check from its
  intended send time; with one (`vis.p99<=40ms`) that system's latency as the broker
  reported it.
- `errors` (calls that ended in a gRPC error) and `incomplete` (reports in which an
  asked system did not answer), as shares: `0.1%` or `0.001`.
- `rate`: achieved checks per second.
OP is one of `<=`, `<`, `>=`, `>`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from loadtest.load.summary import Latency, Summary
from loadtest.load.units import parse_duration, parse_share

_CLAUSE = re.compile(
    r"^\s*(?:(?P<system>[a-z]+)\.)?(?P<metric>p\d+(?:\.\d+)?|max|mean|errors|incomplete|rate)"
    r"\s*(?P<op><=|>=|<|>)\s*(?P<value>\S+)\s*$"
)
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_SHARES = ("errors", "incomplete")


@dataclass(frozen=True, slots=True)
class Clause:
    text: str
    system: str
    metric: str
    op: str
    limit: float
    unit: str


@dataclass(frozen=True, slots=True)
class ClauseResult:
    clause: str
    measured: float | None
    limit: float
    unit: str
    passed: bool


@dataclass(frozen=True, slots=True)
class SloResult:
    spec: str
    passed: bool
    clauses: tuple[ClauseResult, ...]


@dataclass(frozen=True, slots=True)
class Slo:
    spec: str
    clauses: tuple[Clause, ...]

    def judge(self, summary: Summary) -> SloResult:
        results = tuple(_judge(clause, summary) for clause in self.clauses)
        return SloResult(self.spec, all(r.passed for r in results), results)


def parse_slo(spec: str) -> Slo:
    """Parse a comma-separated list of clauses; ValueError names the clause at fault."""
    clauses = tuple(_clause(part) for part in spec.split(",") if part.strip())
    if not clauses:
        raise ValueError("an SLO needs at least one clause, e.g. p99<=100ms")
    return Slo(spec, clauses)


def _clause(text: str) -> Clause:
    match = _CLAUSE.match(text)
    if match is None:
        raise ValueError(f"SLO clause {text.strip()!r}: expected e.g. p99<=100ms, errors<=0.1%")
    metric, system = match["metric"], match["system"] or ""
    if system and metric in (*_SHARES, "rate"):
        raise ValueError(f"SLO clause {text.strip()!r}: {metric} is not measured per system")
    if metric.startswith("p") and not 0 < float(metric[1:]) <= 100:
        raise ValueError(f"SLO clause {text.strip()!r}: a percentile is above 0 and at most 100")
    limit, unit = _limit(metric, match["value"], text.strip())
    return Clause(text.strip(), system, metric, match["op"], limit, unit)


def _limit(metric: str, value: str, text: str) -> tuple[float, str]:
    try:
        if metric in _SHARES:
            return parse_share(value), "share"
        if metric == "rate":
            return float(value.removesuffix("/s")), "/s"
        bare = value.replace(".", "", 1).isdigit()
        return parse_duration(value + "ms" if bare else value) * 1000, "ms"
    except ValueError as error:
        raise ValueError(f"SLO clause {text!r}: {error}") from None


def _judge(clause: Clause, summary: Summary) -> ClauseResult:
    measured = _measure(clause, summary)
    passed = measured is not None and _OPS[clause.op](measured, clause.limit)
    return ClauseResult(clause.text, measured, clause.limit, clause.unit, passed)


def _measure(clause: Clause, summary: Summary) -> float | None:
    if clause.metric == "errors":
        return summary.error_share
    if clause.metric == "incomplete":
        return summary.incomplete_share
    if clause.metric == "rate":
        return summary.achieved_rate
    latency = summary.latency
    if clause.system:
        figures = summary.systems.get(clause.system)
        if figures is None:
            return None
        latency = figures.latency
    return _latency(latency, clause.metric)


def _latency(latency: Latency, metric: str) -> float | None:
    if latency.count == 0:
        return None
    if metric == "max":
        return latency.max_ms
    if metric == "mean":
        return latency.mean_ms
    return latency.at(float(metric[1:]))
