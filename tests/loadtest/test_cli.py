"""The command line: plans made from options, refusals that say why, the progress line."""

from __future__ import annotations

import io
import re

import pytest

from loadtest.load.cli import build_parser, main, plan_of
from loadtest.load.observation import Observation
from loadtest.load.plan import Mode
from loadtest.load.progress import Progress


def test_a_ramp_plan_records_every_setting() -> None:
    args = build_parser().parse_args(
        ["run", "--ramp", "50:800:50", "--step", "10s", "--slo", "p99<=100ms,errors<=0.1%"]
    )
    plan = plan_of(args)
    assert plan.mode is Mode.RAMP and plan.first_rate() == 50
    assert plan.planned_s() == 16 * 10
    settings = plan.settings()
    assert settings["ramp"] == {"start": 50.0, "stop": 800.0, "increment": 50.0}
    assert settings["slo"] == "p99<=100ms,errors<=0.1%"
    assert settings["mix"]["variants"]["exact"] == 5.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--find-max"], "--find-max needs --slo"),
        (["--rate", "10", "--client-name", "t1"], "--client-name needs --tls-dir"),
        (["--rate", "10", "--slo", "p99<=soon"], "not a duration"),
        (["--rate", "10", "--variants", "exact=1,psychic=2"], "choose from"),
        (["--rate", "10", "--concurrency", "4"], "not allowed with argument"),
    ],
)
def test_bad_options_are_refused_with_the_reason(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["run", *args])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_progress_line_shows_rate_percentiles_errors_and_time_left() -> None:
    progress = Progress(io.StringIO(), enabled=True, in_flight=lambda: 3)
    progress.begin("measure", 60.0, 0.0)
    for i in range(99):
        progress.add(Observation(i * 0.01, i * 0.01, i * 0.01 + 0.010))
    progress.add(Observation(1.0, 1.0, 1.5, error="UNAVAILABLE"))
    line = progress.line()
    assert line.startswith("measure: 100/s  p50 10.0 ms  p99 10.0 ms  errors 1 (1.00%)")
    assert "in flight 3" in line
    assert re.search(r"left (60|59) s$", line), line
    assert progress.line().startswith("measure: 0/s")
