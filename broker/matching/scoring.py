"""Vectorised field similarities and their combination into a calibrated score.

Every function here takes one query and *arrays* of candidate values, so the same
code scores one pair (`compare`) and a thousand candidates (`IdentityIndex`).

The score is a Fellegi-Sunter style sum of log-likelihood ratios, one per field,
pushed through a logistic: agreement on a rare surname is strong evidence, on
SMITH much weaker (the weight is the token's inverse frequency in the index), and
a field the query leaves empty adds nothing instead of counting as a mismatch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.process import cdist

from broker.matching.identity import MatchClass

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.signedinteger[Any]]

# Token pairs below this Jaro-Winkler similarity count as unrelated (0).
TOKEN_FLOOR = 0.8
# A match found only through `fold` (a scheme-level respelling) is not identical.
FOLD_DISCOUNT = 0.97
# Short names by edit distance: Jaro-Winkler falls below the floor after two
# slips in a name of five letters (ROSS typed RSOE), where the pair should only
# be doubtful. One edit scores as a typo; two score just below the floor, so
# that they weigh a little against instead of as a full disagreement.
SHORT_LENGTH = 5
ONE_EDIT, TWO_EDITS = 0.9, 0.78
_BY_EDITS = np.array([0.0, ONE_EDIT, TWO_EDITS, 0.0], dtype=np.float32)
# Names: similarity -> agreement level in [0, 1], full agreement from 0.98; the
# square root keeps a typo (0.85-0.9) much closer to agreement than to conflict.
_AGREE_FROM, _AGREE_SPAN = 0.72, 0.26
NAME_DISAGREE = -8.0
SWAP_PENALTY = 1.0
SURNAME_WEIGHT_MAX, GIVEN_WEIGHT_MAX = 8.0, 6.0
FIELD_WEIGHT_MIN = 2.0
DEFAULT_TOKEN_WEIGHT = 5.0
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
DATE_SIMILARITY = np.array([0.0, 1.0, 0.9, 0.7, 0.85, 0.8, 0.6, 0.4, 0.3, 0.0], dtype=np.float32)
# Agreement weighs by how much of the date is known on both sides: a year is
# about one chance in seventy, year and month one in eight hundred, the whole
# date one in twenty-five thousand. A swapped day and month or a year off by
# one are common slips, but as evidence weaker than the whole date: the same day
# a year apart is one chance in thirteen thousand. Where month or day is unknown
# on one side ("near_year") a year off weighs only a little against.
DATE_WEIGHT = np.array([0.0, 7.0, 4.5, 3.0, 4.0, 3.5, -1.0, -1.5, -8.0, -10.0], dtype=np.float32)

CODE_HOW = ("missing", "exact", "document_one_char_off", "different", "gendered_surname")
# A sex conflict is rarely a slip: a brother and a sister born the same day
# (twins) must not outscore the absence of a match. A gendered surname form
# (KOWALSKA for KOWALSKI) says the same where one side leaves the sex empty.
SEX_WEIGHT = np.array([0.0, 0.5, 0.0, -9.0, -9.0], dtype=np.float32)
# Agreement on nationality weighs by its share of the population (added by the index).
NATIONALITY_WEIGHT = np.array([0.0, 0.0, 0.0, -3.0], dtype=np.float32)
NATIONALITY_WEIGHT_MIN, NATIONALITY_WEIGHT_MAX = 0.3, 1.5
DOCUMENT_WEIGHT = np.array([0.0, 10.0, 5.0, -0.5], dtype=np.float32)
VISA_WEIGHT = np.array([0.0, 10.0, 0.0, 0.0], dtype=np.float32)
CODE_SIMILARITY = np.array([0.0, 1.0, 0.8, 0.0, 0.0], dtype=np.float32)
MISSING, EXACT, ONE_OFF, DIFFERENT, OTHER_FORM = 0, 1, 2, 3, 4


@dataclass(frozen=True, slots=True)
class Spellings:
    """Tokens in the forms that are compared.

    As written, in ICAO form (see `icao_key`), folded, and as a consonant
    skeleton (see `skeleton`). A query token's skeleton is empty unless the
    token came from a script written without short vowels: only then are
    skeletons compared, since MHMD must meet MUHAMMAD but MARIA must not meet MORA.
    """

    plain: Sequence[str]
    icao: Sequence[str]
    folded: Sequence[str]
    skeleton: Sequence[str]


# Agreement of consonant skeletons only: two names may differ in every vowel.
SKELETON_DISCOUNT = 0.92


def token_similarity(queries: Spellings, choices: Spellings) -> F32:
    """Similarity of every query token with every choice, as scoring counts it.

    `spelling_similarity`, and for short tokens their edit distance (see `short_edits`).
    """
    sims = spelling_similarity(queries, choices)
    short = [i for i, q in enumerate(queries.plain) if len(q) <= SHORT_LENGTH]
    if short and len(choices.plain):
        # As written: the ICAO form of a slip can be a different word (HIUAE reads HIUA).
        sims[short] = np.maximum(sims[short], short_edits([queries.plain[i] for i in short],
                                                          choices.plain))  # fmt: skip
    return sims


def spelling_similarity(queries: Spellings, choices: Spellings) -> F32:
    """Jaro-Winkler of every query token with every choice; floored at TOKEN_FLOOR.

    Tokens as written or in ICAO form, or their folds and skeletons
    (discounted). The ICAO form equates MUELLER and MULLER (see `icao_key`),
    but a slip can make a pair it rewrites (MAREK typed MAEK reads MAK): the
    spelling as written then still counts, which costs a third comparison only
    when some token has such a pair. The vocabulary proposes similar words by
    this alone: a short name one edit from the query's is found through the
    query's other names and its date, and scored as a typo then.
    """
    sims: F32 = np.maximum(
        _jaro_winkler(queries.icao, choices.icao),
        _jaro_winkler(queries.folded, choices.folded) * np.float32(FOLD_DISCOUNT),
    )
    if queries.plain != queries.icao or choices.plain != choices.icao:
        np.maximum(sims, _jaro_winkler(queries.plain, choices.plain), out=sims)
    vowelless = [i for i, s in enumerate(queries.skeleton) if s]
    if vowelless and len(choices.skeleton):
        few = [queries.skeleton[i] for i in vowelless]
        skeletons = _jaro_winkler(few, choices.skeleton) * np.float32(SKELETON_DISCOUNT)
        sims[vowelless] = np.maximum(sims[vowelless], skeletons)
    sims[sims < TOKEN_FLOOR] = 0.0
    return sims


def short_edits(queries: Sequence[str], choices: Sequence[str]) -> F32:
    """ONE_EDIT or TWO_EDITS for pairs of short tokens that far apart (OSA distance), else 0.

    Jaro only matches letters within half the length of each other, so in a
    short name two swapped letters (WEN / WNE) already fall below the floor.
    Both tokens need three letters: LI and LU are two names, ROSS and RSOE may be one.
    """
    edits = cdist(queries, choices, scorer=OSA.distance, dtype=np.int32, workers=1)
    query_length = np.fromiter(map(len, queries), np.int32, len(queries))[:, None]
    choice_length = np.fromiter(map(len, choices), np.int32, len(choices))[None, :]
    short = (choice_length <= SHORT_LENGTH) & (np.minimum(query_length, choice_length) >= 3)
    graded: F32 = _BY_EDITS[np.where(short, np.minimum(edits, 3), 0)]
    return graded


def _jaro_winkler(queries: Sequence[str], choices: Sequence[str]) -> F32:
    sims: F32 = cdist(queries, choices, scorer=JaroWinkler.similarity, dtype=np.float32, workers=1)
    return sims


@dataclass(frozen=True, slots=True)
class QueryNames:
    """The query's surname (row 0) and given names (row 1) as columns of a token table.

    `joined` is the whole name without spaces, `content` its words (the joined
    form again for a one-word name); -1, the table's last column (all zeros),
    pads missing words and a missing field. `words` counts the words (at least 1).
    """

    joined: I32
    content: I32
    words: F32
    present: Bools


def name_similarity(
    query: QueryNames, joined: I32, content: I32, words: npt.NDArray[np.int8], table: F32
) -> F32:
    """Similarity in [0, 1] of each record name field with each query name field.

    `joined` (n, 2) and `content` (n, 2, slots) are the rows' surname and given
    names as rows of `table`, whose entry [row, column] is the similarity of a
    record token with a query token; -1 pads, and the last row and column are
    zeros, so a missing field scores 0. `words` (n, 2) counts the content words
    (at least 1). The result is [row, record field, query field]: both fields of
    the record against both of the query at once, so straight and crossed
    (swapped) names cost one pass, a dozen numpy calls in all. A name that is a
    subset of the other ("ANNA" vs "ANNA MARIA") scores high but below 1.
    """
    same_joined = table[:, query.joined][joined]
    pairs = table[:, query.content][content]
    forward = pairs.max(axis=2).sum(axis=3) / query.words
    backward = pairs.max(axis=4).sum(axis=2) / words[:, :, None]
    tokens = 0.9 * np.maximum(forward, backward) + 0.1 * np.minimum(forward, backward)
    result: F32 = np.maximum(same_joined, tokens)
    return result


@dataclass(frozen=True, slots=True)
class NameScores:
    """Per entry: evidence of both name fields, their similarities, and whether swapped."""

    evidence: F32
    surname: F32
    given: F32
    swapped: Bools

    def or_better(self, other: NameScores) -> NameScores:
        """Per entry, these scores or `other`'s where it has more evidence."""
        better = other.evidence > self.evidence
        return NameScores(
            evidence=np.where(better, other.evidence, self.evidence),
            surname=np.where(better, other.surname, self.surname),
            given=np.where(better, other.given, self.given),
            swapped=np.where(better, other.swapped, self.swapped),
        )


def name_scores(
    readings: Sequence[QueryNames],
    table: F32,
    joined: I32,
    content: I32,
    words: npt.NDArray[np.int8],
    weight: F32,
    token_weight: F32,
) -> NameScores:
    """Names of entries against the query's best reading for each (see `name_similarity`).

    `weight` (n, 2) is the evidence of full agreement on each field of each
    entry, `token_weight` that of each query token. Agreement counts what the
    two names share: ANNA MARIA found for ANNA weighs as ANNA, not as both.
    """
    scores = [
        _reading_scores(r, table, joined, content, words,
                        np.minimum(weight[:, :, None], field_weight(r.content, token_weight)))
        for r in readings
    ]  # fmt: skip
    best = scores[0]
    for other in scores[1:]:
        best = best.or_better(other)
    return best


def _reading_scores(
    names: QueryNames, table: F32, joined: I32, content: I32, words: npt.NDArray[np.int8],
    weight: F32,
) -> NameScores:  # fmt: skip
    """Surname and given names compared straight and crossed (swapped fields).

    `weight` is [entry, record field, query field]: the evidence of full agreement.
    """
    sims = name_similarity(names, joined, content, words, table)
    present = (joined >= 0)[:, :, None] & names.present
    evidence = name_evidence(sims, weight, present)
    # [entry, record field, query field]: ss, gg straight; sg, gs crossed.
    ss, gg, sg, gs = sims[:, 0, 0], sims[:, 1, 1], sims[:, 1, 0], sims[:, 0, 1]
    straight = evidence[:, 0, 0] + evidence[:, 1, 1]
    crossed = evidence[:, 1, 0] + evidence[:, 0, 1] - SWAP_PENALTY
    has_giv = bool(names.present[1])
    # Names count as swapped only if both crossed pairs agree, not merely score higher.
    swapped = (crossed > straight) & (sg >= TOKEN_FLOOR) & ((gs >= TOKEN_FLOOR) | (not has_giv))
    return NameScores(
        evidence=np.where(swapped, crossed, straight),
        surname=np.where(swapped, sg, ss),
        given=np.where(swapped, gs, gg),
        swapped=swapped,
    )


def name_evidence(similarity: F32, weight: F32, present: Bools) -> F32:
    """Log-likelihood contribution of one name field; 0 where it was not compared."""
    agreement = np.sqrt(np.minimum(np.maximum(similarity - _AGREE_FROM, 0.0) / _AGREE_SPAN, 1.0))
    evidence: F32 = (agreement * (weight - NAME_DISAGREE) + NAME_DISAGREE) * present
    return evidence


def clamp_weight(weight: F32, most: float | F32) -> F32:
    return np.clip(weight, FIELD_WEIGHT_MIN, most).astype(np.float32)


_WEIGHT_MAX = np.array([SURNAME_WEIGHT_MAX, GIVEN_WEIGHT_MAX], dtype=np.float32)


def token_weight(frequency: npt.NDArray[np.int64], entries: int) -> F32:
    """Evidence of agreement on each token: the log of its inverse frequency among `entries`."""
    weight: F32 = np.log(max(entries, 1) / np.maximum(frequency, 1)).astype(np.float32)
    return weight


def field_weight(content: I32, weight: F32) -> F32:
    """Evidence of full agreement on name fields: their words' weights summed and clamped.

    `content` (..., 2, slots) holds token ids into `weight` (-1 pads); the result is (..., 2).
    """
    padded = np.append(weight, np.float32(0.0))
    return clamp_weight(padded[content].sum(axis=-1, dtype=np.float32), _WEIGHT_MAX)


def uniform_weight(content: I32) -> F32:
    """Evidence of full agreement per name field where every token weighs the same.

    `content` (n, 2, slots) holds token ids (-1 pads); the result is (n, 2).
    """
    weight = ((content >= 0).sum(axis=2) * DEFAULT_TOKEN_WEIGHT).astype(np.float32)
    return clamp_weight(weight, _WEIGHT_MAX)


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


def month_day(month: Ints, day: Ints) -> npt.NDArray[np.int16]:
    """Month and day packed into one small integer (0 = unknown part), for `date_codes_packed`."""
    return (month.astype(np.int16) * _DAYS + day.astype(np.int16)).astype(np.int16)


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


# The relation of each int16 year (read as uint16) to a query year far from it:
# further apart (2), or unknown (3) for 0 and below.
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


def date_codes_packed(
    query: tuple[int, int, int], year: npt.NDArray[np.int16], packed: npt.NDArray[np.int16]
) -> I8:
    """`date_codes` by table lookup: a handful of numpy calls instead of dozens."""
    qy, qm, qd = query
    if qy == 0:
        return np.zeros(len(year), dtype=np.int8)
    relation = _year_relation(qy)[year.view(np.uint16)]
    codes: I8 = _date_tables()[qm, qd][relation, packed]
    return codes


def code_compare(query: bytes, values: npt.NDArray[np.bytes_], one_off: bool) -> I8:
    """Exact / one character off / different / missing for document-like codes."""
    n = len(values)
    if not query:
        return np.zeros(n, dtype=np.int8)
    codes = np.where(values == query, EXACT, DIFFERENT).astype(np.int8)
    codes[values == b""] = MISSING
    if one_off:
        width = values.dtype.itemsize
        if len(query) > width:
            return codes
        padded = np.frombuffer(query.ljust(width, b"\0")[:width], dtype=np.uint8)
        chars = values.view(np.uint8).reshape(n, width)
        length = len(query)
        # Same length: the query's last position is filled and the next one is padding.
        same_length = chars[:, length - 1] != 0
        if length < width:
            same_length &= chars[:, length] == 0
        off = (chars != padded).sum(axis=1) == 1
        codes[(codes == DIFFERENT) & same_length & off] = ONE_OFF
    return codes


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


def with_surname_forms(rows: Ints, sex: I8, other: F32) -> tuple[I8, F32]:
    """Sex codes and evidence with `rows` (the other sex's surname form) as a sex conflict."""
    if not len(rows):
        return sex, other
    sex, other = sex.copy(), other.copy()
    sex[rows] = OTHER_FORM
    other[rows] += SEX_WEIGHT[OTHER_FORM]
    return sex, other


def sex_codes(query: int, values: I8) -> I8:
    """Sex codes: 1 M, 2 F, 3 X, 0 unknown; only M/F disagree."""
    codes: I8 = _SEX_CODES[query if 0 <= query < 4 else 0][values]
    return codes


def nationality_codes(query: int, values: npt.NDArray[np.int16]) -> I8:
    if query <= 0:
        return np.zeros(len(values), dtype=np.int8)
    codes = np.where(values == query, EXACT, DIFFERENT).astype(np.int8)
    codes[values <= 0] = MISSING
    return codes


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


def calibrate(total: F32, offset: float) -> F32:
    """Summed evidence -> score in [0, 1], given the index's `score_offset`."""
    result: F32 = 1.0 / (1.0 + np.exp((offset - total) / SCORE_SCALE))
    return result


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
