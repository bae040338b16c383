"""Merging answers: order by urgency, verdicts that never turn silence into 'clear'."""

from __future__ import annotations

import datetime as dt

from broker.domain.answers import Answer
from broker.domain.links import link_hits
from broker.domain.merge import build_report, situated, verdict
from broker.domain.situation import Situation
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from systems import REGISTRY

ANSWERED = pb.OUTCOME_STATUS_ANSWERED
TODAY = dt.date(2026, 11, 28)
# A purpose without entry conditions, so that these tests see the hits alone.
POLICE_ENQUIRY = Situation(pb.PURPOSE_LAW_ENFORCEMENT, TODAY)


def _hit(category: str, action: int, score: float = 0.9) -> pb.Hit:
    return pb.Hit(category=category, action=action, score=score, record_id=category)  # type: ignore[arg-type]


def _report(*answers: Answer, situation: Situation = POLICE_ENQUIRY) -> pb.HitReport:
    return build_report(
        "r",
        "c",
        pb.Traveller(),
        answers,
        "2026-01-01T00:00:00Z",
        link_hits,
        REGISTRY.catalog,
        situation,
    )


def test_hits_are_ordered_by_what_the_guard_must_do_first() -> None:
    report = _report(
        Answer(s.SYSTEM_VIS, ANSWERED, 5, (_hit("VIS_VISA_ISSUED", s.ACTION_INFORMATION),)),
        Answer(
            s.SYSTEM_SIS,
            ANSWERED,
            7,
            (
                _hit("SIS_DISCREET", s.ACTION_DISCREET_CHECK),
                _hit("SIS_ARREST", s.ACTION_ARREST, 0.7),
            ),
        ),
        Answer(s.SYSTEM_ETIAS, ANSWERED, 3, (_hit("ETIAS_REFUSED", s.ACTION_REFUSE_ENTRY),)),
    )
    assert [h.category for h in report.hits] == [
        "SIS_ARREST",
        "ETIAS_REFUSED",
        "SIS_DISCREET",
        "VIS_VISA_ISSUED",
    ]
    assert [h.hit_id for h in report.hits] == ["sis-2", "etias-1", "sis-1", "vis-1"]
    assert [o.system for o in report.outcomes] == [s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_ETIAS]
    assert report.actions[:2] == ["Arrest the person (SIS alert for arrest)", "Refuse entry"]


def test_no_hit_with_a_silent_system_is_incomplete_not_clear() -> None:
    report = _report(
        Answer(s.SYSTEM_SIS, ANSWERED, 5),
        Answer(s.SYSTEM_VIS, pb.OUTCOME_STATUS_TIMEOUT, 2000, detail="no answer"),
    )
    assert report.verdict == pb.VERDICT_INCOMPLETE
    assert report.actions == [
        "VIS did not answer (timeout): not checked, repeat the check or follow the "
        "fallback procedure"
    ]
    assert report.outcomes[1].detail == "no answer"


def test_verdicts() -> None:
    ok = pb.SystemOutcome(status=ANSWERED)
    down = pb.SystemOutcome(status=pb.OUTCOME_STATUS_UNAVAILABLE)
    denied = pb.SystemOutcome(status=pb.OUTCOME_STATUS_NOT_PERMITTED)
    info = _hit("VIS_VISA_ISSUED", s.ACTION_INFORMATION)
    refuse = _hit("ETIAS_REFUSED", s.ACTION_REFUSE_ENTRY)
    assert verdict([ok, ok], []) == pb.VERDICT_CLEAR
    assert verdict([ok, ok], [info]) == pb.VERDICT_CLEAR
    assert verdict([ok, down], []) == pb.VERDICT_INCOMPLETE
    assert verdict([ok, down], [info]) == pb.VERDICT_INCOMPLETE
    assert verdict([ok, denied], []) == pb.VERDICT_INCOMPLETE
    assert verdict([ok, down], [refuse]) == pb.VERDICT_HIT
    assert verdict([], []) == pb.VERDICT_INCOMPLETE


def test_an_entry_condition_not_met_is_a_hit_and_silence_is_never_clear() -> None:
    ok = pb.SystemOutcome(status=ANSWERED)
    down = pb.SystemOutcome(status=pb.OUTCOME_STATUS_TIMEOUT)
    unmet = pb.EntryConditions(state=pb.CONDITION_STATE_NOT_MET)
    to_verify = pb.EntryConditions(state=pb.CONDITION_STATE_TO_VERIFY)
    no_answer = pb.EntryConditions(state=pb.CONDITION_STATE_NO_ANSWER)
    assert verdict([ok], [], unmet) == pb.VERDICT_HIT
    assert verdict([ok], [], to_verify) == pb.VERDICT_CLEAR
    assert verdict([ok], [], no_answer) == pb.VERDICT_INCOMPLETE
    assert verdict([down], [], to_verify) == pb.VERDICT_INCOMPLETE


def test_return_alerts_rank_below_judicial_and_check_alerts() -> None:
    report = _report(
        Answer(
            s.SYSTEM_SIS,
            ANSWERED,
            5,
            (
                _hit("SIS_RETURN", s.ACTION_INFORM_ISSUING_STATE),
                _hit("SIS_DISCREET_CHECK", s.ACTION_DISCREET_CHECK),
                _hit("SIS_JUDICIAL_PROCEDURE", s.ACTION_REPORT_WHEREABOUTS),
                _hit("SIS_ARREST", s.ACTION_CONFIRM_MATCH),
            ),
        )
    )
    assert [h.category for h in report.hits] == [
        "SIS_ARREST",
        "SIS_JUDICIAL_PROCEDURE",
        "SIS_DISCREET_CHECK",
        "SIS_RETURN",
    ]


def test_warning_markers_come_first_in_the_actions() -> None:
    arrest = _hit("SIS_ARREST", s.ACTION_ARREST)
    arrest.sis.warning_flags.extend([s.WARNING_FLAG_ARMED, s.WARNING_FLAG_VIOLENT])
    report = _report(Answer(s.SYSTEM_SIS, ANSWERED, 5, (arrest,)))
    assert report.actions[:2] == [
        "Caution, warning markers on sis-1: armed, violent",
        "Arrest the person (SIS alert for arrest)",
    ]


def _situated_action(category: int, purpose: int, state: str = "") -> int:
    hit = _hit("SIS", s.ACTION_REFUSE_ENTRY)
    hit.sis.category = category  # type: ignore[assignment]
    hit.sis.flagged_by.append("FRA")
    hit.action = REGISTRY["sis"].translate(_as_match(hit)).action
    answer = Answer(s.SYSTEM_SIS, ANSWERED, 5, (hit,))
    situation = Situation(purpose, TODAY, checking_state=state)  # type: ignore[arg-type]
    return situated(answer, situation, REGISTRY.catalog).hits[0].action


def _as_match(hit: pb.Hit) -> mock_pb2.RecordMatch:
    return mock_pb2.RecordMatch(match_class=pb.MATCH_CLASS_SAME, sis=hit.sis)


def test_the_action_depends_on_where_and_why_the_check_is_made() -> None:
    refusal, ret = s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY, s.SIS_ALERT_CATEGORY_RETURN
    assert _situated_action(refusal, pb.PURPOSE_BORDER_ENTRY) == s.ACTION_REFUSE_ENTRY
    assert _situated_action(refusal, pb.PURPOSE_BORDER_EXIT) == s.ACTION_INFORM_ISSUING_STATE
    assert _situated_action(ret, pb.PURPOSE_BORDER_ENTRY) == s.ACTION_INFORM_ISSUING_STATE
    assert _situated_action(ret, pb.PURPOSE_IN_TERRITORY_CHECK) == s.ACTION_ENFORCE_RETURN
    arrest = s.SIS_ALERT_CATEGORY_ARREST
    assert _situated_action(arrest, pb.PURPOSE_BORDER_ENTRY, "DEU") == s.ACTION_ARREST
    flagged = _situated_action(arrest, pb.PURPOSE_BORDER_ENTRY, "FRA")
    assert flagged == s.ACTION_REPORT_WHEREABOUTS
