"""Labelled queries: how a traveller's data reaches a search, with the known truth.

Each positive variant takes a person of the population and damages the query the
way real captures do (a typo, another transliteration, the original script, names
in the wrong fields, a swapped date...). Each negative variant is someone who is
*not* in the population but close to someone who is: a near-namesake (same
surname, sex, nationality and birth year), the other-sex twin (same family name
in its form for that sex, same birth date), or the other-sex form of a surname
with nothing else to tell the sex.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from broker.matching import Identity, normalise_name
from mocks.population.documents import document_numbers
from mocks.population.names import Objects
from mocks.population.people import Population

VARIANTS = (
    "exact",
    "typo_1",
    "typo_2",
    "typo_2_short_name",
    "transliteration",
    "wade_giles",
    "original_script",
    "original_script_arabic",
    "original_script_ukrainian",
    "swapped_names",
    "missing_given_names",
    "twin_missing_given_names",
    "year_only",
    "day_month_swapped",
    "year_off_by_one",
    "document_one_char_off",
    "other_document",
)
NEGATIVE = "namesake"
NEGATIVES = (NEGATIVE, "other_sex_twin", "other_sex_surname")
_SHORT_NAME = 5
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


def _in_spelling(population: Population, position: int, words: Objects) -> Identity:
    surname, given = population.name_parts(position, words)
    return replace(population.identity(position), surname=surname, given_names=given)


def _other_standard(population: Population, position: int, rng: np.random.Generator) -> Identity:
    """Every name with alternatives in one of them, chosen at random per name."""
    pool = population.pool
    ids = [population.surname[position], population.surname2[position],
           population.given1[position], population.given2[position]]  # fmt: skip
    words = pool.document.copy()
    for name_id in (int(i) for i in ids if i >= 0):
        others = pool.alternatives[name_id]
        if others:
            words[name_id] = others[rng.integers(len(others))]
    return _in_spelling(population, position, words)


def _short_typos(person: Identity, rng: np.random.Generator) -> Identity:
    """Two slips in the person's short surname, or else in a short given name."""
    surname = normalise_name(person.surname)
    given = [normalise_name(g) for g in person.given_names]
    if len(surname) <= _SHORT_NAME:
        return replace(person, surname=_edit(_edit(surname, rng), rng))
    short = next(i for i, g in enumerate(given) if len(g) <= _SHORT_NAME)
    given[short] = _edit(_edit(given[short], rng), rng)
    return replace(person, given_names=tuple(given))


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

    def year_only(p: int) -> Identity:
        return replace(person(p), date_of_birth=population.date_of_birth(p)[:4] + "-00-00")

    def original(p: int) -> Identity:
        return _in_spelling(population, p, population.pool.original)

    variants: dict[str, Callable[[int], Identity]] = {
        "exact": person,
        "typo_1": lambda p: _typos(person(p), 1, rng),
        "typo_2": lambda p: _typos(person(p), 2, rng),
        "typo_2_short_name": lambda p: _short_typos(person(p), rng),
        "transliteration": lambda p: _other_standard(population, p, rng),
        "wade_giles": lambda p: _other_standard(population, p, rng),
        "original_script": original,
        "original_script_arabic": original,
        "original_script_ukrainian": original,
        "swapped_names": swapped_names,
        "missing_given_names": lambda p: replace(person(p), given_names=()),
        "twin_missing_given_names": lambda p: replace(person(p), given_names=()),
        "year_only": year_only,
        "day_month_swapped": swapped_date,
        "year_off_by_one": year_off,
        "document_one_char_off": lambda p: replace(
            person(p), document_number=_document_slip(person(p).document_number, rng)
        ),
        "other_document": person,
    }
    return variants[name]


def _eligible(name: str, population: Population) -> npt.NDArray[np.intp]:
    pool = population.pool
    nationality = population.nationality_codes[population.country]
    if name == "transliteration":
        has = np.array([bool(a) for a in pool.alternatives])
        return np.flatnonzero(has[population.surname] | has[population.given1])
    if name == "wade_giles":
        return np.flatnonzero(nationality == "CHN")
    if name.startswith("original_script"):
        non_latin = np.array([any(ord(c) > 0x24F for c in w) for w in pool.original])
        scripted = non_latin[population.surname]
        if name == "original_script_arabic":
            return np.flatnonzero(scripted & np.isin(nationality, ["SAU", "EGY", "IRN"]))
        if name == "original_script_ukrainian":
            return np.flatnonzero(scripted & (nationality == "UKR"))
        return np.flatnonzero(scripted)
    if name == "typo_2_short_name":
        short = np.array([len(normalise_name(w)) <= _SHORT_NAME for w in pool.document])
        short = np.append(short, False)  # id -1: no second name
        surname = short[population.surname] & (population.surname2 < 0)
        return np.flatnonzero(surname | short[population.given1] | short[population.given2])
    if name == "twin_missing_given_names":
        twins = population.twin_of[population.twin_of >= 0]
        return np.union1d(np.flatnonzero(population.twin_of >= 0), twins)
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


def _other_sex_twin(population: Population, position: int, rng: np.random.Generator) -> Identity:
    """Someone absent from the population: the person's other-sex twin, names maybe missing."""
    person = population.identity(position)
    sex = 3 - int(population.sex[position])
    country = int(population.country[position])
    pool = population.pool
    family = pool.other_sex_form(int(population.surname[position]), country, sex)
    givens = pool.pool_index(country, "given_female" if sex == 2 else "given_male")
    start, stop = int(pool.offsets[givens]), int(pool.offsets[givens + 1])
    own = {normalise_name(g) for g in person.given_names}
    given = person.given_names
    while {normalise_name(g) for g in given} & own:
        given = (str(pool.document[rng.integers(start, stop)]),)
    return replace(
        person,
        surname=str(pool.document[family]),
        given_names=given if rng.random() < 0.5 else (),
        sex="F" if sex == 2 else "M",
        document_number="",
        visa_sticker_number="",
        aliases=(),
    )


def _other_sex_surname(population: Population, position: int, rng: np.random.Generator) -> Identity:
    """The other-sex twin's surname with no sex and no given names: only its form tells."""
    return replace(_other_sex_twin(population, position, rng), given_names=(), sex="")


def _negative(
    name: str, population: Population, rng: np.random.Generator
) -> tuple[npt.NDArray[np.intp], Callable[[int], Identity]]:
    """The people a negative is made from, and how."""
    if name == NEGATIVE:
        return np.arange(len(population)), lambda p: _namesake(population, p, rng)
    # Twins of people who have none yet; surnames whose other form the pool holds.
    sex = population.sex
    gendered = _other_forms(population)
    alone = (population.twin_of < 0) & ~np.isin(np.arange(len(population)), population.twin_of)
    if name == "other_sex_twin":
        return np.flatnonzero(alone & (sex < 3) & (gendered >= 0)), (
            lambda p: _other_sex_twin(population, p, rng)
        )
    return np.flatnonzero(alone & (gendered == 1)), (
        lambda p: _other_sex_surname(population, p, rng)
    )


def _other_forms(population: Population) -> npt.NDArray[np.int8]:
    """Per person: 1 if the surname changes with sex, 0 if not, -1 if the pool lacks the form."""
    keys = np.stack([population.surname, population.sex, population.country]).astype(np.int64)
    distinct, inverse = np.unique(keys, axis=1, return_inverse=True)
    pool = population.pool
    found = []
    for name_id, sex, country in distinct.T.tolist():
        other = pool.other_sex_form(name_id, country, 3 - sex) if sex < 3 else -1
        found.append(-1 if other < 0 else int(pool.document[other] != pool.document[name_id]))
    return np.array(found, dtype=np.int8)[inverse.ravel()]


def labelled_queries(
    population: Population, per_variant: int, seed: int = 1
) -> list[LabelledQuery]:
    """`per_variant` queries of each variant in VARIANTS and of each negative in NEGATIVES.

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
    for name in NEGATIVES:
        eligible, make = _negative(name, population, rng)
        for position in rng.choice(eligible, size=per_variant).tolist():
            out.append(LabelledQuery(name, make(position), -1))
    return out
