"""SLO clauses: parsing, error messages, and verdicts on known figures."""

from __future__ import annotations

import pytest

from loadtest.load.slo import parse_slo
from tests.loadtest.summaries import summary


def test_the_issue_examples_parse() -> None:
    slo = parse_slo("p99<=100ms,errors<=0.1%")
    assert [(c.metric, c.op, c.limit, c.unit) for c in slo.clauses] == [
        ("p99", "<=", 100.0, "ms"),
        ("errors", "<=", 0.001, "share"),
    ]


@pytest.mark.parametrize(
    ("clause", "metric", "system", "limit"),
    [
        ("p50 < 20", "p50", "", 20.0),
        ("p99.9<=1s", "p99.9", "", 1000.0),
        ("max<=1500us", "max", "", 1.5),
        ("vis.p99<=40ms", "p99", "vis", 40.0),
        ("incomplete<=1%", "incomplete", "", 0.01),
        ("rate>=390", "rate", "", 390.0),
        ("mean<5ms", "mean", "", 5.0),
    ],
)
def test_clauses(clause: str, metric: str, system: str, limit: float) -> None:
    (parsed,) = parse_slo(clause).clauses
    assert (parsed.metric, parsed.system) == (metric, system)
    assert parsed.limit == pytest.approx(limit)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("p99=100ms", "expected e.g. p99<=100ms"),
        ("latency<=100ms", "expected e.g."),
        ("p99<=fast", "not a duration"),
        ("errors<=150%", "between 0 and 1"),
        ("vis.errors<=1%", "not measured per system"),
        ("p120<=1s", "at most 100"),
        ("", "at least one clause"),
    ],
)
def test_bad_clauses_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_slo(spec)


def test_verdict_on_known_figures() -> None:
    figures = summary([10.0] * 98 + [200.0] * 2, errors=1, vis_ms=30)
    result = parse_slo("p50<=20ms,p99<=100ms,errors<=2%,vis.p99<=40ms,sis.p99<=1ms").judge(figures)
    passed = {c.clause: c.passed for c in result.clauses}
    measured = {c.clause: c.measured for c in result.clauses}
    assert passed == {
        "p50<=20ms": True,
        "p99<=100ms": False,
        "errors<=2%": True,
        "vis.p99<=40ms": True,
        "sis.p99<=1ms": False,
    }
    assert measured["p50<=20ms"] == pytest.approx(10, rel=0.01)
    # 2 % of the checks took 200 ms (the error took 50 ms): p99 is 200 ms.
    assert measured["p99<=100ms"] == pytest.approx(200, rel=0.01)
    assert measured["errors<=2%"] == pytest.approx(1 / 101)
    assert not result.passed


def test_a_system_that_never_answered_fails_its_clause() -> None:
    result = parse_slo("eurodac.p99<=40ms").judge(summary([10.0]))
    assert not result.passed
    assert result.clauses[0].measured is None


def test_no_completed_check_fails_latency_clauses() -> None:
    assert not parse_slo("p99<=100ms").judge(summary([])).passed
