"""Seeded synthetic population for the mocks and the matching benchmarks.

`generate(n, seed)` gives a column-wise `Population`; `labelled_queries` gives
queries with known truth (variants and near-namesake negatives).
"""

from mocks.population.biometrics import FACE, FINGERPRINT, Modality
from mocks.population.documents import check_digit, td3
from mocks.population.names import COUNTRIES, Country
from mocks.population.people import Population, generate
from mocks.population.queries import NEGATIVE, VARIANTS, LabelledQuery, labelled_queries

__all__ = [
    "COUNTRIES",
    "FACE",
    "FINGERPRINT",
    "NEGATIVE",
    "VARIANTS",
    "Country",
    "LabelledQuery",
    "Modality",
    "Population",
    "check_digit",
    "generate",
    "labelled_queries",
    "td3",
]
