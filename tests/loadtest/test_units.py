"""Durations, shares and rates as typed on the command line."""

from __future__ import annotations

import pytest

from loadtest.load.units import format_duration, parse_duration, parse_rate, parse_share


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("60s", 60.0), ("500ms", 0.5), ("2m", 120.0), ("1.5h", 5400.0), ("7", 7.0), ("250us", 2.5e-4)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(("text", "share"), [("0.1%", 0.001), ("5%", 0.05), ("0.25", 0.25)])
def test_shares(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize("text", ["ten seconds", "-1s", "5 parsecs"])
def test_bad_durations_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_shares_above_one_and_rates_at_zero_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        parse_share("150%")
    with pytest.raises(ValueError, match="above 0"):
        parse_rate("0")
    assert parse_rate("200/s") == 200.0


def test_durations_read_back_short() -> None:
    assert [format_duration(s) for s in (0.85, 12.0, 185.0)] == ["850 ms", "12 s", "3m05s"]
