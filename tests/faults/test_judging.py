"""How a fault run judges each check: its fate against the deadline, whether its report
was right for the fault, and when the stack had recovered."""

from __future__ import annotations

from loadtest.faults.checks import Check, Expected, Fate, Promise, recovery_s
from loadtest.load.observation import Observation, SystemAnswer
from systems import REGISTRY

PROMISE = Promise(deadline_s=2.0, slack_s=0.5)
EVERYONE = frozenset(REGISTRY.names)


def check(
    at: float,
    took: float = 0.05,
    error: str | None = None,
    missing: dict[str, str] | None = None,
    verdict: str = "HIT",
    reason: str = "bus unreachable",
) -> Check:
    missing = missing or {}
    answers = tuple(
        SystemAnswer(s, missing.get(s, "ANSWERED"), 1, reason if s in missing else "")
        for s in REGISTRY.names
    )
    observation = Observation(
        at, at, at + took, error, "" if error else verdict, systems=() if error else answers
    )
    return Check.of(observation)


def test_fates_against_the_deadline() -> None:
    assert check(0, took=2.4).fate(PROMISE) is Fate.IN_TIME
    assert check(0, took=2.6).fate(PROMISE) is Fate.LATE
    assert check(0, took=0.01, error="UNAVAILABLE").fate(PROMISE) is Fate.CLEAN_ERROR
    assert check(0, took=3.0, error="UNAVAILABLE").fate(PROMISE) is Fate.LATE
    assert check(0, took=5.0, error="DEADLINE_EXCEEDED").fate(PROMISE) is Fate.HUNG


def test_a_report_is_right_when_only_the_systems_the_fault_reaches_did_not_answer() -> None:
    vis_down = Expected(frozenset({"vis"}))
    assert vis_down.wrong(check(0, missing={"vis": "TIMEOUT"})) is None
    assert vis_down.wrong(check(0, missing={"vis": "UNAVAILABLE"})) is None
    assert vis_down.wrong(check(0, missing={"sis": "TIMEOUT"})) == "sis TIMEOUT"
    assert vis_down.wrong(check(0, missing={"vis": "ERROR"})) == "vis ERROR"
    assert vis_down.wrong(check(0, missing={"vis": "TIMEOUT"}, reason="")) == (
        "vis TIMEOUT without a reason"
    )
    assert vis_down.wrong(check(0, missing={"vis": "TIMEOUT"}, verdict="CLEAR")) == (
        "CLEAR although a system did not answer"
    )
    assert vis_down.wrong(check(0, error="INTERNAL")) == "gRPC status INTERNAL"
    refused = Expected(frozenset(), frozenset({"UNAVAILABLE"}))
    assert refused.wrong(check(0, error="UNAVAILABLE")) is None


def test_recovery_runs_from_the_healing_to_the_first_good_check_after_the_last_bad() -> None:
    bad = {s: "UNAVAILABLE" for s in EVERYONE}
    checks = [check(t) for t in (0, 1, 2)]
    checks += [check(t, took=2.0, missing=bad) for t in (3, 4, 5, 6)]
    checks += [check(7), check(8, took=3.0), check(9), check(10)]
    assert recovery_s(checks, PROMISE, fault_start_s=3, healed_s=6) == 3.0
    assert recovery_s([check(t) for t in range(10)], PROMISE, 3, 6) == 0.0
    assert recovery_s([*checks, check(11, missing=bad)], PROMISE, 3, 6) is None
