"""SIS, the Schengen Information System: person alerts with the action to take, found by
identity (aliases too), document, face or fingerprints (AFIS); object alerts on stolen,
lost or invalidated documents, found by the document (number, issuing State, type).

A match is a hit only when the alert's data match the search data (Reg. 2018/1862
Art. 3(8)): a candidate (similar identity, a number without identity data, an identity
the wanted person misused) is confirmed before the alert's action is taken. The action
then depends on where and why the check is made: a refusal alert refuses entry, not
exit; an alert on return asks the border to inform the issuing State (Reg. 2018/1860
Arts. 6 and 8); a State that flagged an alert does not take its action (Reg. 2018/1862
Arts. 24 and 25).
"""

from __future__ import annotations

import datetime as dt

from adapters.translate import categorised_hit
from broker.domain.names import canonical_name
from broker.domain.profiles import ASYLUM_AUTHORITY, BORDER_GUARD, POLICE, VISA_AUTHORITY
from broker.domain.situation import Situation
from broker.domain.systems import Action, Criterion, Evidence, SystemSpec
from broker.domain.traveller import traveller_of
from broker.matching import Identity
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Rules, SearchContext
from mocks.spec import MockSpec
from mocks.world import MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

# -- adapter: what the guard must do about each kind of alert ---------------------------------

ACTIONS: dict[int, Action] = {
    s.SIS_ALERT_CATEGORY_ARREST: s.ACTION_ARREST,
    s.SIS_ALERT_CATEGORY_MISSING_PERSON: s.ACTION_PROTECT_PERSON,
    s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON: s.ACTION_PROTECT_PERSON,
    s.SIS_ALERT_CATEGORY_JUDICIAL_PROCEDURE: s.ACTION_REPORT_WHEREABOUTS,
    s.SIS_ALERT_CATEGORY_DISCREET_CHECK: s.ACTION_DISCREET_CHECK,
    s.SIS_ALERT_CATEGORY_INQUIRY_CHECK: s.ACTION_INQUIRY_CHECK,
    s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK: s.ACTION_SPECIFIC_CHECK,
    s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY: s.ACTION_REFUSE_ENTRY,
    s.SIS_ALERT_CATEGORY_RETURN: s.ACTION_INFORM_ISSUING_STATE,
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
    s.SIS_ALERT_CATEGORY_UNKNOWN_WANTED_PERSON: s.ACTION_REPORT_WHEREABOUTS,
}


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    hit = categorised_hit(match, "SIS_", s.SisAlertCategory, match.sis.category, ACTIONS)
    if _to_confirm(match):
        hit.action = s.ACTION_CONFIRM_MATCH
    return hit


def _to_confirm(match: mock_pb2.RecordMatch) -> bool:
    """A candidate, or an identity the wanted person misused and no biometric confirms."""
    if match.match_class != pb.MATCH_CLASS_SAME:
        return True
    by_biometrics = any(f.method == "cosine" for f in match.explanation)
    return match.sis.misused_identity and not by_biometrics


# The action of a flagged alert in the flagging State: an arrest becomes a report of the
# whereabouts (Reg. 2018/1862 Art. 25); other flagged actions are not taken (Art. 24).
FLAGGED: dict[int, Action] = {s.SIS_ALERT_CATEGORY_ARREST: s.ACTION_REPORT_WHEREABOUTS}


def act(hit: pb.Hit, situation: Situation) -> Action:
    """The alert's action where and why the check is made."""
    category = hit.sis.category
    if hit.action == s.ACTION_CONFIRM_MATCH:
        return hit.action
    if situation.checking_state and situation.checking_state in hit.sis.flagged_by:
        return FLAGGED.get(category, s.ACTION_INFORMATION)
    if category == s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY:
        # Refusal of entry and stay (Reg. 2018/1861 Art. 24): refused at the entry; found
        # leaving or staying, the issuing State is told.
        entry = situation.purpose == pb.PURPOSE_BORDER_ENTRY
        return s.ACTION_REFUSE_ENTRY if entry else s.ACTION_INFORM_ISSUING_STATE
    if category == s.SIS_ALERT_CATEGORY_RETURN and (
        situation.purpose == pb.PURPOSE_IN_TERRITORY_CHECK
    ):
        return s.ACTION_ENFORCE_RETURN
    return hit.action


SPEC = SystemSpec(
    name="sis",
    value=s.SYSTEM_SIS,
    label="SIS",
    searched_by=frozenset(
        {
            Criterion.IDENTITY,
            Criterion.DOCUMENT,
            Criterion.DOCUMENT_ONLY,
            Criterion.FACE,
            Criterion.FINGERPRINTS,
        }
    ),
    # Reg. 2018/1861 Art. 34 and Reg. 2018/1862 Art. 44: border, visa, immigration and
    # police authorities alike.
    readers=frozenset({BORDER_GUARD, VISA_AUTHORITY, ASYLUM_AUTHORITY, POLICE}),
    evidence=frozenset({Evidence.ALERTS}),
    act=act,
)


# -- mock: search rules ------------------------------------------------------------------------

OBJECT_ALERTS = frozenset(
    {
        s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT,
        s.SIS_ALERT_CATEGORY_LOST_DOCUMENT,
        s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT,
    }
)


def _is_object_alert(record: mock_pb2.MockRecord) -> bool:
    return record.sis.category in OBJECT_ALERTS


def _finish(
    match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: SearchContext
) -> None:
    surnames = [f.record_value for f in match.explanation if f.field == "surname"]
    main = canonical_name(record.identity.surname)
    match.sis.matched_alias = bool(surnames) and canonical_name(surnames[0]) != main


RULES = Rules(SPEC.searched_by, document_only=_is_object_alert, finish=_finish)

# -- mock: records of the synthetic world ------------------------------------------------------

STREAM = 1
LEGAL_BASIS: dict[int, str] = {
    s.SIS_ALERT_CATEGORY_ARREST: "Regulation (EU) 2018/1862 Art. 26",
    s.SIS_ALERT_CATEGORY_MISSING_PERSON: "Regulation (EU) 2018/1862 Art. 32",
    s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON: "Regulation (EU) 2018/1862 Art. 32",
    s.SIS_ALERT_CATEGORY_JUDICIAL_PROCEDURE: "Regulation (EU) 2018/1862 Art. 34",
    s.SIS_ALERT_CATEGORY_DISCREET_CHECK: "Regulation (EU) 2018/1862 Art. 36",
    s.SIS_ALERT_CATEGORY_INQUIRY_CHECK: "Regulation (EU) 2018/1862 Art. 36",
    s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK: "Regulation (EU) 2018/1862 Art. 36",
    s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY: "Regulation (EU) 2018/1861 Art. 24",
    s.SIS_ALERT_CATEGORY_RETURN: "Regulation (EU) 2018/1860 Art. 3",
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT: "Regulation (EU) 2018/1862 Art. 38",
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT: "Regulation (EU) 2018/1862 Art. 38",
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT: "Regulation (EU) 2018/1862 Art. 38",
    s.SIS_ALERT_CATEGORY_UNKNOWN_WANTED_PERSON: "Regulation (EU) 2018/1862 Art. 40",
}
# The alert's own "action to be taken", as an issuing State would word it.
ACTION_TO_TAKE: dict[int, str] = {
    s.SIS_ALERT_CATEGORY_ARREST: "Arrest with a view to surrender (European Arrest Warrant)",
    s.SIS_ALERT_CATEGORY_MISSING_PERSON: "Place under protection; inform the issuing State",
    s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON: "Prevent travel; place under protection",
    s.SIS_ALERT_CATEGORY_JUDICIAL_PROCEDURE: "Communicate the place of residence or domicile",
    s.SIS_ALERT_CATEGORY_DISCREET_CHECK: "Discreet check: collect the Art. 37 information",
    s.SIS_ALERT_CATEGORY_INQUIRY_CHECK: "Inquiry check: interview the person",
    s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK: "Specific check: search the person and objects",
    s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY: "Refuse entry and stay",
    s.SIS_ALERT_CATEGORY_RETURN: "Verify the departure; inform the issuing State",
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT: "Seize the document",
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT: "Seize the document",
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT: "Seize the document",
    s.SIS_ALERT_CATEGORY_UNKNOWN_WANTED_PERSON: "Establish the identity; inform the issuing State",
}
# Alerts a State may flag (Reg. 2018/1862 Art. 24(1): Arts. 26, 32 and 36).
FLAGGABLE = frozenset(
    {
        s.SIS_ALERT_CATEGORY_ARREST,
        s.SIS_ALERT_CATEGORY_MISSING_PERSON,
        s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON,
        s.SIS_ALERT_CATEGORY_DISCREET_CHECK,
        s.SIS_ALERT_CATEGORY_INQUIRY_CHECK,
        s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK,
    }
)
FLAGGED_SHARE = 0.03
MISUSED_IDENTITY_SHARE = 0.01
WARNINGS = (
    s.WARNING_FLAG_ARMED,
    s.WARNING_FLAG_VIOLENT,
    s.WARNING_FLAG_ESCAPED,
    s.WARNING_FLAG_SUICIDE_RISK,
    s.WARNING_FLAG_PUBLIC_HEALTH_RISK,
    s.WARNING_FLAG_TERRORISM,
)
# Share of person alerts that carry each warning marker (any person alert may, Reg.
# 2018/1862 Art. 20(3), Reg. 2018/1861 Art. 20(2), Reg. 2018/1860 Art. 4(1)).
WARNING_SHARE = 0.04


def person_alert(world: World, position: int, today: dt.date) -> mock_pb2.MockRecord:
    record, rng = world.person_record(position, STREAM)
    category = int(world.sis[position])
    record.record_id = f"SIS-P-{world.seed}-{position:07d}"
    person = world.population.identity(position)
    record.aliases.extend(
        traveller_of(Identity(surname=a, given_names=g)) for a, g in person.aliases
    )
    flags = [int(f) for f in WARNINGS if rng.random() < WARNING_SHARE]
    issuing_state = str(rng.choice(MEMBER_STATES))
    flagged = category in FLAGGABLE and rng.random() < FLAGGED_SHARE
    record.sis.CopyFrom(
        s.SisAlert(
            alert_id=record.record_id,
            category=category,  # type: ignore[arg-type]
            legal_basis=LEGAL_BASIS[category],
            warning_flags=flags,  # type: ignore[arg-type]
            issuing_state=issuing_state,
            action_to_take=ACTION_TO_TAKE[category],
            flagged_by=[str(rng.choice(MEMBER_STATES))] if flagged else [],
            misused_identity=rng.random() < MISUSED_IDENTITY_SHARE,
        )
    )
    return record


def document_alert(world: World, position: int) -> mock_pb2.MockRecord:
    """An object alert on person `position`'s passport: the document, no person."""
    rng = world.rng(STREAM, position, 1)
    number = world.population.document_number[position].decode()
    category = int(world.sis_document[position])
    record = mock_pb2.MockRecord(record_id=f"SIS-D-{world.seed}-{position:07d}")
    record.identity.document.CopyFrom(
        pb.Document(
            type=pb.DOCUMENT_TYPE_PASSPORT,
            number=number,
            issuing_state=world.population.identity(position).nationality,
        )
    )
    record.sis.CopyFrom(
        s.SisAlert(
            alert_id=record.record_id,
            category=category,  # type: ignore[arg-type]
            legal_basis=LEGAL_BASIS[category],
            document_number=number,
            issuing_state=str(rng.choice(MEMBER_STATES)),
            action_to_take=ACTION_TO_TAKE[category],
        )
    )
    return record


WORLD = WorldShare(
    codes=lambda world: world.sis,
    record=person_alert,
    objects=lambda world: world.sis_document,
    object_record=document_alert,
)

SIS = BorderSystem(SPEC, translate, MockSpec("interop.mock.v1.SisMock", 50061, RULES, WORLD))
