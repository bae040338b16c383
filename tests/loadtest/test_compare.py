"""compare: deltas between two reports, regressions beyond the tolerance, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.load.capacity import SearchResult
from loadtest.load.cli import main
from loadtest.load.compare import compare, render
from loadtest.load.report import Step, write
from tests.loadtest.summaries import as_json, report, summary

TOLERANCE = 0.10
SHARES = 0.001


def deltas(baseline: list[float], candidate: list[float], **kwargs: int) -> dict[str, bool]:
    result = compare(
        as_json(report(summary(baseline))),
        as_json(report(summary(candidate, **kwargs))),
        TOLERANCE,
        SHARES,
    )
    return {d.name: d.regression for d in result.deltas}


def test_the_same_run_is_no_regression() -> None:
    figures = [10.0] * 95 + [40.0] * 5
    assert not any(deltas(figures, figures).values())


def test_a_slower_p99_beyond_the_tolerance_is_a_regression() -> None:
    flagged = deltas([10.0] * 95 + [40.0] * 5, [10.0] * 95 + [60.0] * 5)
    assert flagged["p99 ms"]
    assert not flagged["p50 ms"]


def test_a_change_within_the_tolerance_or_below_the_noise_floor_is_not() -> None:
    assert not deltas([100.0] * 100, [108.0] * 100)["p50 ms"]
    # +50 % but 0.2 ms: timer noise, not a regression.
    assert not deltas([0.4] * 100, [0.6] * 100)["p50 ms"]


def test_error_shares_are_compared_in_points() -> None:
    assert deltas([10.0] * 1000, [10.0] * 1000, errors=2)["errors"]  # +0.2 points
    assert not deltas([10.0] * 10_000, [10.0] * 10_000, errors=5)["errors"]  # +0.05 points


def test_faster_is_never_a_regression() -> None:
    assert not any(deltas([50.0] * 100, [10.0] * 100).values())


def test_steps_are_compared_rate_by_rate_and_capacity_by_its_best_rate() -> None:
    def find_max(p99_at_200: float, best: float) -> dict[str, object]:
        calm = summary([10.0] * 100)
        steps = (
            Step(0, 100.0, 0.0, calm, None, True, None),
            Step(1, 200.0, 11.0, summary([10.0] * 98 + [p99_at_200] * 2), None, True, None),
        )
        capacity = SearchResult(best, best + 20, 8, "bracket")
        return as_json(report(calm, steps=steps, capacity=capacity, mode="find-max"))

    result = compare(find_max(20.0, 300.0), find_max(80.0, 250.0), TOLERANCE, SHARES)
    flagged = {d.name: d.regression for d in result.deltas}
    assert flagged["step 200/s p99 ms"]
    assert not flagged["step 100/s p99 ms"]
    assert flagged["highest rate meeting the SLO /s"]


def test_an_invalid_candidate_fails_and_differing_settings_are_noted() -> None:
    figures = summary([10.0] * 100)
    result = compare(
        as_json(report(figures)),
        as_json(report(figures, valid=False, rate=300.0)),
        TOLERANCE,
        SHARES,
    )
    assert result.regressed
    text = render(result, TOLERANCE, SHARES)
    assert "settings differ: rate 200.0 vs 300.0" in text
    assert "candidate run is invalid" in text


def test_cli_compare_exits_1_on_a_regression_and_0_otherwise(tmp_path: Path) -> None:
    write(report(summary([10.0] * 100)), tmp_path / "a")
    write(report(summary([10.0] * 90 + [15.0] * 10)), tmp_path / "b")  # p99 +50 %
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "a")]) == 0
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b" / "report.json")]) == 1
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--tolerance", "60%"]) == 0


def test_cli_compare_of_a_file_that_is_no_report_names_it_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(report(summary([10.0] * 100)), tmp_path / "a")
    cases = {
        "text.json": ("hello", "not an interop loadtest report (not JSON"),
        "list.json": ("[1]", "not an interop loadtest report"),
        "bare.json": (
            '{"schema": "interop-loadtest-report/1"}',
            "an interop loadtest report without summary.latency",
        ),
    }
    for name, (content, says) in cases.items():
        (tmp_path / name).write_text(content)
        with pytest.raises(SystemExit) as exited:
            main(["compare", str(tmp_path / "a"), str(tmp_path / name)])
        assert exited.value.code == 2
        error = capsys.readouterr().err.splitlines()[-1]
        assert f"{tmp_path / name}: {says}" in error, error
