"""SIS, the Schengen Information System: person alerts with the action to take, found by
identity (aliases too), document, face or fingerprints (AFIS); object alerts on stolen,
lost or invalidated documents, found by the document number alone."""

from __future__ import annotations

import datetime as dt

from adapters.translate import categorised_hit
from broker.domain.names import canonical_name
from broker.domain.profiles import ASYLUM_AUTHORITY, BORDER_GUARD, POLICE, VISA_AUTHORITY
from broker.domain.systems import Criterion, SystemSpec
from broker.domain.traveller import traveller_of
from broker.matching import Identity
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Rules, SearchContext
from mocks.spec import MockSpec
from mocks.world import MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

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
    readers=frozenset({BORDER_GUARD, VISA_AUTHORITY, ASYLUM_AUTHORITY, POLICE}),
)

# -- adapter: what the guard must do about each kind of alert ---------------------------------

ACTIONS: dict[int, s.Action.ValueType] = {
    s.SIS_ALERT_CATEGORY_ARREST: s.ACTION_ARREST,
    s.SIS_ALERT_CATEGORY_MISSING_PERSON: s.ACTION_PROTECT_PERSON,
    s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON: s.ACTION_PROTECT_PERSON,
    s.SIS_ALERT_CATEGORY_JUDICIAL_PROCEDURE: s.ACTION_REPORT_WHEREABOUTS,
    s.SIS_ALERT_CATEGORY_DISCREET_CHECK: s.ACTION_DISCREET_CHECK,
    s.SIS_ALERT_CATEGORY_INQUIRY_CHECK: s.ACTION_INQUIRY_CHECK,
    s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK: s.ACTION_SPECIFIC_CHECK,
    s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY: s.ACTION_REFUSE_ENTRY,
    s.SIS_ALERT_CATEGORY_RETURN: s.ACTION_ENFORCE_RETURN,
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
}


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    return categorised_hit(match, "SIS_", s.SisAlertCategory, match.sis.category, ACTIONS)


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
}
WARNINGS = (
    s.WARNING_FLAG_ARMED,
    s.WARNING_FLAG_VIOLENT,
    s.WARNING_FLAG_ESCAPED,
    s.WARNING_FLAG_SUICIDE_RISK,
    s.WARNING_FLAG_PUBLIC_HEALTH_RISK,
    s.WARNING_FLAG_TERRORISM,
)
# Share of alerts for arrest that carry each warning marker.
WARNING_SHARE = 0.08


def person_alert(world: World, position: int, today: dt.date) -> mock_pb2.MockRecord:
    record, rng = world.person_record(position, STREAM)
    category = int(world.sis[position])
    record.record_id = f"SIS-P-{world.seed}-{position:07d}"
    person = world.population.identity(position)
    record.aliases.extend(
        traveller_of(Identity(surname=a, given_names=g)) for a, g in person.aliases
    )
    flags = (
        [int(f) for f in WARNINGS if rng.random() < WARNING_SHARE]
        if category == s.SIS_ALERT_CATEGORY_ARREST
        else []
    )
    record.sis.CopyFrom(
        s.SisAlert(
            alert_id=record.record_id,
            category=category,  # type: ignore[arg-type]
            legal_basis=LEGAL_BASIS[category],
            warning_flags=flags,  # type: ignore[arg-type]
            issuing_state=str(rng.choice(MEMBER_STATES)),
        )
    )
    return record


def document_alert(world: World, position: int) -> mock_pb2.MockRecord:
    """An object alert on person `position`'s passport: the document, no person."""
    rng = world.rng(STREAM, position, 1)
    number = world.population.document_number[position].decode()
    category = int(world.sis_document[position])
    record = mock_pb2.MockRecord(record_id=f"SIS-D-{world.seed}-{position:07d}")
    record.identity.document.number = number
    record.sis.CopyFrom(
        s.SisAlert(
            alert_id=record.record_id,
            category=category,  # type: ignore[arg-type]
            legal_basis=LEGAL_BASIS[category],
            document_number=number,
            issuing_state=str(rng.choice(MEMBER_STATES)),
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
