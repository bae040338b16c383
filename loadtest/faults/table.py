"""The fault runs as README table rows, and a line of details per fault."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from loadtest.faults.checks import Fate
from loadtest.faults.run import Result
from loadtest.faults.specimen import PROMISE

HEADER = (
    "| fault | load | checks sent | answered in time | clean errors | late | hung "
    "| audit records lost | recovery | load average |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)
WRONG_SHOWN = 3
REASONS_SHOWN = 3


def held(result: Result) -> bool:
    """No check hung, none lost its audit record, every report was right, the stack
    recovered, and every step's note is as it should be."""
    return (
        result.fates[Fate.HUNG] == 0
        and result.audit_lost == 0
        and not result.wrong
        and result.recovery_s is not None
        and all(note.ok for note in result.notes)
    )


def recovery(result: Result) -> str:
    return "not recovered" if result.recovery_s is None else f"{result.recovery_s:.1f} s"


def row(result: Result) -> str:
    fates = result.fates
    errors = ", ".join(f"{n} {status}" for status, n in sorted(result.errors.items()))
    clean = f"{fates[Fate.CLEAN_ERROR]}" + (f" ({errors})" if errors else "")
    load = ", ".join(f"{x:.1f}" for x in result.load_average)
    w = result.window
    what = result.fault.what
    if result.fault.heal is not None:
        what += f" after {w.end_s - w.start_s:.0f} s"
        if w.healed_s - w.end_s >= 1:
            what += f" (back {w.healed_s - w.end_s:.0f} s later)"
    return (
        f"| {what} | {result.rate:g}/s | {len(result.checks)} | {fates[Fate.IN_TIME]} "
        f"| {clean} | {fates[Fate.LATE]} | {fates[Fate.HUNG]} | {result.audit_lost} "
        f"| {recovery(result)} | {load} |"
    )


def table(results: Sequence[Result]) -> str:
    return "\n".join([HEADER, *(row(r) for r in results)])


def details(result: Result) -> str:
    """What the table does not say: timings, statuses, health, notes, wrong reports."""
    w = result.window
    statuses: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for check in result.checks:
        if w.start_s - PROMISE.by_s <= check.intended_s <= w.healed_s:
            statuses.update(f"{s} {v}" for s, v in check.statuses.items() if v != "ANSWERED")
            reasons.update(check.reasons.values())
    parts = [
        f"{result.fault.name}: fault at {w.start_s:.1f} s, ended at {w.end_s:.1f} s, "
        f"healed at {w.healed_s:.1f} s; recovery {recovery(result)} after that",
        "not answered during it: "
        + (", ".join(f"{k} x{n}" for k, n in sorted(statuses.items())) or "none"),
        *(f"  why: {reason} (x{n})" for reason, n in reasons.most_common(REASONS_SHOWN)),
        f"health: {result.health.describe(w.start_s)}",
        *(note.text for note in result.notes),
    ]
    if result.wrong:
        shown = "; ".join(result.wrong[:WRONG_SHOWN])
        parts.append(f"{len(result.wrong)} wrong outcomes, e.g. {shown}")
    return "\n  ".join(parts)
