"""Name fields compared as scoring compares them, one record at a time.

A search scores a handful of records after candidate generation, and `compare`
one: in plain Python, each record name field is compared with the query's
fields once per query (many candidates share a surname), each token pair once
per process (see `similarity.token_similarity`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, NamedTuple, TypeVar

from broker.matching.normalise import name_tokens
from broker.matching.similarity import TOKEN_FLOOR, token_similarity

# Content words of a name field kept for scoring (the joined form comes on top).
CONTENT_SLOTS = 3
# Names: similarity -> agreement level in [0, 1], full agreement from 0.98; the
# square root keeps a typo (0.85-0.9) much closer to agreement than to conflict.
_AGREE_FROM, _AGREE_SPAN = 0.72, 0.26
NAME_DISAGREE = -8.0
SWAP_PENALTY = 1.0
SURNAME_WEIGHT_MAX, GIVEN_WEIGHT_MAX = 8.0, 6.0
WEIGHT_MAX = (SURNAME_WEIGHT_MAX, GIVEN_WEIGHT_MAX)
FIELD_WEIGHT_MIN = 2.0
DEFAULT_TOKEN_WEIGHT = 5.0
SURNAME, GIVEN = 0, 1


@dataclass(frozen=True, slots=True)
class NameField:
    """A name field as scoring reads it: the whole name without spaces, and its words.

    `words` are the content words (particles left out), at most CONTENT_SLOTS;
    a one-word name's word is its joined form.
    """

    joined: str
    words: tuple[str, ...]


@lru_cache(maxsize=1 << 17)
def name_field(normalised: str) -> NameField | None:
    """The field of a normalised name (see `normalise.name_tokens`); None when empty."""
    parts = name_tokens(normalised)[: 1 + CONTENT_SLOTS]
    if not parts:
        return None
    return NameField(parts[0], parts[1:] or parts[:1])


def field_similarity(query: NameField, record: NameField) -> float:
    """Similarity in [0, 1] of a record name field with a query name field.

    The joined forms, or the words: each word's best match on the other side,
    averaged both ways. A name that is a subset of the other ("ANNA" vs
    "ANNA MARIA") scores high but below 1.
    """
    joined = token_similarity(query.joined, record.joined)
    # One word each is the usual name: tested without building a tuple per call.
    if (
        len(query.words) == 1
        and len(record.words) == 1
        and query.words[0] == query.joined
        and record.words[0] == record.joined
    ):
        # One word each, the joined forms themselves: the average below, shortened.
        alone: float = 0.9 * joined + 0.1 * joined
        return max(joined, alone)
    table = [[token_similarity(q, r) for r in record.words] for q in query.words]
    forward = sum(max(row) for row in table) / len(query.words)
    backward = sum(max(column) for column in zip(*table, strict=True)) / len(record.words)
    words: float = 0.9 * max(forward, backward) + 0.1 * min(forward, backward)
    return max(joined, words)


def name_evidence(similarity: float, weight: float) -> float:
    """Log-likelihood contribution of one compared name field; `weight` is full agreement's."""
    agreement = math.sqrt(min(max(similarity - _AGREE_FROM, 0.0) / _AGREE_SPAN, 1.0))
    return agreement * (weight - NAME_DISAGREE) + NAME_DISAGREE


def field_weight(field: NameField, role: int, weight_of: Callable[[str], float]) -> float:
    """Evidence of full agreement on a field: its words' weights summed, within bounds."""
    return min(max(sum(map(weight_of, field.words)), FIELD_WEIGHT_MIN), WEIGHT_MAX[role])


def uniform_weight(field: NameField, role: int) -> float:
    """`field_weight` where every token weighs the same (no population to count)."""
    return field_weight(field, role, lambda _: DEFAULT_TOKEN_WEIGHT)


@dataclass(frozen=True, slots=True)
class Reading:
    """One reading of the query's name fields (see `readings`); a field may be missing."""

    surname: NameField | None
    given: NameField | None


class NameScores(NamedTuple):
    """Names of one record against the query: evidence, both similarities, whether swapped.

    A tuple, not a dataclass: one is made per scored record, on the hot path.
    """

    evidence: float
    surname: float
    given: float
    swapped: bool


class _Versus(NamedTuple):
    """One record field against one query field: similarity and evidence."""

    similarity: float
    evidence: float


_ABSENT = _Versus(0.0, 0.0)
# Rounding room when deciding that crossed names cannot beat straight ones.
_SLACK = 1e-9
# A record name field and the evidence of full agreement on it.
RecordField = tuple[NameField | None, float]
Key = TypeVar("Key", bound=Hashable)


class NameScorer(Generic[Key]):
    """The query's readings against record name fields, each pair of fields compared once.

    `resolve` gives a record field and its weight from its key (whatever names
    a field in the caller: a display id), once per key; `weight_of` gives the
    weight of a query token.
    """

    def __init__(
        self,
        readings: Sequence[Reading],
        weight_of: Callable[[str], float],
        resolve: Callable[[Key], RecordField],
    ) -> None:
        self._readings = readings
        self._fields_of = [(reading.surname, reading.given) for reading in readings]
        self._weight_of = weight_of
        self._resolve = resolve
        self._records: dict[Key, RecordField] = {}
        self._against: tuple[dict[Key, tuple[_Versus, ...]], ...] = ({}, {})
        # Per reading, the evidence of full agreement on each query field (0: none).
        self._weights = [
            tuple(field_weight(f, role, weight_of) if f else 0.0
                  for role, f in enumerate(fields))
            for fields in self._fields_of
        ]  # fmt: skip

    def scores(self, surname: Key, given: Key, needed: float | None = None) -> NameScores | None:
        """A record's names (by key) against the query's best reading for them.

        Straight, or crossed (names in each other's field) if both crossed pairs
        agree and give more evidence. None when they cannot give `needed`
        evidence: a field that disagrees spares comparing the others.
        """
        best: NameScores | None = None
        for k in range(len(self._readings)):
            scores = self._reading(k, surname, given, needed)
            if scores is not None and (best is None or scores.evidence > best.evidence):
                best = scores
        return best

    def record_field(self, key: Key) -> NameField | None:
        """The record field of `key`, as resolved for `scores`."""
        return self._record(key)[0]

    def _reading(self, k: int, surname: Key, given: Key, needed: float | None) -> NameScores | None:
        """`scores` for the k-th reading; crossed pairs are compared only where they could win."""
        s = self._versus(SURNAME, surname)[k]
        most_crossed = self._most_crossed(k, surname, given)
        if needed is not None and s.evidence + self._most(k, GIVEN, given) + _SLACK < needed:
            # Only crossed names could give enough, and only if they agree.
            if most_crossed + _SLACK < needed or not self._given_as_surname(k, given):
                return None
        g = self._versus(GIVEN, given)[k]
        straight = NameScores(s.evidence + g.evidence, s.similarity, g.similarity, False)
        if most_crossed + _SLACK > straight.evidence and self._given_as_surname(k, given):
            return self._crossed(k, surname, given, straight)
        return straight

    def _given_as_surname(self, k: int, given: Key) -> bool:
        """Whether the record's given names agree with the query's surname (crossed names)."""
        return self._versus(SURNAME, given)[k].similarity >= TOKEN_FLOOR

    def _most(self, k: int, role: int, key: Key) -> float:
        """The most evidence the record field `key` can give against query field `role`."""
        field, weight = self._record(key)
        if field is None or self._fields_of[k][role] is None:
            return 0.0
        return min(weight, self._weights[k][role])

    def _most_crossed(self, k: int, surname: Key, given: Key) -> float:
        """The most evidence crossed names can give (-inf: they cannot be crossed)."""
        if self._record(given)[0] is None or self._fields_of[k][SURNAME] is None:
            return -math.inf
        return self._most(k, SURNAME, given) + self._most(k, GIVEN, surname) - SWAP_PENALTY

    def _crossed(self, k: int, surname: Key, given: Key, straight: NameScores) -> NameScores:
        given_as_surname = self._versus(SURNAME, given)[k]
        surname_as_given = self._versus(GIVEN, surname)[k]
        crossed = given_as_surname.evidence + surname_as_given.evidence - SWAP_PENALTY
        agree = surname_as_given.similarity >= TOKEN_FLOOR or self._readings[k].given is None
        if crossed > straight.evidence and agree:
            return NameScores(
                crossed, given_as_surname.similarity, surname_as_given.similarity, True
            )
        return straight

    def _record(self, key: Key) -> RecordField:
        found = self._records.get(key)
        if found is None:
            found = self._records[key] = self._resolve(key)
        return found

    def _versus(self, role: int, key: Key) -> tuple[_Versus, ...]:
        """The record field `key` against the query field `role` of every reading."""
        found = self._against[role].get(key)
        if found is None:
            field, weight = self._record(key)
            found = self._against[role][key] = tuple(
                _versus(fields[role], weights[role], field, weight)
                for fields, weights in zip(self._fields_of, self._weights, strict=True)
            )
        return found


def _versus(
    query: NameField | None, query_weight: float, record: NameField | None, weight: float
) -> _Versus:
    if query is None or record is None:
        return _ABSENT
    similarity = field_similarity(query, record)
    return _Versus(similarity, name_evidence(similarity, min(weight, query_weight)))
