"""Name pools per nationality, drawn from Faker's locale word lists or attested spellings.

Each pool entry has the *original* spelling (as the person writes it, possibly
Cyrillic, Greek or Arabic), the *document* form (what the person's travel
document prints: Latin, diacritics kept; Cyrillic by ICAO 9303 for Russia and
Bulgaria, by the 2010 national system for Ukraine; Arabic and Persian names in
one of their attested spellings) and *alternatives*: Latin forms another
authority might have written (the other ICAO form of Ä/Ö/Ü/Å, another
transliteration standard, Wade-Giles for pinyin, another attested spelling).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from broker.matching.normalise import name_variants, normalise_name
from mocks.population.attested import ARABIC, PERSIAN, Attested, AttestedNames
from mocks.population.romanisation import kmu_2010, russian_styles, wade_giles

Objects = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class Country:
    """A nationality with the Faker locale its names come from and its share of travellers."""

    code: str
    locale: str
    share: float
    scheme: str = ""
    romanized: bool = False
    # Names from attested spellings instead of the Faker locale.
    attested: AttestedNames | None = None


COUNTRIES: tuple[Country, ...] = (
    Country("USA", "en_US", 10),
    Country("GBR", "en_GB", 6),
    Country("IND", "en_IN", 8),
    Country("CHN", "zh_CN", 7, scheme="zh", romanized=True),
    Country("TUR", "tr_TR", 7),
    Country("UKR", "uk_UA", 7, scheme="uk"),
    Country("RUS", "ru_RU", 6, scheme="ru"),
    Country("SAU", "ar_SA", 2, attested=ARABIC),
    Country("EGY", "ar_AA", 3, attested=ARABIC),
    Country("IRN", "fa_IR", 2, attested=PERSIAN),
    Country("BRA", "pt_BR", 5),
    Country("MEX", "es_MX", 3),
    Country("JPN", "ja_JP", 3, romanized=True),
    Country("GEO", "ka_GE", 2),
    Country("ARM", "hy_AM", 2),
    Country("BGR", "bg_BG", 2, scheme="ru"),
    Country("GRC", "el_GR", 3, scheme="el"),
    Country("DEU", "de_DE", 4),
    Country("SWE", "sv_SE", 2),
    Country("NOR", "no_NO", 2),
    Country("DNK", "da_DK", 1),
    Country("ESP", "es_ES", 3),
    Country("FRA", "fr_FR", 3),
    Country("VNM", "vi_VN", 2),
)

_GREEK_ALTERNATIVE = {"Χ": "H", "Φ": "PH", "Β": "B", "Η": "E", "Δ": "DH"}


def alternative_spellings(original: str, scheme: str) -> tuple[str, ...]:
    """The name as other standards spell it, each different from its document form."""
    document = document_form(original, scheme)
    if scheme == "uk":
        others: tuple[str, ...] = (normalise_name(original),)
    elif scheme == "ru":
        others = tuple(spelling for _, spelling in russian_styles(original))
    elif scheme == "el":
        others = ("".join(_GREEK_ALTERNATIVE.get(c, c) for c in original.upper()),)
    elif scheme == "zh":
        spelled = wade_giles(original)
        others = (spelled.replace("'", ""), spelled)
    else:
        others = tuple(name_variants(original))
    forms = dict.fromkeys(normalise_name(o) for o in others)
    return tuple(f for f in forms if f and f != normalise_name(document))


def document_form(original: str, scheme: str) -> str:
    """What the person's own travel document prints."""
    if scheme == "uk":
        return kmu_2010(original)
    if scheme or any(ord(c) > 0x24F for c in original):
        return normalise_name(original)
    return original.upper()


@dataclass(frozen=True, slots=True)
class NamePool:
    """Spellings of the names of one kind (surnames, male or female given names)."""

    original: Objects
    document: Objects
    alternatives: Objects
    weight: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return len(self.original)


def _zipf(n: int) -> npt.NDArray[np.float64]:
    """A few names are very common, most rare, as in every real population."""
    ranks = np.arange(n, dtype=np.float64)
    weights: npt.NDArray[np.float64] = 1.0 / (ranks + 8.0) ** 0.9
    weights /= weights.sum()
    return weights


def _words(provider: object, *attributes: str) -> list[str]:
    for attribute in attributes:
        values = getattr(provider, attribute, None)
        if values and len(values) > 1:
            return [str(v) for v in values]
    return []


def _objects(values: list[object]) -> Objects:
    out: Objects = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _pool(country: Country, words: list[str]) -> NamePool:
    words = sorted(set(w for w in words if normalise_name(w)))
    scrambled = np.random.default_rng(len(words)).permutation(len(words))
    words = [words[i] for i in scrambled]
    return NamePool(
        original=_objects(list(words)),
        document=_objects([document_form(w, country.scheme) for w in words]),
        alternatives=_objects([alternative_spellings(w, country.scheme) for w in words]),
        weight=_zipf(len(words)),
    )


def _attested_pool(names: Attested) -> NamePool:
    """One entry per attested spelling: people of one name carry any of its spellings."""
    entries = [(script, one, spellings) for script, spellings in names for one in spellings]
    name_weight = _zipf(len(names))
    weight = np.array([w / len(s) for w, (_, s) in zip(name_weight, names, strict=True)
                       for _ in s])  # fmt: skip
    return NamePool(
        original=_objects([script for script, _, _ in entries]),
        document=_objects([spelling for _, spelling, _ in entries]),
        alternatives=_objects([tuple(o for o in all_ if o != s) for _, s, all_ in entries]),
        weight=weight / weight.sum(),
    )


@dataclass(frozen=True, slots=True)
class CountryNames:
    surnames_male: NamePool
    surnames_female: NamePool
    given_male: NamePool
    given_female: NamePool


@cache
def country_names(country: Country) -> CountryNames:
    attested = country.attested
    if attested is not None:
        family = _attested_pool(attested.surnames)
        return CountryNames(
            family, family, _attested_pool(attested.male), _attested_pool(attested.female)
        )
    module = importlib.import_module(f"faker.providers.person.{country.locale}")
    provider = module.Provider
    if country.romanized:
        last = _words(provider, "last_romanized_names")
        male = female = _words(provider, "first_romanized_names")
    else:
        male = _words(provider, "first_names_male", "first_names")
        female = _words(provider, "first_names_female", "first_names")
        last = _words(provider, "last_names")
    last_male = _words(provider, "last_names_male") if not country.romanized else []
    last_female = _words(provider, "last_names_female") if not country.romanized else []
    surnames_male = _pool(country, last_male or last)
    surnames_female = _pool(country, last_female or last)
    return CountryNames(
        surnames_male, surnames_female, _pool(country, male), _pool(country, female)
    )
