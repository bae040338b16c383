"""Two report.json files side by side: deltas, and which of them are regressions.

Latencies and rates are compared relatively (`tolerance`, e.g. 10 %); shares of
errors and incomplete reports absolutely (`share_tolerance`, in points, e.g. 0.1 %),
since a share that goes from 0 to 0.01 % is an infinite relative change. Ramp steps
are compared rate by rate where both runs have the rate; find-max runs by the
highest rate that met the SLO. A candidate run that is itself invalid fails too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

# Latency changes smaller than this are timer and scheduler noise, never a regression.
LATENCY_FLOOR_MS = 0.5
_SETTINGS_COMPARED = ("mode", "target", "rate", "ramp", "concurrency", "arrivals", "mix", "slo")


class Kind(Enum):
    LATENCY = "latency"  # ms, lower is better
    RATE = "rate"  # checks/s, higher is better
    SHARE = "share"  # fraction, lower is better


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    kind: Kind
    value: float


@dataclass(frozen=True, slots=True)
class Delta:
    name: str
    kind: Kind
    baseline: float
    candidate: float
    regression: bool

    @property
    def change(self) -> str:
        if self.kind is Kind.SHARE:
            return f"{(self.candidate - self.baseline) * 100:+.3f} pt"
        if self.baseline == 0:
            return "new" if self.candidate else "+0.0%"
        return f"{(self.candidate / self.baseline - 1):+.1%}"


@dataclass(frozen=True, slots=True)
class Comparison:
    deltas: tuple[Delta, ...]
    notes: tuple[str, ...]
    candidate_invalid: bool

    @property
    def regressed(self) -> bool:
        return self.candidate_invalid or any(d.regression for d in self.deltas)


def load(path: Path) -> dict[str, Any]:
    """A report.json, given as the file or the run's output directory."""
    file = path / "report.json" if path.is_dir() else path
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{file}: not an interop loadtest report (not JSON: {error})") from None
    if not isinstance(document, dict) or not str(document.get("schema", "")).startswith(
        "interop-loadtest-report/"
    ):
        raise ValueError(f"{file}: not an interop loadtest report")
    summary = document.get("summary")
    missing = [key for key in _SUMMARY_KEYS if not isinstance(summary, dict) or key not in summary]
    if missing or not isinstance(document.get("settings"), dict):
        lacks = ", ".join([f"summary.{key}" for key in missing] or ["settings"])
        raise ValueError(f"{file}: an interop loadtest report without {lacks}")
    return document


# What `figures` reads of every summary.
_SUMMARY_KEYS = ("latency", "achieved_rate", "error_share", "incomplete_share")


def figures(report: Mapping[str, Any]) -> tuple[Figure, ...]:
    """The comparable figures of a report, each with a name both reports can share."""
    out = list(_summary_figures("", report["summary"]))
    for step in report.get("steps", []):
        if step.get("rate") is not None and len(report["steps"]) > 1:
            out.extend(_summary_figures(f"step {step['rate']:g}/s ", step["summary"], brief=True))
    capacity = report.get("capacity")
    if capacity and capacity.get("max_rate") is not None:
        out.append(Figure("highest rate meeting the SLO /s", Kind.RATE, capacity["max_rate"]))
    return tuple(out)


def _summary_figures(prefix: str, summary: Mapping[str, Any], brief: bool = False) -> list[Figure]:
    latency = summary["latency"]
    out = [
        Figure(f"{prefix}achieved /s", Kind.RATE, summary["achieved_rate"]),
        Figure(f"{prefix}p50 ms", Kind.LATENCY, latency["p50_ms"]),
        Figure(f"{prefix}p99 ms", Kind.LATENCY, latency["p99_ms"]),
        Figure(f"{prefix}errors", Kind.SHARE, summary["error_share"]),
    ]
    if brief:
        return out
    out.insert(2, Figure("p90 ms", Kind.LATENCY, latency["p90_ms"]))
    out.append(Figure("incomplete reports", Kind.SHARE, summary["incomplete_share"]))
    for system, figures_ in summary.get("systems", {}).items():
        if figures_["latency"]["count"]:
            out.append(Figure(f"{system} p99 ms", Kind.LATENCY, figures_["latency"]["p99_ms"]))
    return out


def compare(
    baseline: Mapping[str, Any],
    candidate: Mapping[str, Any],
    tolerance: float,
    share_tolerance: float,
) -> Comparison:
    base = {f.name: f for f in figures(baseline)}
    deltas = tuple(
        Delta(
            f.name,
            f.kind,
            base[f.name].value,
            f.value,
            _worse(base[f.name], f, tolerance, share_tolerance),
        )
        for f in figures(candidate)
        if f.name in base
    )
    return Comparison(deltas, _notes(baseline, candidate), not candidate.get("valid", False))


def _worse(base: Figure, new: Figure, tolerance: float, share_tolerance: float) -> bool:
    if base.kind is Kind.SHARE:
        return new.value - base.value > share_tolerance
    if base.kind is Kind.RATE:
        return new.value < base.value * (1 - tolerance)
    return new.value > base.value * (1 + tolerance) and new.value - base.value > LATENCY_FLOOR_MS


def _notes(baseline: Mapping[str, Any], candidate: Mapping[str, Any]) -> tuple[str, ...]:
    notes = []
    for key in _SETTINGS_COMPARED:
        a, b = baseline["settings"].get(key), candidate["settings"].get(key)
        if a != b:
            notes.append(f"settings differ: {key} {json.dumps(a)} vs {json.dumps(b)}")
    for name, report in (("baseline", baseline), ("candidate", candidate)):
        if not report.get("valid", False):
            reasons = "; ".join(report.get("invalid_reasons", []))
            notes.append(f"the {name} run is invalid: {reasons}")
    return tuple(notes)


def render(comparison: Comparison, tolerance: float, share_tolerance: float) -> str:
    rows: list[Sequence[str]] = [("figure", "baseline", "candidate", "change", "")]
    for d in comparison.deltas:
        limit = f"{share_tolerance * 100:.3f} pt" if d.kind is Kind.SHARE else f"{tolerance:.0%}"
        flag = f"REGRESSION (beyond {limit})" if d.regression else ""
        rows.append((d.name, f"{d.baseline:g}", f"{d.candidate:g}", d.change, flag))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(row[:4])
        )
        + (f"  {row[4]}" if row[4] else "")
        for row in rows
    ]
    lines.extend(f"note: {note}" for note in comparison.notes)
    verdict = "REGRESSION" if comparison.regressed else "no regression"
    lines.append(f"{verdict} (tolerance {tolerance:.0%}, shares {share_tolerance * 100:.3f} pt)")
    return "\n".join(lines)
