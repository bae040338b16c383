"""Labelled queries: how a traveller's data reaches a search, with the known truth.

Each positive variant takes a person of the population and damages the query the
way real captures do (a typo, another transliteration, the original script, names
in the wrong fields, a swapped date...). The negative variant is a near-namesake:
a person who is *not* in the population but shares a surname, sex, nationality
and birth year with someone who is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from broker.matching import Identity, normalise_name
from mocks.population.documents import document_numbers
from mocks.population.people import Population

VARIANTS = (
    "exact",
    "typo_1",
    "typo_2",
    "transliteration",
    "original_script",
    "swapped_names",
    "missing_given_names",
    "day_month_swapped",
    "year_off_by_one",
    "document_one_char_off",
    "other_document",
)
NEGATIVE = "namesake"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DOC_ALPHABET = "0123456789" + _LETTERS


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """A query and the population position it is about (-1: nobody in the population)."""

    variant: str
    query: Identity
    truth: int


def _edit(word: str, rng: np.random.Generator) -> str:
    """One random keyboard slip: substitution, deletion, insertion or transposition."""
    if len(word) < 3:
        return word + _LETTERS[rng.integers(26)]
    at = int(rng.integers(1, len(word)))
    operation = int(rng.integers(4))
    letter = _LETTERS[rng.integers(26)]
    if operation == 0:
        return word[:at] + letter + word[at + 1 :]
    if operation == 1:
        return word[:at] + word[at + 1 :]
    if operation == 2:
        return word[:at] + letter + word[at:]
    at = min(at, len(word) - 2)
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def _typos(person: Identity, edits: int, rng: np.random.Generator) -> Identity:
    surname, given = normalise_name(person.surname), [normalise_name(g) for g in person.given_names]
    for _ in range(edits):
        if rng.random() < 0.6 or not given:
            surname = _edit(surname, rng)
        else:
            given[0] = _edit(given[0], rng)
    return replace(person, surname=surname, given_names=tuple(given))


def _spelling(population: Population, position: int, spelling: str) -> Identity:
    words = getattr(population.pool, spelling)
    fallback = population.pool.document
    merged = np.where(words != "", words, fallback)
    surname, given = population.name_parts(position, merged)
    return replace(population.identity(position), surname=surname, given_names=given)


def _document_slip(number: str, rng: np.random.Generator) -> str:
    at = int(rng.integers(len(number)))
    choices = [c for c in _DOC_ALPHABET if c != number[at]]
    return number[:at] + choices[rng.integers(len(choices))] + number[at + 1 :]


def _variant(
    name: str, population: Population, rng: np.random.Generator
) -> Callable[[int], Identity]:
    def person(p: int) -> Identity:
        return population.identity(p)

    def swapped_date(p: int) -> Identity:
        y, m, d = population.date_of_birth(p).split("-")
        return replace(person(p), date_of_birth=f"{y}-{d}-{m}")

    def year_off(p: int) -> Identity:
        y, m, d = population.date_of_birth(p).split("-")
        return replace(person(p), date_of_birth=f"{int(y) + rng.choice([-1, 1]):04d}-{m}-{d}")

    def swapped_names(p: int) -> Identity:
        i = person(p)
        return replace(i, surname=" ".join(i.given_names), given_names=(i.surname,))

    variants: dict[str, Callable[[int], Identity]] = {
        "exact": person,
        "typo_1": lambda p: _typos(person(p), 1, rng),
        "typo_2": lambda p: _typos(person(p), 2, rng),
        "transliteration": lambda p: _spelling(population, p, "alternative"),
        "original_script": lambda p: _spelling(population, p, "original"),
        "swapped_names": swapped_names,
        "missing_given_names": lambda p: replace(person(p), given_names=()),
        "day_month_swapped": swapped_date,
        "year_off_by_one": year_off,
        "document_one_char_off": lambda p: replace(
            person(p), document_number=_document_slip(person(p).document_number, rng)
        ),
        "other_document": person,
    }
    return variants[name]


def _eligible(name: str, population: Population) -> np.ndarray:
    pool = population.pool
    if name == "transliteration":
        has = pool.alternative != ""
        return np.flatnonzero(has[population.surname] | has[population.given1])
    if name == "original_script":
        non_latin = np.array([any(ord(c) > 0x24F for c in w) for w in pool.original])
        return np.flatnonzero(non_latin[population.surname])
    if name == "day_month_swapped":
        day, month = population.birth_day, population.birth_month
        return np.flatnonzero((day >= 1) & (day <= 12) & (month >= 1) & (day != month))
    return np.arange(len(population))


def _namesake(population: Population, position: int, rng: np.random.Generator) -> Identity:
    """Someone absent from the population: same surname, sex, nationality, birth year +-1."""
    person = population.identity(position)
    start, stop = _given_pool_range(population, int(population.given1[position]))
    own = {normalise_name(g) for g in person.given_names}
    given = person.given_names
    while {normalise_name(g) for g in given} & own:
        given = (str(population.pool.document[rng.integers(start, stop)]),)
    year = int(person.date_of_birth[:4]) + int(rng.integers(-1, 2))
    month, day = int(rng.integers(1, 13)), int(rng.integers(1, 29))
    return replace(
        person,
        given_names=given,
        date_of_birth=f"{year:04d}-{month:02d}-{day:02d}",
        document_number="",
        visa_sticker_number="",
        aliases=(),
    )


def _given_pool_range(population: Population, name_id: int) -> tuple[int, int]:
    offsets = population.pool.offsets
    k = int(np.searchsorted(offsets, name_id, side="right")) - 1
    return int(offsets[k]), int(offsets[k + 1])


def labelled_queries(
    population: Population, per_variant: int, seed: int = 1
) -> list[LabelledQuery]:
    """`per_variant` queries of each variant in VARIANTS plus as many negatives.

    Name and date variants carry no document number or a new one (a traveller
    with a new passport), so that they test name matching, not document lookup.
    """
    rng = np.random.default_rng(seed)
    fresh = iter(document_numbers(rng, per_variant * (len(VARIANTS) + 1)).astype(str))
    out: list[LabelledQuery] = []
    for name in VARIANTS:
        eligible = _eligible(name, population)
        make = _variant(name, population, rng)
        chosen = rng.choice(eligible, size=per_variant, replace=len(eligible) < per_variant)
        for position in chosen.tolist():
            query = replace(make(position), aliases=())
            if name not in ("document_one_char_off", "exact"):
                document = next(fresh) if name == "other_document" or rng.random() < 0.5 else ""
                query = replace(query, document_number=document, visa_sticker_number="")
            out.append(LabelledQuery(name, query, position))
    for position in rng.choice(len(population), size=per_variant).tolist():
        out.append(LabelledQuery(NEGATIVE, _namesake(population, position, rng), -1))
    return out
