"""The few lines printed after a run: verdict, figures, steps, SLO, where the report is."""

from __future__ import annotations

from pathlib import Path

from loadtest.load.report import RunReport
from loadtest.load.summary import Summary


def lines(report: RunReport, files: list[Path]) -> list[str]:
    s = report.settings
    out = [f"{_what(report)} against {s['target']}: {'VALID' if report.valid else 'INVALID'}"]
    out.extend(f"  invalid: {reason}" for reason in report.invalid_reasons)
    if len(report.steps) > 1:
        out.append("  all steps together (pauses between steps included in the rate):")
        out.extend(_figures(report.summary, "    "))
        out.append("  steps:")
        out.extend(
            f"    {step.rate:>8g}/s -> {step.summary.achieved_rate:8.1f}/s  "
            f"p50 {step.summary.latency.p50_ms:8.1f} ms  p99 {step.summary.latency.p99_ms:8.1f} ms"
            f"  errors {step.summary.error_share:.2%}"
            f"  {'' if step.slo is None else ('SLO met' if step.slo.passed else 'SLO missed')}"
            f"{'' if step.valid else '  INVALID'}"
            for step in report.steps
        )
    else:
        out.extend(_figures(report.summary, "  "))
    if report.capacity is not None:
        best = report.capacity.max_rate
        out.append(
            f"  highest rate meeting the SLO: {'none' if best is None else f'{best:g}/s'} "
            f"({report.capacity.probes} steps; {report.capacity.stopped_because})"
        )
    if report.slo is not None:
        clauses = ", ".join(
            f"{c.clause} ({'-' if c.measured is None else f'{c.measured:g}'})"
            for c in report.slo.clauses
        )
        out.append(
            f"  SLO over the whole run: {'met' if report.slo.passed else 'missed'}: {clauses}"
        )
    out.append("  report: " + ", ".join(str(f) for f in files))
    return out


def _what(report: RunReport) -> str:
    s = report.settings
    mode = s["mode"]
    if mode == "fixed":
        return f"fixed {s['rate']:g}/s {s['arrivals']} for {s['duration_s']:g} s"
    if mode == "closed":
        return f"closed loop x{s['concurrency']} for {s['duration_s']:g} s"
    return f"{mode} ({len(report.steps)} steps of {s['step_s']:g} s)"


def _figures(summary: Summary, indent: str) -> list[str]:
    lat, svc, lag = summary.latency, summary.service_time, summary.send_lag
    offered = (
        ""
        if summary.offered is None
        else f"offered {summary.offered} ({summary.offered_rate:g}/s), "
    )
    systems = "  ".join(f"{name} {f.latency.p99_ms:g}" for name, f in summary.systems.items())
    return [
        f"{indent}{offered}completed {summary.completed} ({summary.achieved_rate:.1f}/s), "
        f"errors {summary.errors} ({summary.error_share:.3%}), "
        f"incomplete reports {summary.incomplete_reports}",
        f"{indent}latency ms: p50 {lat.p50_ms:g}  p90 {lat.p90_ms:g}  p99 {lat.p99_ms:g}  "
        f"p99.9 {lat.p999_ms:g}  max {lat.max_ms:g}",
        f"{indent}service time ms: p50 {svc.p50_ms:g}  p99 {svc.p99_ms:g}; "
        f"send lag ms: p99 {lag.p99_ms:g}  max {lag.max_ms:g}",
        f"{indent}per system p99 ms (as the broker measured): {systems or 'none'}",
    ]
