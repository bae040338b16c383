"""Quantities as people type them on a command line: durations, shares, rates."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)?\s*$")
_SECONDS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """'60s', '500ms', '2m', '1.5h' or a bare number of seconds -> seconds."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration (examples: 60s, 500ms, 2m)")
    return float(match.group(1)) * _SECONDS[match.group(2) or "s"]


def parse_share(text: str) -> float:
    """'0.1%' -> 0.001, '0.25' -> 0.25: a fraction of a whole, between 0 and 1."""
    stripped = text.strip()
    try:
        value = float(stripped[:-1]) / 100 if stripped.endswith("%") else float(stripped)
    except ValueError:
        raise ValueError(f"{text!r} is not a share (examples: 0.1%, 0.05)") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{text!r} is not between 0 and 1 (0% and 100%)")
    return value


def parse_rate(text: str) -> float:
    """'200', '200/s' -> checks per second (> 0)."""
    try:
        value = float(text.strip().removesuffix("/s"))
    except ValueError:
        raise ValueError(f"{text!r} is not a rate in checks per second") from None
    if value <= 0:
        raise ValueError(f"rate {text!r} must be above 0")
    return value


def format_duration(seconds: float) -> str:
    """Short human form: 850 ms, 12 s, 3m05s."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def arg_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type that shows the parser's own message for a bad value."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return convert
