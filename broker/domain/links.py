"""Identity links between hits from different systems (Multiple Identity Detector rules).

Reg. (EU) 2019/817 Art. 33: a link is white when the linked data have the same biometric
data and the same or similar identity data, or the same or similar identity data and the
same travel document data (or after a manual verification, never made here). Same or
similar identity data without either is a yellow link, manual verification pending
(Art. 30), and so are the same biometric data with different identity data. "Same" and
"similar" are those of Delegated Regulation 2023/333 (the matching core). Green and red
are set by a person, never here. Object hits (a document without a person) link to
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

from broker.domain.countries import canonical_country
from broker.domain.traveller import explanation, identity_of
from broker.matching import Identity, Match, MatchClass, compare
from interop.v1 import border_check_pb2 as pb

Linker = Callable[[Sequence[pb.Hit]], list[pb.IdentityLink]]

_LINKED = frozenset({MatchClass.SAME, MatchClass.SIMILAR})
# The person is compared without documents (the travel document is compared on its own):
# these fields of that comparison would only ever say "missing".
_DOCUMENT_FIELDS = frozenset({"document_number", "visa_sticker_number"})


def _person(traveller: pb.Traveller) -> Identity:
    """The identity data the MID compares (names, date of birth, sex, nationality); the
    travel document is compared on its own."""
    full = identity_of(traveller)
    return Identity(full.surname, full.given_names, full.date_of_birth, full.sex, full.nationality)


def _document(traveller: pb.Traveller) -> tuple[str, str] | None:
    """A travel document as the MID compares it: number and issuing State, both given."""
    document = traveller.document
    state = canonical_country(document.issuing_state)
    return (document.number, state) if document.number else None


def _biometrics(hit: pb.Hit) -> frozenset[str]:
    """The query's biometrics the record matched ("face", "fingerprint[2]"): two records
    matching the same one hold the same biometric data."""
    return frozenset(f.field for f in hit.explanation if f.method == "cosine")


def _document_field(a: pb.Traveller, b: pb.Traveller) -> pb.FieldMatch:
    first, second = _document(a), _document(b)
    if first is None or second is None or not (first[1] and second[1]):
        method = "missing"
    else:
        method = "same" if first == second else "different"
    return pb.FieldMatch(
        field="travel_document",
        query_value=" ".join(first or ()),
        record_value=" ".join(second or ()),
        similarity=1.0 if method == "same" else 0.0,
        method=method,
    )


def colour(
    identity: MatchClass, same_biometrics: bool, same_document: bool
) -> pb.LinkColour.ValueType | None:
    """Art. 33 white, Art. 30 yellow, or no link."""
    if identity in _LINKED and (same_biometrics or same_document):
        return pb.LINK_COLOUR_WHITE
    if identity in _LINKED or same_biometrics:
        return pb.LINK_COLOUR_YELLOW
    return None


def link_hits(hits: Sequence[pb.Hit]) -> list[pb.IdentityLink]:
    people = [(h, _person(h.identity)) for h in hits if h.identity.surname]
    # Systems often hold one person with the very same data: compare each pair of
    # distinct identities once.
    compared: dict[tuple[Identity, Identity], Match] = {}
    links = []
    for (a, first), (b, second) in combinations(people, 2):
        if a.system == b.system:
            continue
        if (first, second) not in compared:
            compared[first, second] = compare(first, second)
        match = compared[first, second]
        document = _document_field(a.identity, b.identity)
        shared = _biometrics(a) & _biometrics(b)
        found = colour(match.match_class, bool(shared), document.method == "same")
        if found is None:
            continue
        person = [f for f in match.explanation if f.field not in _DOCUMENT_FIELDS]
        fields = [*explanation(person), document]
        fields += [
            pb.FieldMatch(field=f, similarity=1.0, method="same_biometric") for f in sorted(shared)
        ]
        links.append(
            pb.IdentityLink(
                hit_ids=[a.hit_id, b.hit_id], colour=found, score=match.score, explanation=fields
            )
        )
    return links
