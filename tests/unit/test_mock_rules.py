"""The search rules of the mock systems, on seeded records without a server."""

from __future__ import annotations

import datetime as dt

from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2
from interop.v1 import systems_pb2 as s
from mocks.engine import Probe, SearchContext, search
from mocks.seeded import SeededSource
from mocks.session import Session
from systems import REGISTRY

TODAY = dt.date(2026, 11, 28)
HOLDER = pb.Traveller(
    surname="LINDQVIST",
    given_names=["ERIK"],
    date_of_birth="1975-05-05",
    sex=pb.SEX_MALE,
    nationality="SWE",
    document=pb.Document(number="AB1234567"),
)


def _find(
    system: str,
    records: list[mock_pb2.MockRecord],
    query: pb.Traveller,
    session: Session | None = None,
) -> list[mock_pb2.RecordMatch]:
    session = session or Session()
    session.seed(records)
    return search(
        REGISTRY[system].mock.rules,
        [SeededSource(session)],
        SearchContext(Probe.of(query), TODAY, session),
    )


STOLEN = mock_pb2.MockRecord(
    record_id="SIS-OBJ-1",
    identity=pb.Traveller(
        document=pb.Document(
            type=pb.DOCUMENT_TYPE_PASSPORT, number="AB1234567", issuing_state="BEL"
        )
    ),
    sis=s.SisAlert(category=s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT, document_number="AB1234567"),
)


def _document(number: str, state: str = "", kind: int = 0) -> pb.Traveller:
    return pb.Traveller(
        document=pb.Document(number=number, issuing_state=state, type=kind)  # type: ignore[arg-type]
    )


def test_sis_object_alert_is_the_document_number_issuing_state_and_type() -> None:
    [found] = _find("sis", [STOLEN], _document("AB1234567", "BEL", pb.DOCUMENT_TYPE_PASSPORT))
    assert (found.record_id, found.match_class, found.score) == (
        "SIS-OBJ-1",
        pb.MATCH_CLASS_SAME,
        1.0,
    )
    assert [f.field for f in found.explanation] == ["document_number", "document_issuing_state"]


def test_a_number_of_another_state_or_type_is_another_document() -> None:
    assert _find("sis", [STOLEN], _document("AB1234567", "USA")) == []
    assert _find("sis", [STOLEN], _document("AB1234567", "BEL", pb.DOCUMENT_TYPE_ID_CARD)) == []


def test_a_number_without_its_issuing_state_is_a_candidate() -> None:
    [found] = _find("sis", [STOLEN], _document("AB1234567"))
    assert (found.match_class, found.score) == (pb.MATCH_CLASS_SIMILAR, 0.5)
    assert REGISTRY["sis"].translate(found).action == s.ACTION_CONFIRM_MATCH


def test_a_person_alert_found_by_number_alone_is_a_candidate_never_an_arrest() -> None:
    wanted = mock_pb2.MockRecord(
        record_id="SIS-P-1",
        identity=pb.Traveller(
            surname="VOLKOV",
            given_names=["SERGEI"],
            date_of_birth="1980-02-29",
            sex=pb.SEX_MALE,
            nationality="RUS",
            document=pb.Document(number="751234567", issuing_state="RUS"),
        ),
        sis=s.SisAlert(category=s.SIS_ALERT_CATEGORY_ARREST),
    )
    other_woman = pb.Traveller(
        surname="GARCIA",
        given_names=["LUCIA"],
        date_of_birth="1990-06-01",
        sex=pb.SEX_FEMALE,
        nationality="MEX",
        document=pb.Document(number="751234567", issuing_state="MEX"),
    )
    assert _find("sis", [wanted], other_woman) == []
    [candidate] = _find("sis", [wanted], _document("751234567", "RUS"))
    assert candidate.match_class == pb.MATCH_CLASS_SIMILAR
    assert REGISTRY["sis"].translate(candidate).action == s.ACTION_CONFIRM_MATCH


def test_sis_object_alert_ignores_names_and_other_numbers() -> None:
    no_number = pb.Traveller(surname="LINDQVIST", date_of_birth="1975-05-05")
    assert _find("sis", [STOLEN], no_number) == []
    other = pb.Traveller(document=pb.Document(number="AB1234568"))
    assert _find("sis", [STOLEN], other) == []


def test_ees_finds_the_file_by_identity_with_another_document() -> None:
    file = mock_pb2.MockRecord(record_id="EES-1", identity=HOLDER, ees=s.EesFile(file_id="EES-1"))
    query = pb.Traveller()
    query.CopyFrom(HOLDER)
    query.document.number = "ZZ9999999"
    assert [m.record_id for m in _find("ees", [file], query)] == ["EES-1"]


def test_ees_needs_exact_date_of_birth_and_nationality() -> None:
    file = mock_pb2.MockRecord(record_id="EES-1", identity=HOLDER, ees=s.EesFile(file_id="EES-1"))
    for change in ({"date_of_birth": "1975-05-06"}, {"nationality": "NOR"}):
        query = pb.Traveller()
        query.CopyFrom(HOLDER)
        query.document.number = ""
        for key, value in change.items():
            setattr(query, key, value)
        assert _find("ees", [file], query) == [], change


def test_ees_counts_crossings_recorded_in_the_session() -> None:
    session = Session()
    file = mock_pb2.MockRecord(
        record_id="EES-1",
        identity=HOLDER,
        ees=s.EesFile(
            file_id="EES-1", crossings=[s.EesCrossing(direction="ENTRY", date="2026-10-01")]
        ),
    )
    before = _find("ees", [file], HOLDER, session)[0].ees
    assert (before.days_remaining, before.overstay_days) == (31, 0)
    session.crossings["EES-1"] = [
        bus_pb2.Crossing(direction=pb.CROSSING_DIRECTION_EXIT, date="2026-10-10")
    ]
    after = _find("ees", [file], HOLDER, session)[0].ees
    assert (after.days_remaining, [c.direction for c in after.crossings]) == (80, ["ENTRY", "EXIT"])


def test_etias_is_found_by_document_not_by_names() -> None:
    authorisation = mock_pb2.MockRecord(
        record_id="E-1",
        identity=HOLDER,
        etias=s.EtiasAuthorisation(status=s.ETIAS_STATUS_ISSUED, valid_until="2027-01-15"),
    )
    found = _find("etias", [authorisation], pb.Traveller(document=pb.Document(number="AB1234567")))
    assert found[0].etias.expires_within_90_days
    names_only = pb.Traveller(surname="LINDQVIST", date_of_birth="1975-05-05", nationality="SWE")
    assert _find("etias", [authorisation], names_only) == []
    other_country = pb.Traveller(nationality="NOR", document=pb.Document(number="AB1234567"))
    assert _find("etias", [authorisation], other_country) == []


def test_expired_authorisation_is_reported_as_expired() -> None:
    old = mock_pb2.MockRecord(
        record_id="E-2",
        identity=HOLDER,
        etias=s.EtiasAuthorisation(status=s.ETIAS_STATUS_ISSUED, valid_until="2026-01-01"),
    )
    found = _find("etias", [old], HOLDER)
    assert found[0].etias.status == s.ETIAS_STATUS_EXPIRED


def test_vis_verifies_fingerprints() -> None:
    enrolled = pb.Traveller()
    enrolled.CopyFrom(HOLDER)
    enrolled.biometrics.fingerprints.add(position=1, template=[1.0, 0.0, 0.2])
    application = mock_pb2.MockRecord(
        record_id="V-1", identity=enrolled, vis=s.VisApplication(status=s.VIS_STATUS_ISSUED)
    )
    same = pb.Traveller()
    same.CopyFrom(HOLDER)
    same.biometrics.fingerprints.add(position=1, template=[0.95, 0.05, 0.2])
    other = pb.Traveller()
    other.CopyFrom(HOLDER)
    other.biometrics.fingerprints.add(position=1, template=[0.0, 1.0, 0.0])
    verdicts = [
        {f.field: f.method for f in _find("vis", [application], q)[0].explanation}[
            "fingerprint_verification"
        ]
        for q in (same, other)
    ]
    assert verdicts == ["verified", "not_verified"]
    assert not _find("vis", [application], same)[0].identity.biometrics.fingerprints, (
        "templates are not sent back"
    )


def test_ees_starts_from_all_the_identity_data_not_the_document() -> None:
    file = mock_pb2.MockRecord(record_id="EES-1", identity=HOLDER, ees=s.EesFile(file_id="EES-1"))
    assert _find("ees", [file], pb.Traveller(document=pb.Document(number="AB1234567"))) == []
    for missing in ("sex", "nationality"):
        query = pb.Traveller()
        query.CopyFrom(HOLDER)
        query.ClearField(missing)
        assert _find("ees", [file], query) == [], missing


def test_etias_answers_that_no_authorisation_exists_for_a_visa_exempt_document() -> None:
    american = pb.Traveller(
        nationality="USA", document=pb.Document(number="US1234567", issuing_state="USA")
    )
    [none] = _find("etias", [], american)
    assert none.etias.status == s.ETIAS_STATUS_NONE
    hit = REGISTRY["etias"].translate(none)
    assert (hit.category, hit.action) == ("ETIAS_NONE", s.ACTION_VERIFY)
    # A visa national needs a visa, not an authorisation: ETIAS says nothing of them.
    indian = pb.Traveller(nationality="IND", document=pb.Document(number="IN1234567"))
    assert _find("etias", [], indian) == []


def test_vis_tells_whether_an_issued_visa_is_valid_today() -> None:
    def application(valid_from: str, valid_until: str) -> mock_pb2.MockRecord:
        return mock_pb2.MockRecord(
            record_id=f"V-{valid_from}",
            identity=HOLDER,
            vis=s.VisApplication(
                status=s.VIS_STATUS_ISSUED, valid_from=valid_from, valid_until=valid_until
            ),
        )

    expired, future = (
        application("2026-01-01", "2026-06-30"),
        application("2027-01-01", "2027-06-30"),
    )
    found = {m.record_id: m for m in _find("vis", [expired, future], HOLDER)}
    assert found[expired.record_id].vis.validity == s.VIS_VALIDITY_EXPIRED
    assert found[future.record_id].vis.validity == s.VIS_VALIDITY_NOT_YET_VALID
    hits = [REGISTRY["vis"].translate(m) for m in found.values()]
    assert {(h.category, h.action) for h in hits} == {
        ("VIS_VISA_EXPIRED", s.ACTION_VERIFY),
        ("VIS_VISA_NOT_YET_VALID", s.ACTION_VERIFY),
    }


def test_a_record_seeded_with_a_code_as_its_document_writes_it_is_found_by_the_eu_code() -> None:
    record = mock_pb2.MockRecord(
        record_id="EES-KOS-1",
        identity=pb.Traveller(surname="KRASNIQI", given_names=["ARBEN"], date_of_birth="1988-03-04",
                              sex=pb.SEX_MALE, nationality="RKS",
                              document=pb.Document(number="P0123456", issuing_state="RKS")),
    )  # fmt: skip
    query = pb.Traveller(surname="KRASNIQI", given_names=["ARBEN"], date_of_birth="1988-03-04",
                         sex=pb.SEX_MALE, nationality="XKX",
                         document=pb.Document(number="P0123456", issuing_state="XKX"))  # fmt: skip
    [found] = _find("ees", [record], query)
    assert found.identity.nationality == "XKX"
    assert {f.field: f.method for f in found.explanation}["nationality"] == "exact"
    assert {f.field: f.method for f in found.explanation}["document_issuing_state"] == "exact"
