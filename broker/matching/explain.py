"""A match and its explanation, field by field, from what scoring found for one record."""

from __future__ import annotations

from dataclasses import dataclass

from broker.matching.identity import FieldMatch, Match
from broker.matching.normalise import PARTICLES, fold, skeleton
from broker.matching.query import SEX_LETTERS, Query
from broker.matching.scoring import CODE_HOW, CODE_SIMILARITY, DATE_HOW, DATE_SIMILARITY, classify
from broker.matching.similarity import TOKEN_FLOOR, icao_key, is_vowelless


@dataclass(frozen=True, slots=True)
class Held:
    """The record's values as an explanation shows them (names of the entry that matched)."""

    surname: str
    given: str
    date: tuple[int, int, int]
    sex: str
    nationality: str
    document: str
    visa: str


@dataclass(frozen=True, slots=True)
class Compared:
    """How the record's entry compared: name similarities and the code of every other field."""

    surname: float
    given: float
    swapped: bool
    date: int
    sex: int
    nationality: int
    document: int
    visa: int


def match(position: int, query: Query, held: Held, compared: Compared, score: float) -> Match:
    """The match with its explanation and class (Delegated Regulation 2023/333)."""
    surname, given = held.surname, held.given
    if compared.swapped:
        surname, given = given, surname
    explanation = (
        _name_field("surname", query.surname_raw, query.names.surname_readings, surname,
                    compared.surname, compared.swapped),
        _name_field("given_names", query.given_raw, query.names.given_readings, given,
                    compared.given, compared.swapped),
        _date_field(query.date_text, held.date, compared.date),
        _code_field("sex", SEX_LETTERS[query.sex], held.sex, compared.sex),
        _code_field("nationality", query.nationality_text, held.nationality,
                    compared.nationality),
        _code_field("document_number", query.document.decode(), held.document,
                    compared.document),
        _code_field("visa_sticker_number", query.visa.decode(), held.visa, compared.visa),
    )  # fmt: skip
    return Match(position, score, classify(score, _all_same(explanation)), explanation)


def _name_field(
    field: str, raw: str, query: tuple[str, ...], record: str, similarity: float, swapped: bool
) -> FieldMatch:
    if not query[0] or not record:
        return FieldMatch(field, raw, record, 0.0, "missing")
    if swapped:
        how = "swapped"
    elif query[0] == record and " ".join(raw.upper().split()) == record:
        how = "exact"
    elif any(_same_spelling(reading, record) for reading in query):
        how = "transliteration"
    elif similarity >= TOKEN_FLOOR:
        how = "jaro_winkler"
    else:
        how = "different"
    return FieldMatch(field, raw, record, round(similarity, 4), how)


def _same_spelling(reading: str, record: str) -> bool:
    """One name in two spellings: the ICAO forms, folds or (without vowels) skeletons agree."""
    q, r = reading.replace(" ", ""), record.replace(" ", "")
    if q == r or icao_key(q) == icao_key(r) or fold(q) == fold(r):
        return True
    bare = "".join(w for w in reading.split() if w not in PARTICLES)
    return is_vowelless(bare) and skeleton(bare) == skeleton(r)


def _date_field(query: str, held: tuple[int, int, int], code: int) -> FieldMatch:
    y, m, d = held
    value = f"{y:04d}-{m:02d}-{d:02d}" if y else ""
    how = DATE_HOW[code] if query and value else "missing"
    return FieldMatch("date_of_birth", query, value, DATE_SIMILARITY[code], how)


def _code_field(field: str, query: str, record: str, code: int) -> FieldMatch:
    return FieldMatch(field, query, record, CODE_SIMILARITY[code], CODE_HOW[code])


_SAME_NAME = frozenset({"exact", "transliteration"})


def _all_same(explanation: tuple[FieldMatch, ...]) -> bool:
    """Names and date of birth identical (after transliteration), nothing contradicting."""
    # Fields in the order `match` gives them: names, date, then the codes.
    surname, given, date = explanation[:3]
    if not all(f.how in _SAME_NAME and f.similarity >= 0.999 for f in (surname, given)):
        return False
    date_same = date.how == "exact" or (
        date.how != "missing" and date.query_value == date.record_value
    )
    return date_same and all(
        f.how != "different" for f in explanation if f.field != "document_number"
    )
