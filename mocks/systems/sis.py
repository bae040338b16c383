"""SIS: person alerts found by identity (aliases too), document or biometrics (AFIS);
object alerts on stolen, lost or invalidated documents found by the number alone."""

from __future__ import annotations

from broker.matching import Match
from broker.names import canonical_name
from interop.mock.v1 import mock_pb2
from interop.v1 import systems_pb2 as s
from mocks.engine import Context, Rules

OBJECT_ALERTS = frozenset(
    {
        s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT,
        s.SIS_ALERT_CATEGORY_LOST_DOCUMENT,
        s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT,
    }
)


def _any_person_match(match: Match, record: mock_pb2.MockRecord) -> bool:
    return True


def _is_object_alert(record: mock_pb2.MockRecord) -> bool:
    return record.sis.category in OBJECT_ALERTS


def _finish(match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: Context) -> None:
    surnames = [f.record_value for f in match.explanation if f.field == "surname"]
    main = canonical_name(record.identity.surname)
    match.sis.matched_alias = bool(surnames) and canonical_name(surnames[0]) != main


RULES = Rules(
    name="sis",
    identity=_any_person_match,
    face=True,
    fingerprints=True,
    document_only=_is_object_alert,
    finish=_finish,
)
