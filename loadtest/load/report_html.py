"""report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched).

Panels: verdict and SLO, figures, latency percentiles over time, throughput offered
vs achieved, in-flight checks, steps of a ramp or find-max, latency per system, per
hop (or a note that the server did not report hops), errors and outcomes, the
Prometheus scrape, the workload, and the settings and machine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path

from loadtest.load.report import RunReport, Step
from loadtest.load.scrape import Scrape
from loadtest.load.slo import SloResult
from loadtest.load.summary import Latency, Summary
from loadtest.load.svg import Bars, Series, bar_chart, line_chart

COLOURS = {
    "p50": "#1f77b4",
    "p90": "#2ca02c",
    "p99": "#d62728",
    "max": "#9467bd",
    "offered": "#7f7f7f",
    "achieved": "#ff7f0e",
    "errors": "#8c564b",
    "in flight": "#17becf",
}
NOT_REPORTED = "not reported by this server"
_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;
text-align:right}th:first-child,td:first-child{text-align:left}
.ok{color:#176b2c;font-weight:600}.bad{color:#b00020;font-weight:600}.note{color:#666}
svg.chart{display:block;margin:10px 0;font-size:11px}svg .title{font-size:13px;font-weight:600}
svg .grid{stroke:#e6e6e6}svg .axis{stroke:#888}pre{background:#f6f6f6;padding:8px;overflow:auto}
"""


def render(report: RunReport) -> str:
    sections = [
        _verdict(report),
        _figures(report.summary),
        _over_time(report),
        _steps(report.steps),
        _systems(report.summary),
        _hops(report.summary),
        _errors(report.summary),
        _metrics(report.metrics),
        _workload(report.workload),
        _settings(report),
    ]
    title = f"Load test of {report.settings.get('target')} ({report.settings.get('mode')})"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p class=note>{escape(report.started_at)} to "
        f"{escape(report.finished_at)}, {escape(report.version.package)} "
        f"{escape(report.version.version)} ({escape(report.version.git_commit)})</p>"
        f"{''.join(sections)}</body></html>\n"
    )


def write(report: RunReport, out: Path) -> Path:
    path = out / "report.html"
    path.write_text(render(report), encoding="utf-8")
    return path


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)


def _mark(good: bool, yes: str, no: str) -> str:
    return f'<span class="{"ok" if good else "bad"}">{escape(yes if good else no)}</span>'


def _verdict(report: RunReport) -> str:
    parts = ["<h2>Verdict</h2><p>", _mark(report.valid, "VALID run", "INVALID run")]
    parts.extend(f"<br>{escape(reason)}" for reason in report.invalid_reasons)
    parts.append("</p>")
    if report.capacity is not None:
        best = report.capacity.max_rate
        found = f"{best:g} checks/s" if best is not None else "no rate"
        parts.append(
            f"<p>Highest rate that met the SLO: <b>{escape(found)}</b> "
            f"({report.capacity.probes} steps; {escape(report.capacity.stopped_because)})</p>"
        )
    if report.slo is not None:
        parts.append(_slo(report.slo, "SLO over the whole run"))
    return "".join(parts)


def _quantity(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    return f"{value:.3%}" if unit == "share" else f"{value:g} {unit}"


def _slo(result: SloResult, caption: str) -> str:
    rows = [
        (
            c.clause,
            _quantity(c.measured, c.unit),
            _quantity(c.limit, c.unit),
            "met" if c.passed else "MISSED",
        )
        for c in result.clauses
    ]
    mark = _mark(result.passed, "met", "missed")
    return f"<p>{escape(caption)} <code>{escape(result.spec)}</code>: {mark}</p>" + _table(
        ("clause", "measured", "limit", ""), rows
    )


def _latency_rows(named: Iterable[tuple[str, Latency]]) -> list[tuple[object, ...]]:
    return [
        (name, lat.count, lat.p50_ms, lat.p90_ms, lat.p99_ms, lat.p999_ms, lat.max_ms, lat.mean_ms)
        for name, lat in named
    ]


_LATENCY_HEADER = ("", "count", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms")


def _figures(s: Summary) -> str:
    counts = _table(
        ("figure", "value"),
        [
            ("checks offered", s.offered),
            ("offered rate /s", s.offered_rate),
            ("checks completed", s.completed),
            ("achieved rate /s", s.achieved_rate),
            ("gRPC errors", f"{s.errors} ({s.error_share:.3%})"),
            ("incomplete reports", f"{s.incomplete_reports} ({s.incomplete_share:.3%})"),
            ("reports with hits", s.reports_with_hits),
            ("duration s", s.duration_s),
        ],
    )
    latencies = _table(
        _LATENCY_HEADER,
        _latency_rows(
            [
                ("latency (from intended send)", s.latency),
                ("service time (from actual send)", s.service_time),
                ("generator send lag", s.send_lag),
            ]
        ),
    )
    return f"<h2>Figures</h2>{counts}{latencies}"


def _over_time(report: RunReport) -> str:
    points = report.timeline
    xs = [p.t_s for p in points]
    latency = [
        Series(name, COLOURS[name], tuple(zip(xs, values, strict=True)))
        for name, values in (
            # Drawn from the top down, so that a lower line stays visible where two meet.
            ("max", [p.max_ms for p in points]),
            ("p99", [p.p99_ms for p in points]),
            ("p90", [p.p90_ms for p in points]),
            ("p50", [p.p50_ms for p in points]),
        )
    ]
    per_s = 1 / report.timeline_interval_s
    # The last interval holds only the tail of the run: as a rate it would read as a collapse.
    whole = [p for p in points if p.t_s + report.timeline_interval_s <= report.summary.duration_s]
    throughput = [
        Series("achieved", COLOURS["achieved"], tuple((p.t_s, p.completed * per_s) for p in whole))
    ]
    if report.summary.offered is not None:
        throughput.insert(
            0,
            Series(
                "offered",
                COLOURS["offered"],
                tuple((p.t_s, p.offered * per_s) for p in whole),
                True,
            ),
        )
    throughput.append(
        Series("errors", COLOURS["errors"], tuple((p.t_s, p.errors * per_s) for p in whole))
    )
    in_flight = [
        Series(
            "in flight", COLOURS["in flight"], tuple((p.t_s, float(p.in_flight)) for p in points)
        )
    ]
    return (
        "<h2>Over time</h2>"
        + line_chart(
            "Latency percentiles over time (log scale)", latency, "seconds", "ms", log_y=True
        )
        + line_chart("Throughput: offered vs achieved", throughput, "seconds", "checks/s")
        + line_chart("Checks in flight", in_flight, "seconds", "checks")
    )


def _steps(steps: Sequence[Step]) -> str:
    rated = [s for s in steps if s.rate is not None]
    if len(rated) < 2:
        return ""
    ordered = sorted(rated, key=lambda s: s.rate or 0.0)
    rates = [s.rate or 0.0 for s in ordered]
    latency = [
        Series(name, COLOURS[name], tuple(zip(rates, values, strict=True)))
        for name, values in (
            ("p50", [s.summary.latency.p50_ms for s in ordered]),
            ("p99", [s.summary.latency.p99_ms for s in ordered]),
        )
    ]
    throughput = [
        Series("offered", COLOURS["offered"], tuple((r, r) for r in rates), True),
        Series(
            "achieved",
            COLOURS["achieved"],
            tuple((r, s.summary.achieved_rate) for r, s in zip(rates, ordered, strict=True)),
        ),
    ]
    rows = [
        (
            s.index + 1,
            s.rate,
            s.summary.achieved_rate,
            s.summary.latency.p50_ms,
            s.summary.latency.p99_ms,
            s.summary.error_share,
            "–" if s.slo is None else ("met" if s.slo.passed else "missed"),
            "yes" if s.valid else f"no: {s.invalid_reason}",
        )
        for s in steps
    ]
    return (
        "<h2>Steps</h2>"
        + _table(
            ("step", "rate /s", "achieved /s", "p50 ms", "p99 ms", "errors", "SLO", "valid"), rows
        )
        + line_chart(
            "Latency by offered rate (log scale)", latency, "offered checks/s", "ms", log_y=True
        )
        + line_chart("Achieved by offered rate", throughput, "offered checks/s", "checks/s")
    )


def _percentile_bars(named: Mapping[str, Latency]) -> list[Bars]:
    return [
        Bars(name, (("p50", lat.p50_ms), ("p90", lat.p90_ms), ("p99", lat.p99_ms)))
        for name, lat in named.items()
    ]


_PERCENTILE_COLOURS = {k: COLOURS[k] for k in ("p50", "p90", "p99")}


def _systems(s: Summary) -> str:
    latencies = {name: f.latency for name, f in s.systems.items()}
    if not latencies:
        return "<h2>Per system</h2><p class=note>no report came back</p>"
    statuses = sorted({status for f in s.systems.values() for status in f.outcomes})
    outcomes = _table(
        ("system", *statuses),
        [(name, *(f.outcomes.get(st, 0) for st in statuses)) for name, f in s.systems.items()],
    )
    return (
        "<h2>Per system</h2><p class=note>latency as the broker measured each system "
        "(SystemOutcome.latency_ms), answered calls only</p>"
        + bar_chart("Latency per system", _percentile_bars(latencies), _PERCENTILE_COLOURS, "ms")
        + _table(_LATENCY_HEADER, _latency_rows(latencies.items()))
        + outcomes
    )


def _hops(s: Summary) -> str:
    if not s.hops.reported:
        return (
            "<h2>Per hop</h2><p class=note id=hops-missing>Where the time goes (gateway "
            "validate/route, publish, adapter queue wait, system call, reply, merge): "
            f"{NOT_REPORTED} (no {escape(s.hops.source)}).</p>"
        )
    return (
        "<h2>Per hop</h2>"
        + bar_chart("Latency per hop", _percentile_bars(s.hops.by_hop), _PERCENTILE_COLOURS, "ms")
        + _table(_LATENCY_HEADER, _latency_rows(s.hops.by_hop.items()))
    )


def _errors(s: Summary) -> str:
    errors = (
        _table(("gRPC status", "calls"), sorted(s.errors_by_status.items()))
        if s.errors_by_status
        else "<p class=note>no gRPC errors</p>"
    )
    verdicts = _table(("verdict", "reports"), sorted(s.verdicts.items()))
    return f"<h2>Errors and outcomes</h2>{errors}{verdicts}"


def _metrics(scrapes: Sequence[Scrape]) -> str:
    if not scrapes:
        return "<h2>Prometheus scrape</h2><p class=note>no --metrics-url given</p>"
    parts = ["<h2>Prometheus scrape</h2>"]
    for scrape in scrapes:
        failed = scrape.before.error or scrape.after.error
        if failed:
            parts.append(f"<p>{escape(scrape.url)}: <span class=bad>{escape(failed)}</span></p>")
            continue
        changed = [d for d in scrape.deltas if d.value]
        rows = [
            (d.name + _labels(d.labels), d.value) for d in sorted(changed, key=lambda d: d.name)
        ]
        parts.append(
            f"<p>{escape(scrape.url)}: {len(scrape.after.samples)} samples; "
            f"counters that moved during the run:</p>" + _table(("sample", "after - before"), rows)
        )
    return "".join(parts)


def _labels(labels: Mapping[str, str]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _workload(workload: Mapping[str, Mapping[str, int]]) -> str:
    rows = [
        (kind, name, count) for kind, counts in workload.items() for name, count in counts.items()
    ]
    return "<h2>Workload</h2>" + _table(("kind", "name", "requests in the pool"), rows)


def _settings(report: RunReport) -> str:
    settings = json.dumps(report.settings, indent=2)
    m = report.machine
    machine = (
        f"{m.hostname}: {m.platform}, Python {m.python}, {m.cpus} x {m.cpu_model}, "
        f"{m.memory_mb} MB, load average {' '.join(f'{x:.2f}' for x in m.load_average)}"
    )
    return (
        f"<h2>Settings and machine</h2><p>{escape(machine)}</p>"
        f"<details><summary>settings</summary><pre>{escape(settings)}</pre></details>"
    )
