"""Merging answers: order by urgency, verdicts that never turn silence into 'clear'."""

from __future__ import annotations

from broker.domain.answers import Answer
from broker.domain.links import link_hits
from broker.domain.merge import build_report, verdict
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from systems import REGISTRY

ANSWERED = pb.OUTCOME_STATUS_ANSWERED


def _hit(category: str, action: int, score: float = 0.9) -> pb.Hit:
    return pb.Hit(category=category, action=action, score=score, record_id=category)  # type: ignore[arg-type]


def _report(*answers: Answer) -> pb.HitReport:
    return build_report(
        "r", "c", pb.Traveller(), answers, "2026-01-01T00:00:00Z", link_hits, REGISTRY.catalog
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
