"""A query prepared once for scoring: its name readings and tokens, its codes and texts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from broker.matching.identity import Identity
from broker.matching.names import NameField, Reading, name_field
from broker.matching.normalise import normalise_document, parse_date
from broker.matching.readings import readings

SEX_CODES = {"M": 1, "F": 2, "X": 3}
SEX_LETTERS = ("", "M", "F", "X")
_NAMES_KEPT = 1 << 14


@dataclass(frozen=True, slots=True)
class QueryNames:
    """The name part of a query: the same for every index, kept across queries."""

    # One per reading of the name (see `readings`); the best reading counts per record.
    readings: tuple[Reading, ...]
    # Every token of every reading, the first reading's first.
    tokens: tuple[str, ...]
    # The tokens searched fuzzily: words of the first reading, not the joined form of
    # a several-word name.
    words: frozenset[str]
    # Words of the other readings: each is the spelling of one standard, so only the
    # index's own words (and their similar words) are looked up, never a fuzzy search.
    reading_words: frozenset[str]
    # The name fields' readings, the ICAO form first.
    surname_readings: tuple[str, ...]
    given_readings: tuple[str, ...]
    # The joined surname of the first reading, for its gendered form (see `surname_form`).
    surname_token: str


@dataclass(frozen=True, slots=True)
class Query:
    names: QueryNames
    surname_raw: str
    given_raw: str
    date_text: str
    date: tuple[int, int, int]
    sex: int
    # The caller's code for the nationality (0 unknown); its text as given.
    nationality: int
    nationality_text: str
    document: bytes
    visa: bytes

    @property
    def named(self) -> bool:
        """Whether the query gives given names (anything but punctuation)."""
        return any(self.names.given_readings)


def prepare(query: Identity, nationality: int) -> Query:
    """`query` ready for scoring; `nationality` is the caller's code for its nationality."""
    given_raw = " ".join(query.given_names)
    return Query(
        names=query_names(query.surname, given_raw),
        surname_raw=query.surname,
        given_raw=given_raw,
        date_text=query.date_of_birth,
        date=parse_date(query.date_of_birth),
        sex=SEX_CODES.get(query.sex.upper(), 0),
        nationality=nationality,
        nationality_text=query.nationality.upper(),
        document=normalise_document(query.document_number).encode(),
        visa=normalise_document(query.visa_sticker_number).encode(),
    )


@lru_cache(maxsize=_NAMES_KEPT)
def query_names(surname: str, given: str) -> QueryNames:
    """The readings of both name fields, paired, and their tokens.

    A name in Latin letters usually has one reading, one in another script
    several (see `readings`); the i-th reading of the surname goes with the i-th
    of the given names, or with their first where they have fewer.
    """
    surnames, givens = readings(surname), readings(given)
    pairs = dict.fromkeys(
        (surnames[min(i, len(surnames) - 1)], givens[min(i, len(givens) - 1)])
        for i in range(max(len(surnames), len(givens)))
    )
    paired = tuple(Reading(name_field(s), name_field(g)) for s, g in pairs)
    fields = [[f for f in (r.surname, r.given) if f] for r in paired]
    tokens = dict.fromkeys(t for reading in fields for f in reading for t in (f.joined, *f.words))
    first = _words(fields[0])
    return QueryNames(
        readings=paired,
        tokens=tuple(tokens),
        words=first,
        reading_words=frozenset(w for reading in fields[1:] for w in _words(reading)) - first,
        surname_readings=surnames,
        given_readings=givens,
        surname_token=surnames[0].replace(" ", ""),
    )


def _words(fields: list[NameField]) -> frozenset[str]:
    return frozenset(w for f in fields for w in f.words)
