"""The distinct name tokens of an index and the search for tokens like a query token.

Fuzzy search runs over the vocabulary (tens of thousands of distinct tokens), never
over the records (millions): a trigram index and a phonetic key each propose
tokens, Jaro-Winkler verifies them, and only then are records looked up. Trigrams
catch typos, the phonetic key catches respellings that share few trigrams
(IURII / YURIY); either alone misses a good share of the variants.

Token ids are assigned in order of length so that "tokens of length L-2..L+2" is
one contiguous id range: each trigram posting list is sliced to that range with
one binary search instead of being scanned.

Only *words* are searched fuzzily. The joined form of a several-word name
(ANNAMARIA for "ANNA MARIA", GARCIALOPEZ) is a token too, so that a compound
written without spaces matches exactly, but it is never proposed as similar:
at a million people such combinations are nine tokens in ten, and a typo in
one of them is already caught by its words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from broker.matching.normalise import fold, phonetic_key
from broker.matching.scoring import F32, I32, token_similarity

I64 = npt.NDArray[np.int64]
_LENGTH_SLACK = 2
_CACHE_LIMIT = 1 << 16


def icao_key(token: str) -> str:
    """Equate the two ICAO forms of national characters (MUELLER == MULLER)."""
    return token.replace("AE", "A").replace("OE", "O").replace("UE", "U").replace("AA", "A")


def _trigrams(token: str) -> list[str]:
    padded = f"^{token}$"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


def _csr(keys: I64, values: I32) -> tuple[I64, I64, I32]:
    """Group values by key: (distinct keys, offsets, values sorted by key then value)."""
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    distinct, starts = np.unique(keys, return_index=True)
    offsets = np.append(starts, len(keys)).astype(np.int64)
    return distinct, offsets, values.astype(np.int32)


@dataclass(frozen=True, slots=True)
class SimilarTokens:
    """Token ids similar to one query token and their similarity (>= TOKEN_FLOOR)."""

    ids: I32
    similarity: F32


class Vocabulary:
    """Distinct tokens with their folds and fuzzy-lookup indexes."""

    def __init__(self, tokens: list[str], words: npt.NDArray[np.bool_]) -> None:
        self.tokens = tokens
        self.words = words
        self.ids = {t: i for i, t in enumerate(tokens)}
        self._array = np.array(tokens, dtype=object)
        self._icao = np.array([icao_key(t) for t in tokens], dtype=object)
        self._folded = np.array([fold(t) for t in tokens], dtype=object)
        self.lengths = np.array([len(t) for t in tokens], dtype=np.int32)
        self._length_start = np.searchsorted(
            self.lengths, np.arange(self.lengths.max(initial=0) + 2)
        )
        self._build_trigrams()
        self._build_phonetic()
        self._cache: dict[str, SimilarTokens] = {}

    @staticmethod
    def ordered(tokens: Iterable[str]) -> list[str]:
        """Distinct tokens in id order (by length, then alphabetically)."""
        return sorted(set(tokens), key=lambda t: (len(t), t))

    def _build_trigrams(self) -> None:
        grams: dict[str, int] = {}
        keys: list[int] = []
        values: list[int] = []
        for token_id in np.flatnonzero(self.words).tolist():
            for gram in set(_trigrams(self.tokens[token_id])):
                keys.append(grams.setdefault(gram, len(grams)))
                values.append(token_id)
        self._gram_ids = grams
        _, self._gram_offsets, self._gram_tokens = _csr(
            np.array(keys, dtype=np.int64), np.array(values, dtype=np.int32)
        )

    def _build_phonetic(self) -> None:
        groups: dict[str, list[int]] = {}
        for token_id in np.flatnonzero(self.words).tolist():
            groups.setdefault(phonetic_key(self.tokens[token_id]), []).append(token_id)
        self._phonetic = {k: np.array(v, dtype=np.int32) for k, v in groups.items()}

    def __len__(self) -> int:
        return len(self.tokens)

    def clear_cache(self) -> None:
        self._cache.clear()

    def similar(self, token: str) -> SimilarTokens:
        """The token itself and the words whose similarity to it reaches TOKEN_FLOOR."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        own = self.ids.get(token)
        proposed = np.union1d(self._trigram_candidates(token), self._phonetic_candidates(token))
        if own is not None:
            proposed = np.union1d(proposed, np.array([own], dtype=np.int32))
        if len(proposed):
            sims = token_similarity(
                [icao_key(token)],
                self._icao[proposed].tolist(),
                [fold(token)],
                self._folded[proposed].tolist(),
            )[0]
            keep = sims > 0
            found = SimilarTokens(proposed[keep].astype(np.int32), sims[keep])
        else:
            found = SimilarTokens(np.zeros(0, np.int32), np.zeros(0, np.float32))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[token] = found
        return found

    def _trigram_candidates(self, token: str) -> I32:
        length = len(token)
        top = len(self._length_start) - 1
        lo = int(self._length_start[min(max(length - _LENGTH_SLACK, 0), top)])
        hi = int(self._length_start[min(length + _LENGTH_SLACK + 1, top)])
        if hi <= lo:
            return np.zeros(0, np.int32)
        slices = []
        for gram in set(_trigrams(token)):
            gram_id = self._gram_ids.get(gram)
            if gram_id is None:
                continue
            posting = self._gram_tokens[
                self._gram_offsets[gram_id] : self._gram_offsets[gram_id + 1]
            ]
            a, b = np.searchsorted(posting, (lo, hi))
            slices.append(posting[a:b])
        if not slices:
            return np.zeros(0, np.int32)
        counts = np.bincount(np.concatenate(slices) - lo, minlength=hi - lo)
        needed = max(1, min(length - 3, -(-length // 3)))
        return (np.flatnonzero(counts >= needed) + lo).astype(np.int32)

    def _phonetic_candidates(self, token: str) -> I32:
        return self._phonetic.get(phonetic_key(token), np.zeros(0, np.int32))

    def folded(self, ids: I32) -> list[str]:
        return list(self._folded[ids])

    def icao(self, ids: I32) -> list[str]:
        return list(self._icao[ids])

    def strings(self, ids: I32) -> list[str]:
        return list(self._array[ids])
