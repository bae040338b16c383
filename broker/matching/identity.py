"""The values the matching core speaks in: an identity, a match and its explanation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True, slots=True)
class Identity:
    """Identity data as a border system holds it; every field may be empty.

    `date_of_birth` is 'YYYY-MM-DD' with '00' for an unknown month or day.
    `aliases` are further (surname, given_names) pairs: aliases, names at birth.
    """

    surname: str = ""
    given_names: tuple[str, ...] = ()
    date_of_birth: str = ""
    sex: str = ""
    nationality: str = ""
    document_number: str = ""
    visa_sticker_number: str = ""
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()


class MatchClass(Enum):
    """Delegated Regulation (EU) 2023/333: same, similar or different identity data."""

    SAME = "same"
    SIMILAR = "similar"
    DIFFERENT = "different"


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """How one field of the query compared with the record.

    `how` names the rule that decided: 'exact', 'transliteration', 'jaro_winkler',
    'swapped', 'partial', 'day_month_swapped', 'year_off_by_one', 'one_digit_off',
    'document_one_char_off', 'different', 'missing'.
    """

    field: str
    query_value: str
    record_value: str
    similarity: float
    how: str


@dataclass(frozen=True, slots=True)
class Match:
    """One record found for a query: score in [0, 1], class and per-field explanation."""

    position: int
    score: float
    match_class: MatchClass
    explanation: tuple[FieldMatch, ...]
