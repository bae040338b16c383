"""Merge the systems' answers into one HitReport a border guard can act on.

Pure functions over values: no I/O, no clock (the caller passes the time), so every
ordering and verdict rule is unit-tested on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from broker.domain.answers import Answer
from broker.domain.labels import label
from broker.domain.links import Linker
from broker.domain.systems import SystemCatalog
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2

ACTION_TEXT: dict[int, str] = {
    systems_pb2.ACTION_ARREST: "Arrest the person (SIS alert for arrest)",
    systems_pb2.ACTION_PROTECT_PERSON: "Protect the person and inform the issuing authority",
    systems_pb2.ACTION_REFUSE_ENTRY: "Refuse entry",
    systems_pb2.ACTION_SEIZE_DOCUMENT: "Seize the document",
    systems_pb2.ACTION_ENFORCE_RETURN: "Enforce the return decision",
    systems_pb2.ACTION_REPORT_WHEREABOUTS: "Report the whereabouts to the judicial authority",
    systems_pb2.ACTION_DISCREET_CHECK: "Carry out a discreet check; do not alert the person",
    systems_pb2.ACTION_INQUIRY_CHECK: "Carry out an inquiry check (interview)",
    systems_pb2.ACTION_SPECIFIC_CHECK: "Carry out a specific check (search)",
    systems_pb2.ACTION_SECOND_LINE_CHECK: "Refer to second-line check",
    systems_pb2.ACTION_VERIFY: "Verify visa, travel authorisation or stay before deciding",
    systems_pb2.ACTION_INFORMATION: "Note the information",
}


def _urgency(hit: pb.Hit) -> tuple[int, float]:
    # Action values are declared most urgent first; an unspecified action sorts last.
    rank = hit.action if hit.action != systems_pb2.ACTION_UNSPECIFIED else 1_000
    return rank, -hit.score


def order_hits(answers: Iterable[Answer], catalog: SystemCatalog) -> list[pb.Hit]:
    """All hits, most urgent first, each with a report-wide unique hit id."""
    hits: list[pb.Hit] = []
    for answer in answers:
        for n, hit in enumerate(answer.hits, start=1):
            copy = pb.Hit()
            copy.CopyFrom(hit)
            copy.system = answer.system
            copy.hit_id = f"{catalog.name(answer.system)}-{n}"
            hits.append(copy)
    return sorted(hits, key=_urgency)


def verdict(outcomes: Sequence[pb.SystemOutcome], hits: Sequence[pb.Hit]) -> pb.Verdict.ValueType:
    """A hit calling for action wins; short of every asked system answering it is INCOMPLETE.

    Information-only hits (a valid visa, an EES file within its stay) do not make a
    traveller a hit, but they never make a silent system clear either.
    """
    if any(h.action != systems_pb2.ACTION_INFORMATION for h in hits):
        return pb.VERDICT_HIT
    if outcomes and all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in outcomes):
        return pb.VERDICT_CLEAR
    return pb.VERDICT_INCOMPLETE


def guard_actions(
    hits: Sequence[pb.Hit], outcomes: Sequence[pb.SystemOutcome], catalog: SystemCatalog
) -> list[str]:
    actions: list[str] = []
    for hit in hits:
        text = ACTION_TEXT.get(hit.action)
        if text and text not in actions:
            actions.append(text)
    for o in outcomes:
        if o.status not in (pb.OUTCOME_STATUS_ANSWERED, pb.OUTCOME_STATUS_NOT_PERMITTED):
            actions.append(
                f"{catalog.name(o.system).upper()} did not answer "
                f"({label(pb.OutcomeStatus, o.status)}): "
                "not checked, repeat the check or follow the fallback procedure"
            )
    return actions


def build_report(
    request_id: str,
    correlation_id: str,
    traveller: pb.Traveller,
    answers: Iterable[Answer],
    checked_at: str,
    linker: Linker,
    catalog: SystemCatalog,
) -> pb.HitReport:
    answers = sorted(answers, key=lambda a: a.system)
    outcomes = [a.outcome() for a in answers]
    hits = order_hits(answers, catalog)
    return pb.HitReport(
        request_id=request_id,
        correlation_id=correlation_id,
        verdict=verdict(outcomes, hits),
        outcomes=outcomes,
        hits=hits,
        links=linker(hits),
        traveller=traveller,
        actions=guard_actions(hits, outcomes, catalog),
        checked_at=checked_at,
    )
