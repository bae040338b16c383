"""Compare two identities directly: the merge step's "same person?" question.

It is asked for every pair of hits in a report, so it scores the one record
directly instead of building an index of one: the field functions, weights and
explanation of `IdentityIndex`, on arrays of one row per name of the record
(its name and aliases), with every name token weighing the same as in an index
built without population weights.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from broker.matching.explain import Compared, Held, match
from broker.matching.identity import Identity, Match
from broker.matching.normalise import (
    name_tokens,
    normalise_document,
    normalise_name,
    other_form,
    parse_date,
)
from broker.matching.query import CONTENT_SLOTS, SEX_CODES, SEX_LETTERS, Query, prepare
from broker.matching.scoring import (
    DATE_WEIGHT,
    DEFAULT_TOKEN_WEIGHT,
    DOCUMENT_WEIGHT,
    EXACT,
    F32,
    I8,
    I32,
    MISSING,
    NATIONALITY_WEIGHT,
    SEX_WEIGHT,
    VISA_WEIGHT,
    NameScores,
    Spellings,
    calibrate,
    code_compare,
    date_codes_packed,
    month_day,
    name_scores,
    nationality_codes,
    score_offset,
    sex_codes,
    token_similarity,
    uniform_weight,
    with_surname_forms,
)
from broker.matching.vocabulary import spell_record

# An index built without population weights gives every nationality this weight.
_NATIONALITY_WEIGHT = 1.0


# A report links the hits of a few identities pairwise, and the next report on the
# same traveller often links the same hits: identities and pairs are kept.
_CACHED = 4096


@lru_cache(maxsize=_CACHED)
def compare(a: Identity, b: Identity) -> Match:
    """Score `a` against `b` as an index of `b` alone, built without population weights, does.

    The result's position is 0 (b). White link = SAME, yellow = SIMILAR.
    """
    query = _query(a, _nationality(a.nationality.upper(), b.nationality))
    record = _record(b)
    names = _names(query, record)
    codes = _codes(query, record)
    undecided = (codes.sex == MISSING) & ~names.swapped
    forms = [other_form(query.surname_token, s) for s in record.surname_tokens]
    sex, other = with_surname_forms(np.flatnonzero(undecided & np.array(forms)), codes.sex,
                                    codes.evidence)  # fmt: skip
    score = calibrate(names.evidence + other, score_offset(0))
    best = int(np.argmax(score))
    held = replace(record.held, surname=record.displays[best][0], given=record.displays[best][1])
    compared = Compared(
        surname=float(names.surname[best]),
        given=float(names.given[best]),
        swapped=bool(names.swapped[best]),
        date=int(codes.date[best]),
        sex=int(sex[best]),
        nationality=int(codes.nationality[best]),
        document=int(codes.document[best]),
        visa=int(codes.visa[best]),
    )
    return match(0, query, held, compared, float(score[best]))


def _names(query: Query, record: _Record) -> NameScores:
    """The record's names (one row per name) against the query's, every token weighing the same."""
    table = np.zeros((len(record.tokens) + 1, len(query.tokens) + 1), dtype=np.float32)
    if record.tokens and query.tokens:
        table[:-1, :-1] = token_similarity(query.spellings, record.spellings).T
    uniform = np.full(len(query.tokens), DEFAULT_TOKEN_WEIGHT, dtype=np.float32)
    return name_scores(
        query.names, table, record.joined, record.content, record.words, record.weight, uniform
    )


@dataclass(frozen=True, slots=True)
class _Codes:
    """The code of every field but the names, per row, and their evidence summed."""

    date: I8
    sex: I8
    nationality: I8
    document: I8
    visa: I8
    evidence: F32


def _codes(query: Query, record: _Record) -> _Codes:
    date = date_codes_packed(query.date, record.year, record.month_day)
    sex = sex_codes(query.sex, record.sex)
    nationality = nationality_codes(query.nationality, record.nationality)
    document = code_compare(query.document, record.document, one_off=True)
    visa = code_compare(query.visa, record.visa, one_off=False)
    nationality_weight = np.where(
        nationality == EXACT, np.float32(_NATIONALITY_WEIGHT), NATIONALITY_WEIGHT[nationality]
    )
    evidence: F32 = (
        DATE_WEIGHT[date]
        + SEX_WEIGHT[sex]
        + nationality_weight
        + DOCUMENT_WEIGHT[document]
        + VISA_WEIGHT[visa]
    )
    return _Codes(date, sex, nationality, document, visa, evidence)


@lru_cache(maxsize=_CACHED)
def _query(identity: Identity, nationality: int) -> Query:
    return prepare(identity, nationality)


@dataclass(frozen=True, slots=True)
class _Record:
    """One identity as the columns of a one-record index: a row per name (name, then aliases)."""

    displays: list[tuple[str, str]]
    surname_tokens: list[str]
    tokens: list[str]
    spellings: Spellings
    joined: I32
    content: I32
    words: npt.NDArray[np.int8]
    weight: F32
    year: npt.NDArray[np.int16]
    month_day: npt.NDArray[np.int16]
    sex: I8
    nationality: npt.NDArray[np.int16]
    document: npt.NDArray[np.bytes_]
    visa: npt.NDArray[np.bytes_]
    held: Held


@lru_cache(maxsize=_CACHED)
def _record(identity: Identity) -> _Record:
    names = [(identity.surname, identity.given_names), *identity.aliases]
    displays = [(normalise_name(s), normalise_name(" ".join(g))) for s, g in names]
    tokens, joined, content = _columns(displays)
    rows = len(displays)
    year, month, day = parse_date(identity.date_of_birth)
    sex = SEX_CODES.get(identity.sex.upper(), 0)
    document = normalise_document(identity.document_number)
    visa = normalise_document(identity.visa_sticker_number)
    return _Record(
        displays=displays,
        surname_tokens=[s.replace(" ", "") for s, _ in displays],
        tokens=tokens,
        spellings=spell_record(tokens),
        joined=joined,
        content=content,
        words=np.maximum((content >= 0).sum(axis=2), 1).astype(np.int8),
        weight=uniform_weight(content),
        year=np.full(rows, year, dtype=np.int16),
        month_day=np.repeat(month_day(np.array([month]), np.array([day])), rows),
        sex=np.full(rows, sex, dtype=np.int8),
        nationality=np.full(rows, int(bool(identity.nationality)), dtype=np.int16),
        document=np.array([document.encode()] * rows, dtype=np.bytes_),
        visa=np.array([visa.encode()] * rows, dtype=np.bytes_),
        held=Held("", "", (year, month, day), SEX_LETTERS[sex], identity.nationality, document,
                  visa),
    )  # fmt: skip


def _nationality(query: str, record: str) -> int:
    """The query's nationality code as an index of the record alone numbers it (1 the record's)."""
    if not query:
        return 0
    return 1 if record and query == record else 2


def _columns(displays: list[tuple[str, str]]) -> tuple[list[str], I32, I32]:
    """The record's distinct tokens, and each name's joined and content tokens (-1 pads)."""
    tokens: list[str] = []
    joined = np.full((len(displays), 2), -1, dtype=np.int32)
    content = np.full((len(displays), 2, CONTENT_SLOTS), -1, dtype=np.int32)
    for row, fields in enumerate(displays):
        for field, display in enumerate(fields):
            parts = name_tokens(display)
            if not parts:
                continue
            ids = [_token_id(tokens, t) for t in parts[: 1 + CONTENT_SLOTS]]
            joined[row, field] = ids[0]
            words = ids[1:] or ids[:1]
            content[row, field, : len(words)] = words
    return tokens, joined, content


def _token_id(tokens: list[str], token: str) -> int:
    if token not in tokens:
        tokens.append(token)
    return tokens.index(token)
