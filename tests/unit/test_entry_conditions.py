"""The entry conditions, assessed from a query and answers made up here: no mocks, no bus."""

from __future__ import annotations

import datetime as dt

import pytest

from broker.domain.entry_conditions import add_months, ages, assess
from broker.domain.situation import Situation
from broker.domain.visa_lists import Regime, regime
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from systems import REGISTRY

TODAY = dt.date(2026, 11, 28)
ENTRY = Situation(pb.PURPOSE_BORDER_ENTRY, TODAY, checking_state="FRA")
ANSWERED = pb.OUTCOME_STATUS_ANSWERED
ON_ENTRY = (s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_EES, s.SYSTEM_ETIAS)


def traveller(nationality: str = "USA", **document: str) -> pb.Traveller:
    fields = {"number": "P1234567", "issuing_state": nationality, "expiry_date": "2032-01-01"}
    fields |= {"issue_date": "2022-01-01"} | document
    return pb.Traveller(
        surname="DOE",
        given_names=["JANE"],
        date_of_birth="1980-01-01",
        sex=pb.SEX_FEMALE,
        nationality=nationality,
        document=pb.Document(**fields),  # type: ignore[arg-type]
    )


def outcomes(
    silent: tuple[int, ...] = (), asked: tuple[int, ...] = ON_ENTRY
) -> list[pb.SystemOutcome]:
    return [
        pb.SystemOutcome(
            system=v,  # type: ignore[arg-type]
            status=pb.OUTCOME_STATUS_TIMEOUT if v in silent else ANSWERED,
        )
        for v in asked
    ]


def authorisation(status: s.EtiasStatus.ValueType = s.ETIAS_STATUS_ISSUED) -> pb.Hit:
    return pb.Hit(
        hit_id="etias-1",
        system=s.SYSTEM_ETIAS,
        match_class=pb.MATCH_CLASS_SAME,
        etias=s.EtiasAuthorisation(
            application_number="E-1", status=status, valid_until="2028-01-01"
        ),
    )


def visa(**changes: object) -> pb.Hit:
    detail = s.VisApplication(
        application_number="V-1",
        status=s.VIS_STATUS_ISSUED,
        visa_type="C",
        valid_from="2026-11-01",
        valid_until="2027-04-30",
        duration_of_stay_days=30,
        validity=s.VIS_VALIDITY_VALID,
    )
    for name, value in changes.items():
        if isinstance(value, list):
            getattr(detail, name).extend(value)
        else:
            setattr(detail, name, value)
    return pb.Hit(hit_id="vis-1", system=s.SYSTEM_VIS, match_class=pb.MATCH_CLASS_SAME, vis=detail)


def ees_file(stay_allowed: int = 90, overstay: int = 0) -> pb.Hit:
    return pb.Hit(
        hit_id="ees-1",
        system=s.SYSTEM_EES,
        match_class=pb.MATCH_CLASS_SAME,
        ees=s.EesFile(
            stay_allowed_days=stay_allowed,
            overstay_days=overstay,
            days_remaining=max(0, stay_allowed - 1),
        ),
    )


def conditions(
    who: pb.Traveller,
    hits: list[pb.Hit],
    situation: Situation = ENTRY,
    silent: tuple[int, ...] = (),
) -> pb.EntryConditions:
    found = assess(situation, who, outcomes(silent), hits, REGISTRY.catalog)
    assert found is not None
    return found


def state_of(found: pb.EntryConditions, condition: int) -> int:
    return next(c.state for c in found.conditions if c.condition == condition)


def grounds(found: pb.EntryConditions) -> list[str]:
    return [g.code for g in found.refusal_grounds]


def test_visa_exempt_with_a_valid_authorisation_meets_every_condition() -> None:
    found = conditions(traveller(), [authorisation()])
    assert found.state == pb.CONDITION_STATE_MET, found
    assert grounds(found) == []
    assert [c.condition for c in found.conditions] == [
        pb.ENTRY_CONDITION_TRAVEL_DOCUMENT,
        pb.ENTRY_CONDITION_VISA_OR_AUTHORISATION,
        pb.ENTRY_CONDITION_STAY,
        pb.ENTRY_CONDITION_ALERTS,
    ]
    assert (found.checking_state, found.purpose) == ("FRA", pb.PURPOSE_BORDER_ENTRY)


def test_the_specimen_passport_expired_by_its_own_mrz_is_ground_a() -> None:
    found = conditions(traveller(expiry_date="2012-04-15"), [authorisation()])
    assert state_of(found, pb.ENTRY_CONDITION_TRAVEL_DOCUMENT) == pb.CONDITION_STATE_NOT_MET
    assert grounds(found) == ["A"]
    document = found.conditions[0]
    assert "expired on 2012-04-15" in document.evidence
    assert document.legal_basis == "Reg. (EU) 2016/399 Art. 6(1)(a)"


def test_the_document_must_outlast_the_exit_by_three_months_and_be_under_ten_years() -> None:
    exit_in_may = Situation(
        pb.PURPOSE_BORDER_ENTRY, TODAY, "FRA", intended_exit=dt.date(2027, 5, 1)
    )
    short = conditions(traveller(expiry_date="2027-07-31"), [authorisation()], exit_in_may)
    assert grounds(short) == ["A"]
    enough = conditions(traveller(expiry_date="2027-08-01"), [authorisation()], exit_in_may)
    assert state_of(enough, pb.ENTRY_CONDITION_TRAVEL_DOCUMENT) == pb.CONDITION_STATE_MET
    old = conditions(traveller(issue_date="2016-11-27"), [authorisation()])
    assert grounds(old) == ["A"]


def test_without_an_exit_date_a_document_that_may_not_suffice_is_to_verify() -> None:
    found = conditions(traveller(expiry_date="2027-05-01"), [authorisation()])
    assert state_of(found, pb.ENTRY_CONDITION_TRAVEL_DOCUMENT) == pb.CONDITION_STATE_TO_VERIFY
    assert grounds(found) == []


def test_visa_exempt_without_a_travel_authorisation_is_ground_c() -> None:
    none = authorisation(s.ETIAS_STATUS_NONE)
    found = conditions(traveller(), [none])
    assert state_of(found, pb.ENTRY_CONDITION_VISA_OR_AUTHORISATION) == pb.CONDITION_STATE_NOT_MET
    assert grounds(found) == ["C"]
    # An ETIAS that answers with nothing has no authorisation either.
    assert grounds(conditions(traveller(), [])) == ["C"]


def test_a_silent_etias_is_no_answer_never_met() -> None:
    found = conditions(traveller(), [], silent=(s.SYSTEM_ETIAS,))
    state = state_of(found, pb.ENTRY_CONDITION_VISA_OR_AUTHORISATION)
    assert state == pb.CONDITION_STATE_NO_ANSWER
    assert found.state == pb.CONDITION_STATE_NO_ANSWER


def test_an_authorisation_limited_to_other_states_does_not_cover_this_one() -> None:
    limited = authorisation()
    limited.etias.territorial_limits.append("DEU")
    assert grounds(conditions(traveller(), [limited])) == ["C"]
    unknown_state = Situation(pb.PURPOSE_BORDER_ENTRY, TODAY)
    found = conditions(traveller(), [limited], unknown_state)
    assert state_of(found, pb.ENTRY_CONDITION_VISA_OR_AUTHORISATION) == pb.CONDITION_STATE_TO_VERIFY


def test_a_visa_national_needs_a_valid_visa_for_this_state() -> None:
    indian = traveller("IND")
    assert grounds(conditions(indian, [])) == ["C"]
    assert conditions(indian, [visa()]).state == pb.CONDITION_STATE_MET
    expired = visa(validity=s.VIS_VALIDITY_EXPIRED, valid_until="2026-11-01")
    assert grounds(conditions(indian, [expired])) == ["C"]
    limited = conditions(indian, [visa(territory=["DEU"])])
    evidence = limited.conditions[1].evidence
    assert grounds(limited) == ["C"] and any("DEU only, not FRA" in e for e in evidence)
    revoked = conditions(indian, [visa(status=s.VIS_STATUS_REVOKED)])
    assert grounds(revoked) == ["C"]
    # One valid visa is enough, whatever else VIS holds.
    assert conditions(indian, [expired, visa()]).state == pb.CONDITION_STATE_MET


def test_the_stay_must_fit_the_90_180_rule_and_the_visa() -> None:
    overstayer = conditions(traveller(), [authorisation(), ees_file(0, overstay=11)])
    assert grounds(overstayer) == ["F"]
    leaving = Situation(pb.PURPOSE_BORDER_ENTRY, TODAY, "FRA", intended_exit=dt.date(2026, 12, 28))
    # 31 days from today: more than the 20 EES leaves, more than the visa's 30.
    too_long = conditions(traveller(), [authorisation(), ees_file(20)], leaving)
    assert state_of(too_long, pb.ENTRY_CONDITION_STAY) == pb.CONDITION_STATE_NOT_MET
    assert grounds(too_long) == []
    beyond_visa = conditions(traveller("IND"), [visa(), ees_file()], leaving)
    assert state_of(beyond_visa, pb.ENTRY_CONDITION_STAY) == pb.CONDITION_STATE_NOT_MET


def test_alerts_refusal_is_ground_h_a_candidate_is_to_verify() -> None:
    refusal = pb.Hit(
        hit_id="sis-1", system=s.SYSTEM_SIS, category="SIS_REFUSAL_OF_ENTRY",
        action=s.ACTION_REFUSE_ENTRY,
    )  # fmt: skip
    assert grounds(conditions(traveller(), [authorisation(), refusal])) == ["H"]
    candidate = pb.Hit(hit_id="sis-1", system=s.SYSTEM_SIS, action=s.ACTION_CONFIRM_MATCH)
    found = conditions(traveller(), [authorisation(), candidate])
    assert state_of(found, pb.ENTRY_CONDITION_ALERTS) == pb.CONDITION_STATE_TO_VERIFY
    stolen = pb.Hit(hit_id="sis-1", system=s.SYSTEM_SIS, action=s.ACTION_SEIZE_DOCUMENT)
    assert grounds(conditions(traveller(), [authorisation(), stolen])) == ["A"]


def test_a_minor_gets_particular_attention() -> None:
    child = traveller()
    child.date_of_birth = "2017-06-01"
    found = conditions(child, [authorisation()])
    minor = found.conditions[-1]
    assert (minor.condition, minor.state) == (
        pb.ENTRY_CONDITION_MINOR,
        pb.CONDITION_STATE_TO_VERIFY,
    )
    assert "aged 9" in minor.evidence[0]


def test_the_purpose_decides_what_is_assessed() -> None:
    exit_check = Situation(pb.PURPOSE_BORDER_EXIT, TODAY, "FRA")
    found = conditions(traveller(expiry_date="2012-04-15"), [ees_file(0, 11)], exit_check)
    assert [c.condition for c in found.conditions] == [
        pb.ENTRY_CONDITION_TRAVEL_DOCUMENT,
        pb.ENTRY_CONDITION_STAY,
    ]
    assert found.state == pb.CONDITION_STATE_NOT_MET
    assert grounds(found) == [], "no refusal of entry on exit"
    visa_desk = Situation(pb.PURPOSE_VISA_APPLICATION, TODAY)
    assert assess(visa_desk, traveller(), outcomes(), [], REGISTRY.catalog) is None


def test_free_movement_is_not_assessed_under_art_6() -> None:
    found = conditions(traveller("DEU"), [])
    assert (found.state, list(found.conditions)) == (pb.CONDITION_STATE_NOT_APPLICABLE, [])


@pytest.mark.parametrize(
    ("nationality", "issuer", "needs"),
    [
        ("IND", "", Regime.VISA),
        ("USA", "", Regime.TRAVEL_AUTHORISATION),
        ("RKS", "", Regime.TRAVEL_AUTHORISATION),
        ("GBN", "", Regime.TRAVEL_AUTHORISATION),
        ("VUT", "", Regime.VISA),
        ("SWE", "", Regime.FREE_MOVEMENT),
        ("CHE", "", Regime.FREE_MOVEMENT),
        ("XXA", "RUS", Regime.VISA),
        ("XXA", "", Regime.UNKNOWN),
        ("UTO", "", Regime.UNKNOWN),
    ],
)
def test_visa_lists(nationality: str, issuer: str, needs: Regime) -> None:
    assert regime(nationality, issuer)[0] is needs


def test_dates() -> None:
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 11, 28), -120) == dt.date(2016, 11, 28)
    assert ages("2008-11-29", TODAY) == (17, 17)
    assert ages("2008-00-00", TODAY) == (17, 18)
    assert ages("", TODAY) is None
