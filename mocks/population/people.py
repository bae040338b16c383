"""A seeded synthetic population held column-wise: every person is a row of arrays.

Names are indexes into the pools of `names`, so a million people cost a few
integer arrays; strings are materialised only when asked for (`columns`,
`identity`). Near-namesakes are planted on purpose: some people share a common
surname, the sex and a close birth date with an earlier person, and some have a
twin of the other sex (the surname in its form for that sex, the same birth
date), so that a matcher is tested on precision and not only on recall.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from broker.matching import Identity, IdentityColumns
from mocks.population.biometrics import F32, FACE, FINGERPRINT, Modality, recapture, vectors
from mocks.population.documents import document_numbers, td3, visa_sticker_numbers
from mocks.population.names import COUNTRIES, NamePool, Objects, country_names

I32 = npt.NDArray[np.int32]
SEX_LETTERS = ("", "M", "F", "X")
_KINDS = ("surnames_male", "surnames_female", "given_male", "given_female")
_DAYS_IN_MONTH = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_REFERENCE_YEAR = 2025
_VISA_FREE = frozenset({"USA", "GBR", "BRA", "MEX", "JPN", "UKR", "GEO", "DEU", "SWE", "NOR"})
_VISA_FREE |= frozenset({"DNK", "ESP", "FRA", "BGR", "GRC"})
_DOUBLE_SURNAME = frozenset({"ESP", "MEX"})


@dataclass(frozen=True, slots=True)
class GlobalPool:
    """All pools of all countries concatenated: a name is one integer."""

    original: Objects
    document: Objects
    alternatives: Objects
    weight: npt.NDArray[np.float64]
    offsets: npt.NDArray[np.int64]
    # Surname ids by spelling, per pool, made on first use by `other_sex_form`.
    _forms: dict[int, dict[str, list[int]]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def collect(cls) -> GlobalPool:
        pools: list[NamePool] = []
        for country in COUNTRIES:
            names = country_names(country)
            pools.extend(getattr(names, kind) for kind in _KINDS)
        offsets = np.cumsum([0] + [len(p) for p in pools]).astype(np.int64)
        return cls(
            original=np.concatenate([p.original for p in pools]),
            document=np.concatenate([p.document for p in pools]),
            alternatives=np.concatenate([p.alternatives for p in pools]),
            weight=np.concatenate([p.weight for p in pools]),
            offsets=offsets,
        )

    def pool_index(self, country: int, kind: str) -> int:
        return country * len(_KINDS) + _KINDS.index(kind)

    def other_sex_form(self, name_id: int, country: int, sex: int) -> int:
        """The id of a surname's form for `sex` (1 male, 2 female), -1 if the pool lacks it."""
        index = self.pool_index(country, "surnames_female" if sex == 2 else "surnames_male")
        if index not in self._forms:
            lo, hi = int(self.offsets[index]), int(self.offsets[index + 1])
            forms: dict[str, list[int]] = {}
            for i in range(lo, hi):
                forms.setdefault(_bare(str(self.original[i])), []).append(i)
            self._forms[index] = forms
        form = surname_for_sex(_bare(str(self.original[name_id])), sex)
        found = self._forms[index].get(form, [])
        # An unchanged name keeps its spelling (an attested name has several).
        same = [i for i in found if self.document[i] == self.document[name_id]]
        return (same or found or [-1])[0]


@dataclass(frozen=True)
class Population:
    """n synthetic people; name columns are ids into `pool` (-1 for none)."""

    seed: int
    pool: GlobalPool
    country: npt.NDArray[np.int16]
    sex: npt.NDArray[np.int8]
    surname: I32
    surname2: I32
    given1: I32
    given2: I32
    birth_year: npt.NDArray[np.int16]
    birth_month: npt.NDArray[np.int8]
    birth_day: npt.NDArray[np.int8]
    document_number: npt.NDArray[np.bytes_]
    visa_sticker_number: npt.NDArray[np.bytes_]
    alias_record: I32
    alias_surname: I32
    namesake_of: I32
    # The person this one is the other-sex twin of (-1 for none).
    twin_of: I32

    def __len__(self) -> int:
        return len(self.country)

    @cached_property
    def nationality_codes(self) -> Objects:
        codes: Objects = np.array([c.code for c in COUNTRIES], dtype=object)
        return codes

    def _names(self, first: I32, second: I32, spelling: Objects) -> Objects:
        out: Objects = spelling[first].copy()
        two = np.flatnonzero(second >= 0)
        out[two] = [f"{a} {b}" for a, b in zip(out[two], spelling[second[two]], strict=True)]
        return out

    def columns(self) -> IdentityColumns:
        """The whole population as the matching core's bulk input (document spellings)."""
        spelling = self.pool.document
        alias_given = self._names(self.given1[self.alias_record], self.given2[self.alias_record],
                                  spelling)  # fmt: skip
        sexes = np.array(SEX_LETTERS, dtype=object)
        return IdentityColumns(
            surname=self._names(self.surname, self.surname2, spelling),
            given_names=self._names(self.given1, self.given2, spelling),
            birth_year=self.birth_year,
            birth_month=self.birth_month,
            birth_day=self.birth_day,
            sex=sexes[self.sex],
            nationality=self.nationality_codes[self.country],
            document_number=self.document_number.astype(str).astype(object),
            visa_sticker_number=self.visa_sticker_number.astype(str).astype(object),
            alias_record=self.alias_record,
            alias_surname=spelling[self.alias_surname],
            alias_given_names=alias_given,
        )

    def name_parts(
        self, position: int, spelling: Objects | None = None
    ) -> tuple[str, tuple[str, ...]]:
        """(surname, given names) of one person in the chosen spelling (document by default)."""
        words = self.pool.document if spelling is None else spelling
        surnames = [words[i] for i in (self.surname[position], self.surname2[position]) if i >= 0]
        given = tuple(words[i] for i in (self.given1[position], self.given2[position]) if i >= 0)
        return " ".join(surnames), given

    def date_of_birth(self, position: int) -> str:
        y, m, d = self.birth_year[position], self.birth_month[position], self.birth_day[position]
        return f"{y:04d}-{m:02d}-{d:02d}"

    def identity(self, position: int) -> Identity:
        surname, given = self.name_parts(position)
        aliases = tuple(
            (str(self.pool.document[self.alias_surname[a]]), given)
            for a in np.flatnonzero(self.alias_record == position)
        )
        return Identity(
            surname=surname,
            given_names=given,
            date_of_birth=self.date_of_birth(position),
            sex=SEX_LETTERS[self.sex[position]],
            nationality=COUNTRIES[self.country[position]].code,
            document_number=self.document_number[position].decode(),
            visa_sticker_number=self.visa_sticker_number[position].decode(),
            aliases=aliases,
        )

    def mrz(self, position: int) -> tuple[str, str]:
        """TD3 machine readable zone of the person's passport (valid check digits)."""
        person = self.identity(position)
        expiry_year = _REFERENCE_YEAR + 1 + position % 9
        return td3(
            person.surname,
            " ".join(person.given_names),
            person.document_number,
            person.nationality,
            person.date_of_birth,
            person.sex,
            f"{expiry_year:04d}-{1 + position % 12:02d}-{1 + position % 28:02d}",
        )

    def faces(self, start: int = 0, stop: int | None = None) -> F32:
        return vectors(FACE, self.seed, start, len(self) if stop is None else stop)

    def fingerprints(self, start: int = 0, stop: int | None = None) -> F32:
        return vectors(FINGERPRINT, self.seed, start, len(self) if stop is None else stop)

    def second_capture(
        self, position: int, rng: np.random.Generator, modality: Modality = FACE
    ) -> F32:
        """A fresh, noisy capture of the person's face (or fingerprint) vector."""
        return recapture(vectors(modality, self.seed, position, position + 1)[0], rng)


def _sample(rng: np.random.Generator, pool: GlobalPool, index: int, n: int) -> I32:
    lo, hi = int(pool.offsets[index]), int(pool.offsets[index + 1])
    return (lo + rng.choice(hi - lo, size=n, p=pool.weight[lo:hi])).astype(np.int32)


def _dates(
    rng: np.random.Generator, n: int
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    age = np.clip(np.rint(rng.normal(38, 15, n)), 0, 95).astype(np.int16)
    year = (_REFERENCE_YEAR - age).astype(np.int16)
    month = rng.integers(1, 13, n).astype(np.int8)
    day = (1 + np.floor(rng.random(n) * _DAYS_IN_MONTH[month])).astype(np.int8)
    unknown = rng.random(n)
    day[unknown < 0.03] = 0
    month[unknown < 0.01] = 0
    return year, month, day


def generate(n: int, seed: int = 0) -> Population:
    """n people, reproducibly from `seed` (about a second per 100 000)."""
    rng = np.random.default_rng(seed)
    countries = COUNTRIES
    pool = GlobalPool.collect()
    share = np.array([c.share for c in countries], dtype=np.float64)
    country = rng.choice(len(countries), size=n, p=share / share.sum()).astype(np.int16)
    sex = np.where(rng.random(n) < 0.5, 1, 2).astype(np.int8)
    sex[rng.random(n) < 0.003] = 3
    surname = np.empty(n, np.int32)
    surname2 = np.full(n, -1, np.int32)
    given1 = np.empty(n, np.int32)
    given2 = np.full(n, -1, np.int32)
    two_given = rng.random(n) < 0.3
    for c, spec in enumerate(countries):
        for female in (False, True):
            rows = np.flatnonzero((country == c) & ((sex == 2) == female))
            if not len(rows):
                continue
            suffix = "female" if female else "male"
            surnames = pool.pool_index(c, f"surnames_{suffix}")
            givens = pool.pool_index(c, f"given_{suffix}")
            surname[rows] = _sample(rng, pool, surnames, len(rows))
            given1[rows] = _sample(rng, pool, givens, len(rows))
            second = rows[two_given[rows]]
            given2[second] = _sample(rng, pool, givens, len(second))
            if spec.code in _DOUBLE_SURNAME:
                double = rows[rng.random(len(rows)) < 0.7]
                surname2[double] = _sample(rng, pool, surnames, len(double))
    given2[given2 == given1] = -1
    surname2[surname2 == surname] = -1
    year, month, day = _dates(rng, n)

    namesake_of = np.full(n, -1, np.int32)
    copies = np.flatnonzero(rng.random(n) < 0.03)
    copies = copies[copies > 0]
    originals = (rng.random(len(copies)) * copies).astype(np.int32)
    namesake_of[copies] = originals
    for column in (country, sex, surname, surname2):
        column[copies] = column[originals]
    year[copies] = year[originals] + rng.integers(-1, 2, len(copies))
    same_given = rng.random(len(copies)) < 0.3
    given1[copies[same_given]] = given1[originals[same_given]]
    year[copies[same_given]] += rng.choice([-3, -2, 2, 3], int(same_given.sum())).astype(np.int16)
    # A namesake of an infant is born in the reference year at the latest, not in the future.
    np.minimum(year, _REFERENCE_YEAR, out=year)

    twin_of = _plant_twins(rng, pool, country, sex, surname, surname2, given1, given2, namesake_of)
    year[twin_of >= 0] = year[twin_of[twin_of >= 0]]
    month[twin_of >= 0] = month[twin_of[twin_of >= 0]]
    day[twin_of >= 0] = day[twin_of[twin_of >= 0]]

    with_alias = np.flatnonzero(rng.random(n) < 0.05).astype(np.int32)
    alias_surname = np.empty(len(with_alias), np.int32)
    for c in range(len(countries)):
        rows = np.flatnonzero(country[with_alias] == c)
        alias_surname[rows] = _sample(rng, pool, pool.pool_index(c, "surnames_female"), len(rows))

    visa_needed = ~np.isin(np.array([c.code for c in countries])[country], list(_VISA_FREE))
    visa = visa_sticker_numbers(rng, n)
    visa[~(visa_needed & (rng.random(n) < 0.8))] = b""
    return Population(
        seed=seed,
        pool=pool,
        country=country,
        sex=sex,
        surname=surname,
        surname2=surname2,
        given1=given1,
        given2=given2,
        birth_year=year,
        birth_month=month,
        birth_day=day,
        document_number=document_numbers(rng, n),
        visa_sticker_number=visa,
        alias_record=with_alias,
        alias_surname=alias_surname,
        namesake_of=namesake_of,
        twin_of=twin_of,
    )


_TWIN_SHARE = 0.005


def _plant_twins(
    rng: np.random.Generator,
    pool: GlobalPool,
    country: npt.NDArray[np.int16],
    sex: npt.NDArray[np.int8],
    surname: I32,
    surname2: I32,
    given1: I32,
    given2: I32,
    namesake_of: I32,
) -> I32:
    """Make some people the other-sex twin of an earlier one (surname forms follow the sex).

    The caller copies the birth date; names are rewritten here, in place.
    """
    n = len(country)
    twin_of = np.full(n, -1, np.int32)
    copies = np.flatnonzero((rng.random(n) < _TWIN_SHARE) & (namesake_of < 0) & (sex < 3))
    copies = copies[copies > 0]
    originals = (rng.random(len(copies)) * copies).astype(np.int32)
    for copy, original in zip(copies.tolist(), originals.tolist(), strict=True):
        if sex[original] == 3 or twin_of[original] >= 0:
            continue
        twin_sex = 3 - int(sex[original])
        suffix = "female" if twin_sex == 2 else "male"
        c = int(country[original])
        family = pool.other_sex_form(int(surname[original]), c, twin_sex)
        if family < 0:
            continue
        givens = pool.pool_index(c, f"given_{suffix}")
        twin_of[copy] = original
        country[copy], sex[copy], surname[copy] = c, twin_sex, family
        second = int(surname2[original])
        surname2[copy] = -1 if second < 0 else pool.other_sex_form(second, c, twin_sex)
        given1[copy] = _sample(rng, pool, givens, 1)[0]
        given2[copy] = -1
    return twin_of


def _bare(name: str) -> str:
    """Upper case without accents (Greek endings move their accent with the form)."""
    decomposed = unicodedata.normalize("NFD", name.upper())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# (masculine, feminine) surname endings in the original script, longest first.
_SEXED_ENDINGS = (
    ("СЬКИЙ", "СЬКА"), ("ЦЬКИЙ", "ЦЬКА"), ("СКИЙ", "СКАЯ"), ("ЦКИЙ", "ЦКАЯ"), ("ОЙ", "АЯ"),
    ("ОВ", "ОВА"), ("ЕВ", "ЕВА"), ("ЁВ", "ЁВА"), ("ИН", "ИНА"), ("ЫН", "ЫНА"),
    ("ΟΣ", "ΟΥ"), ("ΗΣ", "Η"), ("ΑΣ", "Α"), ("SKI", "SKA"), ("CKI", "CKA"),
)  # fmt: skip


def surname_for_sex(bare: str, target_sex: int) -> str:
    """A surname in the form a person of `target_sex` (1 male, 2 female) bears."""
    for male, female in _SEXED_ENDINGS:
        have, want = (female, male) if target_sex == 1 else (male, female)
        if bare.endswith(have):
            return bare[: -len(have)] + want
    return bare
