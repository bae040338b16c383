"""The matching core: normalisation, candidate indexes, scoring and biometric search.

Imports numpy and matching libraries only, never the rest of the broker.
"""

from broker.matching.columns import IdentityColumns
from broker.matching.compare import compare
from broker.matching.identity import FieldMatch, Identity, Match, MatchClass
from broker.matching.index import IdentityIndex, NameWeights
from broker.matching.normalise import fold, name_variants, normalise_name, phonetic_key
from broker.matching.vectors import VectorIndex

__all__ = [
    "FieldMatch",
    "Identity",
    "IdentityColumns",
    "IdentityIndex",
    "Match",
    "MatchClass",
    "NameWeights",
    "VectorIndex",
    "compare",
    "fold",
    "name_variants",
    "normalise_name",
    "phonetic_key",
]
