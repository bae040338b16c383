"""report.html without a browser: every panel there, hops shown when reported, nothing fetched."""

from __future__ import annotations

import re

from loadtest.load.observation import Observation, SystemAnswer
from loadtest.load.recorder import Tally
from loadtest.load.report import Step
from loadtest.load.report_html import NOT_REPORTED, render
from tests.loadtest.summaries import report, summary


def test_hops_reported_by_the_server_get_their_own_chart() -> None:
    tally = Tally(0.0, open_loop=True)
    hops = (("gateway.validate", 0.3), ("vis.call", 4.0), ("gateway.merge", 0.2))
    answers = (SystemAnswer("vis", "ANSWERED", 4),)
    tally.add(Observation(0.0, 0.0, 0.01, verdict="CLEAR", systems=answers, hops=hops))
    page = render(report(tally.summary(1.0)))
    assert NOT_REPORTED not in page
    assert "Latency per hop" in page and ">vis.call<" in page


def test_missing_hops_are_said_to_be_missing() -> None:
    assert NOT_REPORTED in render(report(summary([10.0] * 50)))


def test_steps_get_a_table_and_charts_by_rate() -> None:
    calm, busy = summary([10.0] * 100), summary([10.0] * 90 + [300.0] * 10)
    steps = (
        Step(0, 100.0, 0.0, calm, None, True, None),
        Step(1, 200.0, 11.0, busy, None, False, "the generator fell behind"),
    )
    page = render(report(calm, steps=steps, mode="ramp"))
    assert "Latency by offered rate" in page and "Achieved by offered rate" in page
    assert "no: the generator fell behind" in page


def test_the_page_fetches_nothing_and_escapes_what_it_shows() -> None:
    page = render(report(summary([10.0]), target="<gw>&1"))
    assert "<script" not in page and not re.search(r"\s(src|href)=", page)
    assert "&lt;gw&gt;&amp;1" in page and "<gw>" not in page
