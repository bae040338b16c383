"""How alike two name tokens are: Jaro-Winkler over their spellings, short names by edits.

A token is compared as written, in ICAO form (see `icao_key`), folded (see
`normalise.fold`), and, where the query token came from a script written
without short vowels, as a consonant skeleton: MHMD must meet MUHAMMAD, but
MARIA must not meet MORA.

`token_similarity` scores one pair, as scoring counts it, and keeps it;
`similarity_table` scores every pair of two lists in a few numpy calls, to the
same value (rapidfuzz computes one pair or many alike), for a search with many
record tokens and for the vocabulary's search for similar words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.process import cdist

from broker.matching.normalise import fold, skeleton

F64 = npt.NDArray[np.float64]

# Token pairs below this Jaro-Winkler similarity count as unrelated (0). Similarities
# are kept to float32 precision first: Jaro's sums give 0.7999999999999999 for a pair
# that is 4/5 alike.
TOKEN_FLOOR = 0.8
# A match found only through `fold` (a scheme-level respelling) is not identical.
FOLD_DISCOUNT = 0.97
# Agreement of consonant skeletons only: two names may differ in every vowel.
SKELETON_DISCOUNT = 0.92
# Short names by edit distance: Jaro-Winkler falls below the floor after two
# slips in a name of five letters (ROSS typed RSOE), where the pair should only
# be doubtful. One edit scores as a typo; two score just below the floor, so
# that they weigh a little against instead of as a full disagreement. A slip
# may add letters: the query's token may be two longer.
SHORT_LENGTH = 5
_SLIPPED_LENGTH = SHORT_LENGTH + 2
ONE_EDIT, TWO_EDITS = 0.9, 0.78
_BY_EDITS = (0.0, ONE_EDIT, TWO_EDITS, 0.0)
# A two-letter token against a longer one, one edit or two apart: doubtful at most.
_BY_EDITS_TWO_LETTERS = (0.0, TWO_EDITS, TWO_EDITS, 0.0)
_PAIRS_KEPT = 1 << 17


def icao_key(token: str) -> str:
    """Equate the two ICAO forms of national characters (MUELLER == MULLER)."""
    return token.replace("AE", "A").replace("OE", "O").replace("UE", "U").replace("AA", "A")


def is_vowelless(token: str) -> bool:
    """A token as Arabic or Persian script gives it (MHMD), compared by its skeleton."""
    return bool(token) and not any(v in token for v in "AEIOU")


# Token pairs scored so far: a search compares a few dozen, mostly the same
# from one query to the next. Dropped whole when full: a plain dict is cheaper
# to read than an LRU, and filling it again costs a few queries.
_pairs: dict[tuple[str, str], float] = {}


def token_similarity(query: str, record: str) -> float:
    """Similarity in [0, 1] of a query token with a record token, as scoring counts it.

    The best of the spellings (discounted for folds and skeletons), 0 below
    TOKEN_FLOOR; a short query token also scores by its edits (see `short_edits`).
    """
    pair = (query, record)
    found = _pairs.get(pair)
    if found is None:
        found = _similarity(spell_one(query, True), spell_one(record))
        if len(_pairs) >= _PAIRS_KEPT:
            _pairs.clear()
        _pairs[pair] = found
    return found


def keep_table(queries: Sequence[str], records: Sequence[str], table: F64) -> None:
    """Keep the pairs of a `similarity_table` for `token_similarity`."""
    if len(_pairs) + table.size > _PAIRS_KEPT:
        _pairs.clear()
    for query, row in zip(queries, table.tolist(), strict=True):
        _pairs.update(zip(((query, r) for r in records), row, strict=True))


class _Spelled(NamedTuple):
    """One token's compared forms (see `Spellings`); a skeleton only for a query token
    without vowels (a record token's is read when such a query meets it)."""

    plain: str
    icao: str
    folded: str
    skeleton: str


@lru_cache(maxsize=_PAIRS_KEPT)
def spell_one(token: str, query: bool = False) -> _Spelled:
    bare = skeleton(token) if query and is_vowelless(token) else ""
    return _Spelled(token, icao_key(token), fold(token), bare)


def _similarity(query: _Spelled, record: _Spelled) -> float:
    if query.plain == record.plain:
        return 1.0
    similarity = max(
        JaroWinkler.similarity(query.icao, record.icao),
        JaroWinkler.similarity(query.folded, record.folded) * FOLD_DISCOUNT,
    )
    # The ICAO form of a slip can be another word (MAREK typed MAEK reads MAK).
    if query.plain != query.icao or record.plain != record.icao:
        similarity = max(similarity, JaroWinkler.similarity(query.plain, record.plain))
    if query.skeleton:
        similarity = max(
            similarity,
            JaroWinkler.similarity(query.skeleton, skeleton(record.plain)) * SKELETON_DISCOUNT,
        )
    similarity = float(np.float32(similarity))
    if similarity < TOKEN_FLOOR:
        similarity = 0.0
    if len(query.plain) <= _SLIPPED_LENGTH:
        similarity = max(similarity, short_edits(query.plain, record.plain))
    return similarity


def short_edits(query: str, record: str) -> float:
    """ONE_EDIT or TWO_EDITS for a short record token that far (OSA distance), else 0.

    Jaro only matches letters within half the length of each other, so in a
    short name two swapped letters (WEN / WNE) already fall below the floor.
    Two letters are too few to tell a slip from another name (LI and LU are
    two names), but a slip in one is likelier than a two-letter name: XDU for
    XU, RH for RUTH weigh a little against, not as another name.
    """
    shorter, longer = sorted((len(query), len(record)))
    if len(record) > SHORT_LENGTH or shorter < 2 or longer < 3:
        return 0.0
    graded = _BY_EDITS if shorter >= 3 else _BY_EDITS_TWO_LETTERS
    return graded[min(OSA.distance(query, record), 3)]


@dataclass(frozen=True, slots=True)
class Spellings:
    """Tokens in the forms that are compared: as written, ICAO, folded, skeleton.

    A query token's skeleton is empty unless it has no vowels (see `is_vowelless`).
    """

    plain: Sequence[str]
    icao: Sequence[str]
    folded: Sequence[str]
    skeleton: Sequence[str]


def spell(tokens: Sequence[str], query: bool) -> Spellings:
    """The compared forms of tokens; a query's skeletons only for tokens without vowels."""
    spelled = [spell_one(t, query) for t in tokens]
    return Spellings(
        [s.plain for s in spelled],
        [s.icao for s in spelled],
        [s.folded for s in spelled],
        [s.skeleton for s in spelled] if query else [skeleton(t) for t in tokens],
    )


def similarity_table(queries: Spellings, choices: Spellings, edits: bool = True) -> F64:
    """`token_similarity` of every query token with every choice (without `edits`: no
    short-name edits, as the vocabulary proposes similar words)."""
    sims = np.maximum(
        _jaro_winkler(queries.icao, choices.icao),
        _jaro_winkler(queries.folded, choices.folded) * FOLD_DISCOUNT,
    )
    # Where neither token of a pair has another ICAO form, as written is the same pair.
    if queries.plain != queries.icao or choices.plain != choices.icao:
        np.maximum(sims, _jaro_winkler(queries.plain, choices.plain), out=sims)
    vowelless = [i for i, s in enumerate(queries.skeleton) if s]
    if vowelless and len(choices.skeleton):
        few = [queries.skeleton[i] for i in vowelless]
        skeletons = _jaro_winkler(few, choices.skeleton) * SKELETON_DISCOUNT
        sims[vowelless] = np.maximum(sims[vowelless], skeletons)
    sims = sims.astype(np.float32).astype(np.float64)
    sims[sims < TOKEN_FLOOR] = 0.0
    short = [i for i, q in enumerate(queries.plain) if len(q) <= _SLIPPED_LENGTH]
    if edits and short and len(choices.plain):
        sims[short] = np.maximum(sims[short], _short_edits([queries.plain[i] for i in short],
                                                           choices.plain))  # fmt: skip
    return sims


def _short_edits(queries: Sequence[str], choices: Sequence[str]) -> F64:
    """`short_edits` of every pair."""
    edits = cdist(queries, choices, scorer=OSA.distance, dtype=np.int32, workers=1)
    query_length = np.fromiter(map(len, queries), np.int32, len(queries))[:, None]
    choice_length = np.fromiter(map(len, choices), np.int32, len(choices))[None, :]
    shorter = np.minimum(query_length, choice_length)
    longer = np.maximum(query_length, choice_length)
    short = (choice_length <= SHORT_LENGTH) & (shorter >= 2) & (longer >= 3)
    tables = np.array([_BY_EDITS_TWO_LETTERS, _BY_EDITS])
    graded: F64 = tables[(shorter >= 3).astype(np.int8), np.where(short, np.minimum(edits, 3), 0)]
    return graded


def _jaro_winkler(queries: Sequence[str], choices: Sequence[str]) -> F64:
    sims: F64 = cdist(queries, choices, scorer=JaroWinkler.similarity, dtype=np.float64, workers=1)
    return sims
