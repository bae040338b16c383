"""Name pools per nationality, drawn from Faker's locale word lists.

Each pool entry has three spellings: the *original* (as the person writes it,
possibly Cyrillic, Greek or Arabic), the *document* form (what a travel document
prints: Latin, diacritics kept, non-Latin scripts transliterated by ICAO 9303)
and an *alternative* Latin form another authority might have written (the other
ICAO form of Ä/Ö/Ü/Å, or a different transliteration scheme), "" when none.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from broker.matching.normalise import name_variants, normalise_name

Objects = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class Country:
    """A nationality with the Faker locale its names come from and its share of travellers."""

    code: str
    locale: str
    share: float
    scheme: str = ""
    romanized: bool = False


COUNTRIES: tuple[Country, ...] = (
    Country("USA", "en_US", 10),
    Country("GBR", "en_GB", 6),
    Country("IND", "en_IN", 8),
    Country("CHN", "zh_CN", 7, romanized=True),
    Country("TUR", "tr_TR", 7),
    Country("UKR", "uk_UA", 7, scheme="uk"),
    Country("RUS", "ru_RU", 6, scheme="ru"),
    Country("SAU", "ar_SA", 2, scheme="ar"),
    Country("EGY", "ar_AA", 3, scheme="ar"),
    Country("IRN", "fa_IR", 2, scheme="ar"),
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

# Transliteration schemes other than ICAO that real documents and databases use.
_ALTERNATIVE: dict[str, dict[str, str]] = {
    "ru": {"Й": "Y", "Ю": "YU", "Я": "YA", "Ё": "YO", "Х": "H", "Ц": "C", "Ъ": "", "Ж": "J"},
    "uk": {"Г": "H", "И": "Y", "Й": "Y", "Ю": "YU", "Я": "YA", "Є": "YE", "Ї": "YI", "Х": "H"},
    "el": {"Χ": "H", "Φ": "PH", "Β": "B", "Η": "E", "Δ": "DH"},
    "ar": {"ج": "DJ", "ق": "K", "ذ": "Z", "ث": "S", "ش": "CH", "ي": "I", "و": "OU", "ة": "AH"},
}


def alternative_spelling(original: str, scheme: str) -> str:
    """The name as a non-ICAO scheme spells it ("" if it is the same as ICAO's)."""
    icao = normalise_name(original)
    if scheme in _ALTERNATIVE:
        table = _ALTERNATIVE[scheme]
        respelled = "".join(table.get(c, c) for c in original.upper())
        other = normalise_name(respelled)
    else:
        other = next((v for v in name_variants(original) if v != icao), "")
    return other if other != icao else ""


@dataclass(frozen=True, slots=True)
class NamePool:
    """Spellings of the names of one kind (surnames, male or female given names)."""

    original: Objects
    document: Objects
    alternative: Objects
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


def _pool(country: Country, words: list[str]) -> NamePool:
    words = sorted(set(w for w in words if normalise_name(w)))
    scrambled = np.random.default_rng(len(words)).permutation(len(words))
    words = [words[i] for i in scrambled]
    non_latin = country.scheme or any(ord(c) > 0x24F for w in words for c in w)
    latin = [normalise_name(w) if non_latin else w.upper() for w in words]
    alternative = [alternative_spelling(w, country.scheme) for w in words]
    return NamePool(
        original=np.array(words, dtype=object),
        document=np.array(latin, dtype=object),
        alternative=np.array(alternative, dtype=object),
        weight=_zipf(len(words)),
    )


@dataclass(frozen=True, slots=True)
class CountryNames:
    surnames_male: NamePool
    surnames_female: NamePool
    given_male: NamePool
    given_female: NamePool


@cache
def country_names(country: Country) -> CountryNames:
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
