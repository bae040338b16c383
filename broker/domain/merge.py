"""Merge the systems' answers into one HitReport a border guard can act on.

Pure functions over values: no I/O, no clock (the caller passes the situation with its
date), so every ordering, action and verdict rule is unit-tested on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from broker.domain import entry_conditions
from broker.domain.answers import Answer
from broker.domain.labels import label
from broker.domain.links import Linker
from broker.domain.situation import Situation
from broker.domain.systems import SystemCatalog
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2

ACTION_TEXT: dict[int, str] = {
    systems_pb2.ACTION_ARREST: "Arrest the person (SIS alert for arrest)",
    systems_pb2.ACTION_PROTECT_PERSON: "Protect the person and inform the issuing authority",
    systems_pb2.ACTION_CONFIRM_MATCH: (
        "Possible match: confirm the identity or the document against the alert before acting on it"
    ),
    systems_pb2.ACTION_REFUSE_ENTRY: "Refuse entry",
    systems_pb2.ACTION_SEIZE_DOCUMENT: "Seize the document",
    systems_pb2.ACTION_REPORT_WHEREABOUTS: "Report the whereabouts to the issuing authority",
    systems_pb2.ACTION_DISCREET_CHECK: "Carry out a discreet check; do not alert the person",
    systems_pb2.ACTION_INQUIRY_CHECK: "Carry out an inquiry check (interview)",
    systems_pb2.ACTION_SPECIFIC_CHECK: "Carry out a specific check (search)",
    systems_pb2.ACTION_ENFORCE_RETURN: "Enforce the return decision; inform the issuing State",
    systems_pb2.ACTION_INFORM_ISSUING_STATE: (
        "Inform the State that issued the alert through its SIRENE Bureau"
    ),
    systems_pb2.ACTION_SECOND_LINE_CHECK: "Refer to second-line check",
    systems_pb2.ACTION_VERIFY: "Verify visa, travel authorisation or stay before deciding",
    systems_pb2.ACTION_INFORMATION: "Note the information",
}
# Most urgent first: what protects people and stops a wanted person, then what the
# entry decision turns on, then what is reported or checked along the way.
URGENCY: tuple[int, ...] = (
    systems_pb2.ACTION_ARREST,
    systems_pb2.ACTION_PROTECT_PERSON,
    systems_pb2.ACTION_CONFIRM_MATCH,
    systems_pb2.ACTION_REFUSE_ENTRY,
    systems_pb2.ACTION_SEIZE_DOCUMENT,
    systems_pb2.ACTION_REPORT_WHEREABOUTS,
    systems_pb2.ACTION_DISCREET_CHECK,
    systems_pb2.ACTION_INQUIRY_CHECK,
    systems_pb2.ACTION_SPECIFIC_CHECK,
    systems_pb2.ACTION_ENFORCE_RETURN,
    systems_pb2.ACTION_INFORM_ISSUING_STATE,
    systems_pb2.ACTION_SECOND_LINE_CHECK,
    systems_pb2.ACTION_VERIFY,
    systems_pb2.ACTION_INFORMATION,
)


def _urgency(hit: pb.Hit) -> tuple[int, float]:
    rank = URGENCY.index(hit.action) if hit.action in URGENCY else len(URGENCY)
    return rank, -hit.score


def situated(answer: Answer, situation: Situation, catalog: SystemCatalog) -> Answer:
    """The answer with each hit's action as its system's rules give it for this situation
    (a refusal alert on exit, a flagged alert in the flagging State, ...)."""
    act = catalog.spec(answer.system).act
    return dataclasses.replace(
        answer, hits=tuple(_with_action(h, act(h, situation)) for h in answer.hits)
    )


def _with_action(hit: pb.Hit, action: systems_pb2.Action.ValueType) -> pb.Hit:
    if action == hit.action:
        return hit
    copy = pb.Hit()
    copy.CopyFrom(hit)
    copy.action = action
    return copy


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


def verdict(
    outcomes: Sequence[pb.SystemOutcome],
    hits: Sequence[pb.Hit],
    conditions: pb.EntryConditions | None = None,
) -> pb.Verdict.ValueType:
    """A hit calling for action, or an entry condition not met, wins; short of every asked
    system answering it is INCOMPLETE.

    Information-only hits (a valid visa, an EES file within its stay) do not make a
    traveller a hit, but they never make a silent system clear either.
    """
    state = conditions.state if conditions else pb.CONDITION_STATE_UNSPECIFIED
    if state == pb.CONDITION_STATE_NOT_MET:
        return pb.VERDICT_HIT
    if any(h.action != systems_pb2.ACTION_INFORMATION for h in hits):
        return pb.VERDICT_HIT
    answered = outcomes and all(o.status == pb.OUTCOME_STATUS_ANSWERED for o in outcomes)
    if answered and state != pb.CONDITION_STATE_NO_ANSWER:
        return pb.VERDICT_CLEAR
    return pb.VERDICT_INCOMPLETE


def _warnings(hits: Sequence[pb.Hit]) -> list[str]:
    """Warning markers come before anything else: they are about the guard's safety."""
    return [
        f"Caution, warning markers on {hit.hit_id}: "
        + ", ".join(label(systems_pb2.WarningFlag, f) for f in hit.sis.warning_flags)
        for hit in hits
        if hit.sis.warning_flags
    ]


def guard_actions(
    hits: Sequence[pb.Hit],
    outcomes: Sequence[pb.SystemOutcome],
    catalog: SystemCatalog,
    conditions: pb.EntryConditions | None = None,
) -> list[str]:
    actions = _warnings(hits)
    for hit in hits:
        text = ACTION_TEXT.get(hit.action)
        if text and text not in actions:
            actions.append(text)
    actions += entry_conditions.guard_actions(conditions)
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
    situation: Situation,
) -> pb.HitReport:
    """The report; `answers` already carry the actions for `situation` (`situated`)."""
    answers = sorted(answers, key=lambda a: a.system)
    outcomes = [a.outcome() for a in answers]
    hits = order_hits(answers, catalog)
    conditions = entry_conditions.assess(situation, traveller, outcomes, hits, catalog)
    report = pb.HitReport(
        request_id=request_id,
        correlation_id=correlation_id,
        verdict=verdict(outcomes, hits, conditions),
        outcomes=outcomes,
        hits=hits,
        links=linker(hits),
        traveller=traveller,
        actions=guard_actions(hits, outcomes, catalog, conditions),
        checked_at=checked_at,
    )
    if conditions is not None:
        report.entry_conditions.CopyFrom(conditions)
    return report
