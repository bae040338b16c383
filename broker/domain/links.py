"""Identity links between hits from different systems (Multiple Identity Detector rules).

White when the identity data are the same, yellow when only similar (Delegated
Regulation 2023/333 via the matching core); green and red are set by a person after
manual verification, never here. Object hits (a document without a person) link to
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

from broker.domain.traveller import explanation, identity_of
from broker.matching import Identity, Match, MatchClass, compare
from interop.v1 import border_check_pb2 as pb

Linker = Callable[[Sequence[pb.Hit]], list[pb.IdentityLink]]

_COLOUR = {MatchClass.SAME: pb.LINK_COLOUR_WHITE, MatchClass.SIMILAR: pb.LINK_COLOUR_YELLOW}


def _person(traveller: pb.Traveller) -> Identity:
    """The identity data the MID compares (names, date of birth, sex, nationality): two
    systems legitimately hold different documents of one person."""
    full = identity_of(traveller)
    return Identity(full.surname, full.given_names, full.date_of_birth, full.sex, full.nationality)


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
        colour = _COLOUR.get(match.match_class)
        if colour is None:
            continue
        links.append(
            pb.IdentityLink(
                hit_ids=[a.hit_id, b.hit_id],
                colour=colour,
                score=match.score,
                explanation=explanation(match.explanation),
            )
        )
    return links
