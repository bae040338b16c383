"""Compare two identities directly: the merge step's "same person?" question."""

from __future__ import annotations

from broker.matching.identity import Identity, Match
from broker.matching.index import IdentityIndex


def compare(a: Identity, b: Identity) -> Match:
    """Score `a` against `b` with the index's own scoring, so the two never disagree.

    The result's position is 0 (b); without a population every name token gets
    the same weight. White link = SAME, yellow = SIMILAR.
    """
    index = IdentityIndex.build([b], population_weights=False)
    return index.score_all(a)[0]
