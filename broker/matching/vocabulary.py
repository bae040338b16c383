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

The similar words of every word in the vocabulary are found once, when a
population index is built (about a second per million people), and kept with
it: a query then pays for a fuzzy lookup only for a token nobody in the index
carries, which is mostly a typo.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from broker.matching.normalise import fold, phonetic_key, skeleton
from broker.matching.postings import EMPTY, I32, I64, distinct, ranges
from broker.matching.similarity import Spellings, icao_key, is_vowelless, similarity_table, spell

_LENGTH_SLACK = 2
# Tokens proposed for blocking must be closer than the scoring floor: a common
# name has dozens of neighbours at 0.8, each a block of records, and the records
# of a true match are reached through its other name or its date anyway.
BLOCK_FLOOR = 0.85
_CACHE_LIMIT = 1 << 16


def _trigrams(token: str) -> list[str]:
    padded = f"^{token}$"
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


class Vocabulary:
    """Distinct tokens with their folds and fuzzy-lookup indexes."""

    def __init__(
        self,
        tokens: list[str],
        words: npt.NDArray[np.bool_],
        neighbours: tuple[I64, I32] = (np.zeros(0, np.int64), EMPTY),
    ) -> None:
        """`neighbours`: the `similar` lists of the words as CSR by token id, if computed."""
        self.tokens = tokens
        self.words = words
        self.ids = {t: i for i, t in enumerate(tokens)}
        self._plain = np.array(tokens, dtype=object)
        self._icao = np.array([icao_key(t) for t in tokens], dtype=object)
        self._folded = np.array([fold(t) for t in tokens], dtype=object)
        self._skeleton = np.array([skeleton(t) for t in tokens], dtype=object)
        self._word_ids = np.flatnonzero(words).astype(np.int32)
        lengths = np.array([len(tokens[i]) for i in self._word_ids.tolist()], dtype=np.int32)
        self._length_start = np.searchsorted(lengths, np.arange(lengths.max(initial=0) + 2))
        self._build_trigrams()
        self._build_phonetic()
        self._cache: dict[str, I32] = {}
        self._neighbour_offsets, self._neighbour_ids = neighbours

    @staticmethod
    def ordered(tokens: Iterable[str]) -> list[str]:
        """Distinct tokens in id order (by length, then alphabetically)."""
        return sorted(set(tokens), key=lambda t: (len(t), t))

    def _build_trigrams(self) -> None:
        """Posting lists of word numbers (the rank of a word among the words, by id)."""
        grams: dict[str, int] = {}
        keys: list[int] = []
        values: list[int] = []
        for number, token_id in enumerate(self._word_ids.tolist()):
            for gram in set(_trigrams(self.tokens[token_id])):
                keys.append(grams.setdefault(gram, len(grams)))
                values.append(number)
        self._gram_ids = grams
        # gram * words + number, sorted: one binary search finds the part of
        # every posting list that lies in a range of word numbers (of lengths).
        count = max(len(self._word_ids), 1)
        gram_keys = np.array(keys, dtype=np.int64) * count + np.array(values, dtype=np.int64)
        self._gram_keys = np.sort(gram_keys)
        self._gram_words = (self._gram_keys % count).astype(np.int32)

    def _build_phonetic(self) -> None:
        """Words by phonetic key, and by consonant skeleton for tokens read without vowels."""
        groups: dict[str, list[int]] = {}
        skeletons: dict[str, list[int]] = {}
        for token_id in np.flatnonzero(self.words).tolist():
            groups.setdefault(phonetic_key(self.tokens[token_id]), []).append(token_id)
            skeletons.setdefault(self._skeleton[token_id], []).append(token_id)
        self._phonetic = {k: np.array(v, dtype=np.int32) for k, v in groups.items()}
        self._skeletons = {k: np.array(v, dtype=np.int32) for k, v in skeletons.items()}

    def __len__(self) -> int:
        return len(self.tokens)

    def clear_cache(self) -> None:
        self._cache.clear()

    def find_neighbours(self) -> tuple[I64, I32]:
        """Find and keep `similar` of every word, as CSR by token id (empty for other tokens)."""
        found = [EMPTY] * len(self.tokens)
        for token_id in np.flatnonzero(self.words).tolist():
            found[token_id] = self._lookup(self.tokens[token_id])
        offsets = np.zeros(len(found) + 1, dtype=np.int64)
        np.cumsum([len(f) for f in found], out=offsets[1:])
        ids = np.concatenate([EMPTY, *found]).astype(np.int32)
        self._neighbour_offsets, self._neighbour_ids = offsets, ids
        return offsets, ids

    def similar(self, token: str) -> I32:
        """The token itself and the words whose similarity to it reaches BLOCK_FLOOR."""
        own = self.ids.get(token)
        if own is not None and len(self._neighbour_offsets) and self.words[own]:
            start, end = self._neighbour_offsets[own : own + 2].tolist()
            found: I32 = self._neighbour_ids[start:end]
            return found
        cached = self._cache.get(token)
        if cached is None:
            cached = self._lookup(token)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = cached
        return cached

    def known_similar(self, token: str) -> I32:
        """`similar` for a word of the vocabulary, or by skeleton for one without vowels; else none.

        A reading by another standard (HNATYSHYN for Гнатишин) either is a word
        the index holds or is not worth a fuzzy search: the first reading had one.
        """
        if token in self.ids:
            return self.similar(token)
        return self._skeleton_candidates(token)

    def _lookup(self, token: str) -> I32:
        proposed = distinct(
            np.concatenate(
                [
                    self._trigram_candidates(token),
                    self._phonetic_candidates(token),
                    self._skeleton_candidates(token),
                    self.exact(token),
                ]
            )
        )
        if len(proposed):
            query = spell([token], query=True)
            sims = similarity_table(query, self.spellings(proposed), edits=False)[0]
            found: I32 = proposed[sims >= BLOCK_FLOOR].astype(np.int32)
            return found
        return EMPTY

    def exact(self, token: str) -> I32:
        """The token's own id, if the vocabulary holds it."""
        own = self.ids.get(token)
        return np.array([] if own is None else [own], dtype=np.int32)

    def _trigram_candidates(self, token: str) -> I32:
        length = len(token)
        top = len(self._length_start) - 1
        lo = int(self._length_start[min(max(length - _LENGTH_SLACK, 0), top)])
        hi = int(self._length_start[min(length + _LENGTH_SLACK + 1, top)])
        grams = [g for g in map(self._gram_ids.get, set(_trigrams(token))) if g is not None]
        if hi <= lo or not grams:
            return EMPTY
        base = np.array(grams, dtype=np.int64) * max(len(self._word_ids), 1)
        at = self._gram_keys.searchsorted(np.concatenate([base + lo, base + hi]))
        hits = self._gram_words[ranges(at[: len(grams)], at[len(grams) :])]
        counts = np.bincount(hits - lo, minlength=hi - lo)
        needed = max(1, min(length - 3, -(-length // 3)))
        return self._word_ids[(counts >= needed).nonzero()[0] + lo]

    def _phonetic_candidates(self, token: str) -> I32:
        return self._phonetic.get(phonetic_key(token), np.zeros(0, np.int32))

    def _skeleton_candidates(self, token: str) -> I32:
        if not is_vowelless(token):
            return EMPTY
        return self._skeletons.get(skeleton(token), EMPTY)

    def spellings(self, ids: I32) -> Spellings:
        return Spellings(
            self._plain[ids].tolist(),
            self._icao[ids].tolist(),
            self._folded[ids].tolist(),
            self._skeleton[ids].tolist(),
        )
