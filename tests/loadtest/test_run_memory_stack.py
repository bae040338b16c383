"""A short load on the all-in-one stack: report.json adds up, report.html renders in Chromium."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtest.launch import Stack
from loadtest.report_html import COLOURS, NOT_REPORTED
from loadtest.workload import SYSTEMS
from tests.loadtest.browser import CHROMIUM, count_colour, dom, screenshot
from tests.loadtest.conftest import POPULATION

ROOT = Path(__file__).resolve().parents[2]
PERCENTILES = ("min_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")


def loadtest(stack: Stack, out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """`python -m loadtest run` against the stack, as a user runs it; its exit code and report."""
    common = f"--target {stack.gateway} --out {out} --population {POPULATION} --distinct 300"
    # Other work shares the test machine's cores: scheduler delays of a few tens of ms are
    # expected there and are not what these tests are about.
    common += " --max-lag 250ms"
    done = subprocess.run(
        [sys.executable, "-m", "loadtest", "run", *common.split(), "--quiet", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert (out / "report.json").exists(), done.stdout + done.stderr
    report: dict[str, Any] = json.loads((out / "report.json").read_text())
    return done.returncode, report


def assert_ordered(latency: dict[str, Any]) -> None:
    values = [latency[p] for p in PERCENTILES]
    assert values == sorted(values), latency
    assert latency["min_ms"] <= latency["mean_ms"] <= latency["max_ms"]


def assert_consistent(summary: dict[str, Any]) -> None:
    assert summary["completed"] == summary["answered"] + summary["errors"]
    assert sum(summary["errors_by_status"].values()) == summary["errors"]
    assert sum(summary["verdicts"].values()) == summary["answered"]
    assert summary["latency"]["count"] == summary["completed"]
    assert summary["service_time"]["count"] == summary["completed"]
    for latency in (summary["latency"], summary["service_time"]):
        assert_ordered(latency)
    # A report lists each asked system once; which are asked depends on the purpose.
    for system in summary["systems"].values():
        assert 0 < sum(system["outcomes"].values()) <= summary["answered"]
        assert system["latency"]["count"] == system["outcomes"].get("ANSWERED", 0)
    assert summary["incomplete_reports"] <= summary["answered"]
    assert summary["reports_with_hits"] <= summary["answered"]


@pytest.mark.slow
def test_fixed_rate_report_adds_up_and_renders(memory_stack: Stack, tmp_path: Path) -> None:
    code, report = loadtest(
        memory_stack,
        tmp_path,
        *"--rate 20 --duration 4s --warmup 1s --arrivals poisson".split(),
        *("--slo", "p99<=5s,errors<=50%"),
    )
    assert code == 0, report["invalid_reasons"]
    assert report["schema"] == "interop-loadtest-report/1"
    assert report["version"]["package"] == "interop-broker" and report["machine"]["cpus"] >= 1
    assert report["settings"]["rate"] == 20 and report["settings"]["mix"]["population"] == 2000
    summary = report["summary"]
    assert_consistent(summary)
    # Open loop sends everything it scheduled, and every call ends (answer or error).
    assert summary["completed"] == summary["offered"] > 40
    assert summary["answered"] > 0
    assert set(summary["systems"]) == set(SYSTEMS)
    (step,) = report["steps"]
    assert step["summary"]["completed"] == summary["completed"] and step["valid"]
    timeline = report["timeline"]
    assert sum(p["completed"] for p in timeline) == summary["completed"]
    assert sum(p["offered"] for p in timeline) == summary["offered"]
    assert timeline[-1]["in_flight"] == 0
    # The stack returns its hop times in the server-timing trailer of every check.
    hops = summary["hops"]["by_hop"]
    assert summary["hops"]["reported"]
    per_system = {f"{system}.{hop}" for system in SYSTEMS for hop in ("queue", "call", "reply")}
    assert {"gateway.validate", "gateway.route", "bus.publish", "gateway.merge"} <= set(hops)
    assert per_system <= set(hops)
    assert hops["sis.call"]["count"] <= summary["answered"]
    assert report["metrics"] == [] and report["slo"]["passed"]
    assert_renders(tmp_path / "report.html", tmp_path / "shot.png")


def assert_renders(page: Path, png: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (scripts/test installs Debian's package)")
    html = page.read_text()
    assert "<script" not in html and not re.search(r"\s(src|href)=", html)
    tree = dom(page)
    charts = re.findall(r'<svg class="chart"', tree)
    assert len(charts) >= 4, "latency, throughput, in flight and per-system charts"
    drawn = dict(re.findall(r'<path class="series" data-series="([^"]+)" d="([^"]*)"', tree))
    for series in ("p50", "p99", "achieved", "offered", "in flight"):
        assert drawn.get(series, "").count("L") >= 2, f"no line drawn for {series}"
    assert 'class="bar" data-series="p99"' in tree
    assert NOT_REPORTED not in tree and "Latency per hop" in tree
    pixels = screenshot(page, png, 1000, 2200)
    # A legend key has 56 pixels of its colour; a plotted line or bar has hundreds.
    for series in ("p50", "p99", "achieved", "in flight"):
        assert count_colour(pixels, COLOURS[series]) > 150, f"{series} not visible in {png}"


@pytest.mark.slow
def test_find_max_and_ramp_on_the_stack(memory_stack: Stack, tmp_path: Path) -> None:
    code, found = loadtest(
        memory_stack,
        tmp_path / "find",
        *"--find-max --slo p99<=5s --start-rate 4 --max-rate 8 --step 2s --warmup 0s".split(),
    )
    assert code == 0
    assert found["capacity"]["max_rate"] == 8
    assert [s["rate"] for s in found["steps"]] == [4, 8]
    for step in found["steps"]:
        assert_consistent(step["summary"])
    code, ramp = loadtest(
        memory_stack,
        tmp_path / "ramp",
        *"--ramp 4:8:4 --step 2s --warmup 0s --slo p99<=1ms".split(),
    )
    assert code == 1, "nothing answers within 1 ms: the SLO is missed at the first step"
    assert len(ramp["steps"]) == 1
    assert ramp["capacity"]["stopped_because"] == "SLO missed at 4/s"
