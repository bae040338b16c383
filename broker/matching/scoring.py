"""Field codes and weights, and their combination into a calibrated score.

The score is a Fellegi-Sunter style sum of log-likelihood ratios, one per field,
pushed through a logistic: agreement on a rare surname is strong evidence, on
SMITH much weaker (the weight is the token's inverse frequency in the index), and
a field the query leaves empty adds nothing instead of counting as a mismatch.
Names are compared in `names`; here are the other fields, each as a code (how
it compared) and the evidence of that code.

The codes come in two forms: over arrays, for the first pass of a search over
every candidate, and for one record (`compare`, and a search with few
candidates). Both read the same tables, or are tested to agree.
"""

from __future__ import annotations

import math
from functools import cache, lru_cache
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from broker.matching.identity import MatchClass
from broker.matching.names import FIELD_WEIGHT_MIN, WEIGHT_MAX, Key, NameScorer, NameScores
from broker.matching.normalise import other_form, surname_form

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.signedinteger[Any]]

# Logistic calibration of the summed evidence into [0, 1]; see `score_offset`.
SCORE_OFFSET, SCORE_SCALE = 10.0, 1.5
PRIOR_REFERENCE, PRIOR_SLOPE = 20_000, 0.5
SIMILAR_THRESHOLD = 0.5

DATE_HOW = (
    "missing",
    "exact",
    "partial",
    "year_only",
    "day_month_swapped",
    "year_off_by_one",
    "one_digit_off",
    "near_year",
    "same_year",
    "different",
)
DATE_SIMILARITY = (0.0, 1.0, 0.9, 0.7, 0.85, 0.8, 0.6, 0.4, 0.3, 0.0)
# Agreement weighs by how much of the date is known on both sides: a year is
# about one chance in seventy, year and month one in eight hundred, the whole
# date one in twenty-five thousand. A swapped day and month or a year off by
# one are common slips, but as evidence weaker than the whole date: the same day
# a year apart is one chance in thirteen thousand. Where month or day is unknown
# on one side ("near_year") a year off weighs only a little against.
DATE_WEIGHT = np.array([0.0, 7.0, 4.5, 3.0, 4.0, 3.5, -1.0, -1.5, -8.0, -10.0])

CODE_HOW = ("missing", "exact", "document_one_char_off", "different", "gendered_surname")
# A sex conflict is rarely a slip: a brother and a sister born the same day
# (twins) must not outscore the absence of a match. A gendered surname form
# (KOWALSKA for KOWALSKI) says the same where one side leaves the sex empty.
SEX_WEIGHT = np.array([0.0, 0.5, 0.0, -9.0, -9.0])
# Agreement on nationality weighs by its share of the population (added by the index).
NATIONALITY_WEIGHT = np.array([0.0, 0.0, 0.0, -3.0])
NATIONALITY_WEIGHT_MIN, NATIONALITY_WEIGHT_MAX = 0.3, 1.5
DOCUMENT_WEIGHT = np.array([0.0, 10.0, 5.0, -0.5])
VISA_WEIGHT = np.array([0.0, 10.0, 0.0, 0.0])
CODE_SIMILARITY = (0.0, 1.0, 0.8, 0.0, 0.0)
MISSING, EXACT, ONE_OFF, DIFFERENT, OTHER_FORM = 0, 1, 2, 3, 4
# Without given names a near date cannot tell the person from a relative: a
# sibling born a year later, or on the day and month swapped, has the same
# surname and nationality. Such a date weighs this much less.
NAMELESS_NEAR_DATE_DISCOUNT = 3.0
NEAR_DATES = (DATE_HOW.index("day_month_swapped"), DATE_HOW.index("year_off_by_one"))
NAMELESS_DATE_WEIGHT = DATE_WEIGHT.copy()
NAMELESS_DATE_WEIGHT[list(NEAR_DATES)] -= NAMELESS_NEAR_DATE_DISCOUNT
# Date and sex, and document and visa, weigh together: one lookup each.
_DATE_SEX = DATE_WEIGHT[:, None] + SEX_WEIGHT[None, :]
_NAMELESS_DATE_SEX = NAMELESS_DATE_WEIGHT[:, None] + SEX_WEIGHT[None, :]
_DOCUMENTS = DOCUMENT_WEIGHT[:, None] + VISA_WEIGHT[None, :]
_OTHER_FORM_WEIGHT = float(SEX_WEIGHT[OTHER_FORM])
# The same as lists: one record reads them faster than numpy's scalars.
_DATE_SEX_ROWS: list[list[float]] = _DATE_SEX.tolist()
_NAMELESS_DATE_SEX_ROWS: list[list[float]] = _NAMELESS_DATE_SEX.tolist()
_DOCUMENT_ROWS: list[list[float]] = _DOCUMENTS.tolist()


def other_evidence(
    date: int, sex: int, nationality_weight: float, document: int, visa: int, named: bool = True
) -> float:
    """Evidence of every field but the names, from their codes; `named`: the query gives
    given names (see NAMELESS_NEAR_DATE_DISCOUNT)."""
    date_sex = _DATE_SEX_ROWS if named else _NAMELESS_DATE_SEX_ROWS
    return date_sex[date][sex] + nationality_weight + _DOCUMENT_ROWS[document][visa]


def date_sex_evidence(date: I8, sex: I8, named: bool = True) -> F64:
    """The evidence of date and sex codes, over arrays (see `other_evidence`)."""
    evidence: F64 = (_DATE_SEX if named else _NAMELESS_DATE_SEX)[date, sex]
    return evidence


@overload
def with_names(
    scorer: NameScorer[Key], surname_token: str, surname: Key, given: Key, sex: int, other: float
) -> tuple[NameScores, int, float]: ...


@overload
def with_names(
    scorer: NameScorer[Key],
    surname_token: str,
    surname: Key,
    given: Key,
    sex: int,
    other: float,
    needed: float | None,
) -> tuple[NameScores, int, float] | None: ...


def with_names(
    scorer: NameScorer[Key],
    surname_token: str,
    surname: Key,
    given: Key,
    sex: int,
    other: float,
    needed: float | None = None,
) -> tuple[NameScores, int, float] | None:
    """A record's names scored (see `NameScorer`), its sex code and its total evidence.

    KOWALSKA is KOWALSKI's sister, wife or daughter: the same family name, but
    another person unless both sides give the same sex. Where one side leaves
    the sex empty, the form of the surname (`surname_token`, the query's) says it.
    None when the total cannot reach `needed`.
    """
    names = scorer.scores(surname, given, None if needed is None else needed - other)
    if names is None:
        return None
    if sex == MISSING and not names.swapped and surname_form(surname_token)[1]:
        field = scorer.record_field(surname)
        if field is not None and other_form(surname_token, field.joined):
            sex, other = OTHER_FORM, other + _OTHER_FORM_WEIGHT
    return names, sex, names.evidence + other


def token_weight(frequency: npt.NDArray[np.int64], entries: int) -> F32:
    """Evidence of agreement on each token: the log of its inverse frequency among `entries`."""
    weight: F32 = np.log(max(entries, 1) / np.maximum(frequency, 1)).astype(np.float32)
    return weight


def field_weights(content: I32, roles: npt.NDArray[np.int8], weight: F32) -> F32:
    """`names.field_weight` of many fields: `content` (n, slots) token ids into `weight`.

    -1 pads; `roles` says which bound applies (surname or given names).
    """
    padded = np.append(weight, np.float32(0.0))
    summed = padded[content].sum(axis=-1, dtype=np.float32)
    most = np.array(WEIGHT_MAX, dtype=np.float32)[roles]
    clamped: F32 = np.clip(summed, FIELD_WEIGHT_MIN, most).astype(np.float32)
    return clamped


def date_codes(query: tuple[int, int, int], year: Ints, month: Ints, day: Ints) -> I8:
    """Index into DATE_HOW for each row.

    Unknown parts (0) never disagree but carry less evidence: a year alone
    ('year_only') says little, and a year off by one says nothing about the
    day unless both dates are complete ('near_year' otherwise). 'one_digit_off'
    needs both dates complete and exactly one digit of month or day different:
    1980-05-00 is not one digit from 1980-02-17.
    """
    qy, qm, qd = query
    n = len(year)
    if qy == 0:
        return np.zeros(n, dtype=np.int8)
    m_known = (month > 0) & (qm > 0)
    d_known = (day > 0) & (qd > 0)
    m_ok = ~m_known | (month == qm)
    d_ok = ~d_known | (day == qd)
    full = m_known & d_known
    same_year = year == qy
    one_digit_day = _one_digit_apart(day, qd)
    one_digit_month = _one_digit_apart(month, qm)
    year_off = np.abs(year - qy) == 1
    conditions = [
        year <= 0,
        same_year & full & m_ok & d_ok,
        same_year & m_known & m_ok & d_ok,
        same_year & m_ok & d_ok,
        same_year & full & (month == qd) & (day == qm),
        year_off & full & m_ok & d_ok,
        same_year & full & (((month == qm) & one_digit_day) | ((day == qd) & one_digit_month)),
        year_off & m_ok & d_ok,
        same_year,
    ]
    choices = list(range(len(conditions)))
    return np.select(conditions, choices, default=len(conditions)).astype(np.int8)


def _one_digit_apart(values: Ints, query: int) -> Bools:
    """Two-digit numbers that differ in exactly one of their two digits."""
    same_tens, same_units = values // 10 == query // 10, values % 10 == query % 10
    different: Bools = same_tens != same_units
    return different


_DAYS = 32
MONTH_DAYS = 13 * _DAYS


def month_day(month: Any, day: Any) -> Any:
    """Month and day packed into one small integer (0 = unknown part), for `date_codes_packed`."""
    return month * _DAYS + day


@cache
def _date_tables() -> I8:
    """`date_codes` of every query month and day, by year relation and packed month-day.

    Indexed [query month, query day, relation, record month-day]; relations: same
    year, off by one, further apart, unknown year. The code depends on the years
    only through that relation, so 13 * 32 * 4 * 416 codes (0.7 MB, computed
    once) cover every query and record.
    """
    year = 2000
    years = np.repeat(np.array([year, year + 1, year + 5, 0]), MONTH_DAYS)
    months = np.tile(np.repeat(np.arange(13), _DAYS), 4)
    days = np.tile(np.arange(_DAYS), 13 * 4)
    tables = [
        date_codes((year, month, day), years, months, days).reshape(4, MONTH_DAYS)
        for month in range(13)
        for day in range(_DAYS)
    ]
    return np.stack(tables).reshape(13, _DAYS, 4, MONTH_DAYS)


# The relation of each int16 year to a query year far from it: further apart (2),
# or unknown (3) for 0 and below. Indexed by the year itself: a negative one
# counts from the end, where its uint16 reading puts it.
_SIGNED_YEARS = np.arange(1 << 16).astype(np.uint16).view(np.int16)
_FAR_OR_UNKNOWN = np.where(_SIGNED_YEARS > 0, 2, 3).astype(np.int8)


@lru_cache(maxsize=512)
def _year_relation(year: int) -> I8:
    """The relation row of `_date_tables` for every record year, given the query year."""
    relation = _FAR_OR_UNKNOWN.copy()
    for near in (year - 1, year, year + 1):
        if 0 < near < 1 << 15:
            relation[near] = abs(near - year)
    return relation


def date_codes_packed(query: tuple[int, int, int], year: Ints, packed: Ints) -> I8:
    """`date_codes` by table lookup (see `month_day`): a few numpy calls instead of dozens."""
    qy, qm, qd = query
    if qy == 0:
        return np.zeros(len(year), dtype=np.int8)
    relation = _year_relation(qy)[year]
    codes: I8 = _date_tables()[qm, qd][relation, packed]
    return codes


def date_code(query: tuple[int, int, int], year: int, packed: int) -> int:
    """`date_codes_packed` of one record."""
    qy, qm, qd = query
    if qy == 0:
        return MISSING
    # As a year held in 16 bits reads (see `_FAR_OR_UNKNOWN`).
    return _date_rows(qm, qd)[int(_year_relation(qy)[year & 0xFFFF])][packed]


@lru_cache(maxsize=512)
def _date_rows(month: int, day: int) -> list[list[int]]:
    """`_date_tables` of one query month and day, as lists."""
    rows: list[list[int]] = _date_tables()[month, day].tolist()
    return rows


def document_evidence_bound(query: bytes, values: npt.NDArray[np.bytes_]) -> F64:
    """At least the evidence of `code_of(query, value, one_off=True)` for every value.

    Over arrays, for a first pass over many candidates: a value that differs
    from the query in one position (of its padded width) may be one character
    off, whatever its length.
    """
    width = values.dtype.itemsize
    padded = np.frombuffer(query.ljust(width, b"\0")[:width], dtype=np.uint8)
    differing = (values.view(np.uint8).reshape(len(values), width) != padded).sum(axis=1)
    most = np.where(differing == 1, DOCUMENT_WEIGHT[ONE_OFF], DOCUMENT_WEIGHT[DIFFERENT])
    most[values == query] = DOCUMENT_WEIGHT[EXACT]
    most[values == b""] = DOCUMENT_WEIGHT[MISSING]
    bound: F64 = most
    return bound


def code_of(query: bytes, value: bytes, one_off: bool) -> int:
    """Exact / one character off (if `one_off`) / different / missing for document-like codes."""
    if not query or not value:
        return MISSING
    if value == query:
        return EXACT
    if one_off and len(value) == len(query):
        if sum(a != b for a, b in zip(value, query, strict=True)) == 1:
            return ONE_OFF
    return DIFFERENT


# [query, record] for sex codes 1 M, 2 F, 3 X, 0 unknown: only M and F disagree.
_SEX_CODES = np.array(
    [
        [MISSING, MISSING, MISSING, MISSING],
        [MISSING, EXACT, DIFFERENT, MISSING],
        [MISSING, DIFFERENT, EXACT, MISSING],
        [MISSING, MISSING, MISSING, MISSING],
    ],
    dtype=np.int8,
)


def sex_codes(query: int, values: Ints) -> I8:
    """Sex codes: 1 M, 2 F, 3 X, 0 unknown; only M/F disagree."""
    codes: I8 = _SEX_CODES[query if 0 <= query < 4 else 0][values]
    return codes


_SEX_ROWS: list[list[int]] = _SEX_CODES.tolist()


def sex_code(query: int, value: int) -> int:
    """`sex_codes` of one record."""
    return _SEX_ROWS[query if 0 <= query < 4 else 0][value]


def nationality_code(query: int, value: int) -> int:
    """Nationalities as numbers (0 unknown): exact, different or missing."""
    if query <= 0 or value <= 0:
        return MISSING
    return EXACT if value == query else DIFFERENT


def score_offset(population: int) -> float:
    """The evidence at which a record is as likely the person as not, among `population` entries.

    The more people an index holds, the less likely any one of them is the
    person asked about: at a million, a surname and a year of birth (or the
    same day a year off) must not make a match. The name weights grow with the
    population too (inverse frequency) but are clamped, so the offset grows by
    half the log of the size past PRIOR_REFERENCE entries; two identities
    compared directly (no population, 0) use SCORE_OFFSET.
    """
    return SCORE_OFFSET + PRIOR_SLOPE * math.log(max(population, PRIOR_REFERENCE) / PRIOR_REFERENCE)


def calibrate(total: float, offset: float) -> float:
    """Summed evidence -> score in [0, 1], given the index's `score_offset`."""
    return 1.0 / (1.0 + math.exp((offset - total) / SCORE_SCALE))


def required_evidence(min_score: float, offset: float) -> float | None:
    """The summed evidence below which a row cannot reach `min_score` (None: no bound)."""
    if not 0.0 < min_score < 1.0:
        return None
    logit = math.log(min_score / (1.0 - min_score))
    return offset + SCORE_SCALE * logit - 1e-3


def classify(score: float, all_same: bool) -> MatchClass:
    """SAME needs every compared field identical (after ICAO transliteration)."""
    if score < SIMILAR_THRESHOLD:
        return MatchClass.DIFFERENT
    return MatchClass.SAME if all_same else MatchClass.SIMILAR
