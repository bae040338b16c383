"""Identity links between hits of different systems (MID colours)."""

from __future__ import annotations

from broker.domain.links import link_hits
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s


def _hit(hit_id: str, system: s.System.ValueType, surname: str, sticker: str = "") -> pb.Hit:
    person = pb.Traveller(
        surname=surname,
        given_names=["JAN"],
        date_of_birth="1985-03-04",
        nationality="UKR",
        visa_sticker_number=sticker,
    )
    return pb.Hit(hit_id=hit_id, system=system, identity=person)


def test_same_identity_is_white_even_with_other_documents() -> None:
    a = _hit("sis-1", s.SYSTEM_SIS, "NOWAK", sticker="X1")
    b = _hit("vis-1", s.SYSTEM_VIS, "NOWAK", sticker="Y2")
    [link] = link_hits([a, b])
    assert (list(link.hit_ids), link.colour) == (["sis-1", "vis-1"], pb.LINK_COLOUR_WHITE)


def test_transliteration_variants_are_the_same_identity() -> None:
    [link] = link_hits(
        [_hit("sis-1", s.SYSTEM_SIS, "MÜLLER"), _hit("ees-1", s.SYSTEM_EES, "MULLER")]
    )
    assert link.colour == pb.LINK_COLOUR_WHITE


def test_similar_identity_is_yellow_with_an_explanation() -> None:
    [link] = link_hits([_hit("sis-1", s.SYSTEM_SIS, "NOWAK"), _hit("vis-1", s.SYSTEM_VIS, "NOVAK")])
    assert link.colour == pb.LINK_COLOUR_YELLOW
    surname = next(f for f in link.explanation if f.field == "surname")
    assert (surname.query_value, surname.record_value) == ("NOWAK", "NOVAK")


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
