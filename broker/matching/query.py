"""A query prepared once for scoring: its readings as token columns, its codes and texts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from broker.matching.identity import Identity
from broker.matching.normalise import name_tokens, normalise_document, parse_date
from broker.matching.readings import readings
from broker.matching.scoring import QueryNames, Spellings
from broker.matching.vocabulary import spell_query

SEX_CODES = {"M": 1, "F": 2, "X": 3}
SEX_LETTERS = ("", "M", "F", "X")
# Content words of a name field kept for scoring (the joined form comes on top).
CONTENT_SLOTS = 3


@dataclass(frozen=True, slots=True)
class Query:
    tokens: tuple[str, ...]
    # The tokens searched fuzzily: words of the first reading, not the joined form of
    # a several-word name.
    words: frozenset[str]
    # Words of the other readings: each is the spelling of one standard, so only the
    # index's own words (and their similar words) are looked up, never a fuzzy search.
    reading_words: frozenset[str]
    spellings: Spellings
    # One per reading of the name (see `readings`); the best reading counts per record.
    names: tuple[QueryNames, ...]
    # The name fields' readings (see `readings`), the ICAO form first.
    surname_readings: tuple[str, ...]
    given_readings: tuple[str, ...]
    # The joined surname of the first reading, for its gendered form (see `surname_form`).
    surname_token: str
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


def prepare(query: Identity, nationality: int) -> Query:
    """`query` ready for scoring; `nationality` is the caller's code for its nationality."""
    given_raw = " ".join(query.given_names)
    surnames, givens = readings(query.surname), readings(given_raw)
    tokens, names = reading_columns(surnames, givens)
    first = _words(tokens, names[:1])
    return Query(
        tokens=tuple(tokens),
        words=first,
        reading_words=_words(tokens, names[1:]) - first,
        spellings=spell_query(tokens),
        names=names,
        surname_readings=surnames,
        given_readings=givens,
        surname_token=surnames[0].replace(" ", ""),
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


def _words(tokens: list[str], names: tuple[QueryNames, ...]) -> frozenset[str]:
    return frozenset(tokens[c] for n in names for c in n.content.ravel().tolist() if c >= 0)


def reading_columns(
    surnames: tuple[str, ...], givens: tuple[str, ...]
) -> tuple[list[str], tuple[QueryNames, ...]]:
    """The distinct query tokens, and each reading of both name fields as their columns.

    A name in Latin letters usually has one reading, one in another script
    several (see `readings`); the i-th reading of the surname goes with the i-th
    of the given names, or with their first where they have fewer.
    """
    tokens: list[str] = []
    pairs = dict.fromkeys(
        (surnames[min(i, len(surnames) - 1)], givens[min(i, len(givens) - 1)])
        for i in range(max(len(surnames), len(givens)))
    )
    return tokens, tuple(_columns(pair, tokens) for pair in pairs)


def _columns(fields: tuple[str, str], tokens: list[str]) -> QueryNames:
    """Both name fields of one reading as columns of `tokens` (which it extends)."""
    joined, content = [-1, -1], [[-1] * CONTENT_SLOTS for _ in range(2)]
    for field, normalised in enumerate(fields):
        parts = name_tokens(normalised)[: 1 + CONTENT_SLOTS]
        for token in parts:
            if token not in tokens:
                tokens.append(token)
        if parts:
            joined[field] = tokens.index(parts[0])
            words = parts[1:] or parts[:1]
            content[field][: len(words)] = [tokens.index(w) for w in words]
    return QueryNames(
        joined=np.array(joined, dtype=np.int32),
        content=np.array(content, dtype=np.int32),
        words=np.array([max(len(row) - row.count(-1), 1) for row in content], dtype=np.float32),
        present=np.array([j >= 0 for j in joined]),
    )
