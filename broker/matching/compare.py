"""Compare two identities directly: the merge step's "same person?" question.

It is asked for every pair of hits in a report, so it scores the one record
with the functions an index scores a candidate with, instead of building an
index of one: a row per name of the record (its name and aliases), every name
token weighing the same as in an index built without population weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from broker.matching.explain import Compared, Held, match
from broker.matching.identity import Identity, Match
from broker.matching.names import (
    DEFAULT_TOKEN_WEIGHT,
    GIVEN,
    SURNAME,
    NameScorer,
    NameScores,
    RecordField,
    name_field,
    uniform_weight,
)
from broker.matching.normalise import normalise_document, normalise_name, parse_date
from broker.matching.query import SEX_CODES, SEX_LETTERS, Query, prepare
from broker.matching.scoring import (
    EXACT,
    NATIONALITY_WEIGHT,
    calibrate,
    code_of,
    date_code,
    month_day,
    nationality_code,
    other_evidence,
    score_offset,
    sex_code,
    with_names,
)

# An index built without population weights gives every nationality this weight.
_NATIONALITY_WEIGHT = 1.0
_OFFSET = score_offset(0)
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
    date = date_code(query.date, record.year, record.month_day)
    nationality = nationality_code(query.nationality, record.nationality)
    document = code_of(query.document, record.document, one_off=True)
    visa = code_of(query.visa, record.visa, one_off=False)
    sex = sex_code(query.sex, record.sex)
    other = other_evidence(date, sex, _nationality_weight(nationality), document, visa, query.named)
    score, names, sex, (surname, given) = _best_name(query, record, sex, other)
    compared = Compared(names.surname, names.given, names.swapped, date, sex, nationality,
                        document, visa)  # fmt: skip
    held = Held(surname, given, record.date, record.sex_letter, record.nationality_text,
                record.document_text, record.visa_text)  # fmt: skip
    return match(0, query, held, compared, score)


def _best_name(
    query: Query, record: _Record, sex: int, other: float
) -> tuple[float, NameScores, int, tuple[str, str]]:
    """The record's best-scoring name (the first of equals): score, names, sex code, name."""
    scorer = NameScorer(query.names.readings, _uniform, _field)
    best: tuple[float, NameScores, int, tuple[str, str]] | None = None
    for surname, given in record.names:
        names, row_sex, total = with_names(
            scorer, query.names.surname_token, (SURNAME, surname), (GIVEN, given), sex, other
        )
        score = calibrate(total, _OFFSET)
        if best is None or score > best[0]:
            best = (score, names, row_sex, (surname, given))
    assert best is not None, "a record has a name row, if empty"
    return best


def _uniform(token: str) -> float:
    return DEFAULT_TOKEN_WEIGHT


@lru_cache(maxsize=1 << 14)
def _field(key: tuple[int, str]) -> RecordField:
    role, display = key
    field = name_field(display)
    return field, uniform_weight(field, role) if field else 0.0


def _nationality_weight(code: int) -> float:
    return _NATIONALITY_WEIGHT if code == EXACT else float(NATIONALITY_WEIGHT[code])


@lru_cache(maxsize=_CACHED)
def _query(identity: Identity, nationality: int) -> Query:
    return prepare(identity, nationality)


@dataclass(frozen=True, slots=True)
class _Record:
    """One identity as a one-record index holds it: its names (name, then aliases), codes,
    and the values an explanation shows."""

    names: tuple[tuple[str, str], ...]
    year: int
    month_day: int
    sex: int
    nationality: int
    document: bytes
    visa: bytes
    date: tuple[int, int, int]
    sex_letter: str
    nationality_text: str
    document_text: str
    visa_text: str


@lru_cache(maxsize=_CACHED)
def _record(identity: Identity) -> _Record:
    names = ((identity.surname, identity.given_names), *identity.aliases)
    year, month, day = parse_date(identity.date_of_birth)
    sex = SEX_CODES.get(identity.sex.upper(), 0)
    document = normalise_document(identity.document_number)
    visa = normalise_document(identity.visa_sticker_number)
    return _Record(
        names=tuple((normalise_name(s), normalise_name(" ".join(g))) for s, g in names),
        year=year,
        month_day=month_day(month, day),
        sex=sex,
        nationality=int(bool(identity.nationality)),
        document=document.encode(),
        visa=visa.encode(),
        date=(year, month, day),
        sex_letter=SEX_LETTERS[sex],
        nationality_text=identity.nationality,
        document_text=document,
        visa_text=visa,
    )


def _nationality(query: str, record: str) -> int:
    """The query's nationality code as an index of the record alone numbers it (1 the record's)."""
    if not query:
        return 0
    return 1 if record and query == record else 2
