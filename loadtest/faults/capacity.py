"""The capacity of a stack for the specimen check: the load tool's find-max, kept short.

Two objectives: CAPACITY_SLO (p99 <= 100 ms) is the rate the README's capacity figures
and the fault runs' half-capacity load are measured at, well below saturation (at twice
that rate the stack still answers everything, more slowly). THROUGHPUT_SLO finds the
rate at which the cores are saturated: beyond it, checks queue and p99 climbs past half a
second within seconds. The overload and soak runs are about the latter.
"""

from __future__ import annotations

from pathlib import Path

from loadtest.faults.specimen import specimen_load
from loadtest.load import report_html
from loadtest.load.execute import execute
from loadtest.load.report import write as write_json

# The objective the README's capacity figures are measured at.
CAPACITY_SLO = "p99<=100ms,errors<=0.1%,incomplete<=0.1%"
THROUGHPUT_SLO = "p99<=500ms,errors<=0.1%,incomplete<=0.1%"
SEARCH = (
    "--find-max",
    "--start-rate=8",
    "--step=5s",
    "--precision=10%",
    "--max-probes=8",
    "--max-time=90s",
    "--warmup=2s",
)


async def capacity(target: str, out: Path, slo: str = CAPACITY_SLO) -> float:
    """The highest rate meeting `slo`; report.json and report.html in `out`."""
    plan, pool = specimen_load(target, out, *SEARCH, f"--slo={slo}")
    report = await execute(plan, pool, False)
    write_json(report, out)
    report_html.write(report, out)
    found = report.capacity.max_rate if report.capacity is not None else None
    if found is None:
        raise RuntimeError(f"no rate met {slo} (see {out / 'report.html'})")
    return found


async def half_capacity(target: str, out: Path) -> float:
    return round(await capacity(target, out) / 2, 1)
