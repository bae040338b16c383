"""Identity links between hits of different systems (MID colours, Reg. 2019/817 Arts. 30-33)."""

from __future__ import annotations

from broker.domain.links import link_hits
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s


def _hit(
    hit_id: str,
    system: s.System.ValueType,
    surname: str,
    document: str = "",
    issuing_state: str = "UKR",
    given: str = "JAN",
) -> pb.Hit:
    person = pb.Traveller(
        surname=surname,
        given_names=[given],
        date_of_birth="1985-03-04",
        nationality="UKR",
        document=pb.Document(number=document, issuing_state=issuing_state if document else ""),
    )
    return pb.Hit(hit_id=hit_id, system=system, identity=person)


def _fingerprint(hit: pb.Hit) -> pb.Hit:
    hit.explanation.add(field="fingerprint[2]", similarity=0.8, method="cosine")
    return hit


def _colour(a: pb.Hit, b: pb.Hit) -> pb.LinkColour.ValueType:
    [link] = link_hits([a, b])
    return link.colour


def test_same_identity_and_same_document_is_white() -> None:
    a = _hit("sis-1", s.SYSTEM_SIS, "NOWAK", "FX100200")
    b = _hit("vis-1", s.SYSTEM_VIS, "NOWAK", "FX100200")
    [link] = link_hits([a, b])
    assert (list(link.hit_ids), link.colour) == (["sis-1", "vis-1"], pb.LINK_COLOUR_WHITE)
    assert [(f.field, f.method) for f in link.explanation] == [
        ("surname", "exact"),
        ("given_names", "exact"),
        ("date_of_birth", "exact"),
        ("sex", "missing"),
        ("nationality", "exact"),
        ("travel_document", "same"),
    ], "the document once, as the same document: not also as a missing document_number"


def test_namesakes_with_different_passports_are_yellow_not_white() -> None:
    a = _hit("sis-1", s.SYSTEM_SIS, "NOWAK", "FX100200")
    b = _hit("vis-1", s.SYSTEM_VIS, "NOWAK", "FX999999")
    assert _colour(a, b) == pb.LINK_COLOUR_YELLOW


def test_same_identity_without_documents_is_yellow() -> None:
    assert _colour(_hit("sis-1", s.SYSTEM_SIS, "NOWAK"), _hit("ees-1", s.SYSTEM_EES, "NOWAK")) == (
        pb.LINK_COLOUR_YELLOW
    )


def test_a_number_of_another_state_is_another_document() -> None:
    a = _hit("sis-1", s.SYSTEM_SIS, "NOWAK", "FX100200", "UKR")
    b = _hit("ees-1", s.SYSTEM_EES, "NOWAK", "FX100200", "POL")
    assert _colour(a, b) == pb.LINK_COLOUR_YELLOW


def test_similar_identity_with_the_same_passport_is_white() -> None:
    a = _hit("sis-1", s.SYSTEM_SIS, "PETROV", "FX100200", given="IVAN")
    b = _hit("ees-1", s.SYSTEM_EES, "PETROV", "FX100200", given="IWAN")
    assert _colour(a, b) == pb.LINK_COLOUR_WHITE


def test_similar_identity_is_yellow_with_an_explanation() -> None:
    [link] = link_hits([_hit("sis-1", s.SYSTEM_SIS, "NOWAK"), _hit("vis-1", s.SYSTEM_VIS, "NOVAK")])
    assert link.colour == pb.LINK_COLOUR_YELLOW
    surname = next(f for f in link.explanation if f.field == "surname")
    assert (surname.query_value, surname.record_value) == ("NOWAK", "NOVAK")


def test_same_biometrics_with_similar_identity_is_white_with_different_identity_yellow() -> None:
    a = _fingerprint(_hit("sis-1", s.SYSTEM_SIS, "MÜLLER"))
    b = _fingerprint(_hit("eurodac-1", s.SYSTEM_EURODAC, "MULLER"))
    assert _colour(a, b) == pb.LINK_COLOUR_WHITE
    stranger = _fingerprint(_hit("eurodac-2", s.SYSTEM_EURODAC, "OKAFOR", given="ADA"))
    stranger.identity.date_of_birth = "1960-12-12"
    assert _colour(a, stranger) == pb.LINK_COLOUR_YELLOW


def test_no_links_within_a_system_to_strangers_or_to_documents() -> None:
    stranger = pb.Hit(
        hit_id="ees-1",
        system=s.SYSTEM_EES,
        identity=pb.Traveller(
            surname="OKAFOR", given_names=["ADA"], date_of_birth="1960-12-12", nationality="NGA"
        ),
    )
    document = pb.Hit(
        hit_id="sis-2",
        system=s.SYSTEM_SIS,
        identity=pb.Traveller(document=pb.Document(number="X1")),
    )
    hits = [
        _hit("sis-1", s.SYSTEM_SIS, "NOWAK"),
        _hit("sis-3", s.SYSTEM_SIS, "NOWAK"),
        stranger,
        document,
    ]
    assert link_hits(hits) == []
