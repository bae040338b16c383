"""Seeded synthetic population for the mocks and the matching benchmarks.

`generate(n, seed)` gives a column-wise `Population`; `labelled_queries` gives
queries with known truth (variants, and negatives close to someone).
"""

from mocks.population.biometrics import FACE, FINGERPRINT, Modality
from mocks.population.documents import check_digit, td3
from mocks.population.names import COUNTRIES, Country
from mocks.population.people import Population, generate
from mocks.population.queries import NEGATIVES, VARIANTS, LabelledQuery, labelled_queries

__all__ = [
    "COUNTRIES",
    "FACE",
    "FINGERPRINT",
    "NEGATIVES",
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
