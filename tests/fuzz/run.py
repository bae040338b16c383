"""Running the fuzz targets: each draws inputs with hypothesis and counts the outcomes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st

from interop.v1 import border_check_pb2 as pb
from tests.fuzz.targets import (
    CALL_TIMEOUT_S,
    Gateway,
    Tally,
    check_request,
    crossing_request,
    judge,
    mrz_text,
    parse,
    raw_body,
    raw_method,
)


@dataclass(frozen=True)
class Target:
    name: str
    inputs: st.SearchStrategy[Any]
    # One input in, (outcome, failure description or None) out.
    send: Callable[[Gateway, Any], tuple[str, str | None]]


def _check(gateway: Gateway, request: pb.CheckRequest) -> tuple[str, str | None]:
    return judge(gateway.call(lambda: gateway.stub.Check(request, timeout=CALL_TIMEOUT_S)))


def _crossing(gateway: Gateway, request: pb.RecordCrossingRequest) -> tuple[str, str | None]:
    return judge(gateway.call(lambda: gateway.stub.RecordCrossing(request, timeout=CALL_TIMEOUT_S)))


def _raw(gateway: Gateway, call: tuple[str, bytes]) -> tuple[str, str | None]:
    return judge(gateway.raw(*call))


def _mrz(gateway: Gateway, text: str) -> tuple[str, str | None]:
    return parse(text)


TARGETS = (
    Target("check", check_request, _check),
    Target("crossing", crossing_request, _crossing),
    Target("raw", st.tuples(raw_method, raw_body), _raw),
    Target("mrz", mrz_text, _mrz),
)


def run(target: Target, gateway: Gateway, tally: Tally, examples: int, seed: int | None) -> None:
    """Send at least `examples` inputs of `target` (hypothesis may draw fewer per round)."""
    start = tally.inputs
    while tally.inputs - start < examples:
        remaining = examples - (tally.inputs - start)
        _round(target, gateway, tally, remaining, seed)
        seed = None if seed is None else seed + 1


def _round(target: Target, gateway: Gateway, tally: Tally, examples: int, seed: int | None) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(target.inputs)
    def one(value: Any) -> None:
        outcome, failure = target.send(gateway, value)
        tally.count(
            target.name, outcome, None if failure is None else f"{failure} <- {value!r:.300}"
        )

    (one if seed is None else fixed_seed(seed)(one))()
