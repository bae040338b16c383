"""`IdentityIndex`: candidate generation and scoring over column-wise records.

A search is three steps:
1. the query's name tokens are looked up *in the vocabulary* (exact, trigram,
   phonetic; for the index's own words found once at build time), giving the
   similar tokens;
2. blocking keys (token id, birth year, birth month) for the similar tokens, the
   birth year, and years +-1 in the same month (plus the exact document and visa
   sticker number) give candidate entries (an entry is a record's name or one of
   its aliases);
3. the fields other than the names are compared for every candidate (over
   arrays when there are many), and entries that these leave no chance are
   dropped; the few left are scored one by one, names exactly as `compare`
   does whatever the vocabulary lookup proposed, and the best entry per record wins.

Only the returned matches get their explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from broker.matching.columns import IdentityColumns, Objects
from broker.matching.explain import Compared, Held, match
from broker.matching.identity import Identity, Match
from broker.matching.names import (
    CONTENT_SLOTS,
    DEFAULT_TOKEN_WEIGHT,
    GIVEN,
    NAME_DISAGREE,
    SURNAME,
    SWAP_PENALTY,
    NameField,
    NameScorer,
    NameScores,
    name_field,
)
from broker.matching.normalise import normalise_document, normalise_name
from broker.matching.postings import EMPTY, I64, distinct, gather, group, ranges
from broker.matching.query import SEX_CODES, SEX_LETTERS, Query, prepare
from broker.matching.scoring import (
    EXACT,
    F32,
    F64,
    I8,
    I32,
    MISSING,
    NATIONALITY_WEIGHT,
    NATIONALITY_WEIGHT_MAX,
    NATIONALITY_WEIGHT_MIN,
    SIMILAR_THRESHOLD,
    VISA_WEIGHT,
    calibrate,
    code_of,
    date_code,
    date_codes_packed,
    date_sex_evidence,
    document_evidence_bound,
    field_weights,
    month_day,
    nationality_code,
    other_evidence,
    required_evidence,
    score_offset,
    sex_code,
    sex_codes,
    token_weight,
    with_names,
)
from broker.matching.similarity import keep_table, similarity_table, spell
from broker.matching.vocabulary import Vocabulary

_YEAR_BASE = 1880
_DEFAULT_NATIONALITY_WEIGHT = 1.0
# Up to this many candidates, each is compared in plain Python: below it a
# numpy call per field costs more than the comparisons themselves.
FEW_CANDIDATES = 16
# An index of up to this many entries is scored whole, without candidate generation.
SMALL_INDEX = 16
# Query tokens weighed by a lent population, kept per index.
_LENT_KEPT = 1 << 14
# From this many entries left after the first pass, their names are bounded in bulk.
_MANY_ROWS = 24


# Blocking keys: token, then year code (0 unknown), then month (0 unknown).
_MONTH_BITS = 4
_TOKEN_SHIFT = 8 + _MONTH_BITS


def _year_code(year: npt.NDArray[np.integer] | int) -> npt.NDArray[np.int64]:
    y = np.asarray(year, dtype=np.int64)
    return np.where(y > 0, np.clip(y - _YEAR_BASE, 1, 255), 0)


@cache
def _block_keys(year: int, month: int) -> I64:
    """The blocks a query date reaches: [start, end) key ranges relative to a token's first key.

    An unknown year reaches every block. Otherwise: the unknown year (whose
    blocks ignore the month), the same year (any month), and years +-1 only in
    the same or an unknown month, since a year off by one *and* another month
    scores a date conflict that no name agreement outweighs (the document keys
    still find such a record).
    """
    if year <= 0:
        return _frozen([0, 1 << _TOKEN_SHIFT])
    code = int(_year_code(year))
    before, after = max(code - 1, 1), min(code + 1, 255)
    if month <= 0:
        return _frozen([0, 1, before << _MONTH_BITS, (after + 1) << _MONTH_BITS])
    singles = [0, (code - 1) << _MONTH_BITS, ((code - 1) << _MONTH_BITS) + month]
    singles = singles[:1] if before == code else singles
    # The same year's blocks run straight into the next year's unknown month.
    end = (code + 1) << _MONTH_BITS
    if after > code:
        singles.append(end + month)
        end += 1
    return _frozen(
        [code << _MONTH_BITS, end, *(k for single in singles for k in (single, single + 1))]
    )


def _frozen(values: list[int]) -> I64:
    array = np.array(values, dtype=np.int64)
    array.flags.writeable = False
    return array


def _factorise(values: Objects) -> tuple[I32, list[str]]:
    seen: dict[str, int] = {}
    codes = np.fromiter(
        (seen.setdefault(v or "", len(seen)) for v in values), dtype=np.int32, count=len(values)
    )
    return codes, list(seen)


def _codes(values: Objects) -> npt.NDArray[np.bytes_]:
    return np.array([normalise_document(v or "") for v in values], dtype=np.bytes_)


@dataclass(frozen=True, slots=True)
class NameWeights:
    """What term-frequency weights are made of: how many entries carry each name token.

    Taken from a population index (`IdentityIndex.name_weights`) and lent to
    smaller indexes of records of the same population (`build_with_weights`).
    """

    entries: int
    frequency: Mapping[str, int]
    nationality: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class _Tables:
    """Every array of an index; saved and loaded as one .npz file."""

    tokens: npt.NDArray[np.str_]
    words: npt.NDArray[np.bool_]
    # Distinct name fields as displayed (normalised): surnames first, then given names.
    displays: npt.NDArray[np.str_]
    surname_displays: npt.NDArray[np.int64]
    # Per display: its joined token and content tokens (-1 pads, -1 joined: no name),
    # and the evidence of full agreement on it.
    display_joined: I32
    display_content: I32
    display_weight: F32
    nationalities: npt.NDArray[np.str_]
    token_frequency: npt.NDArray[np.int64]
    nationality_weight: F32
    # The entries the weights were counted over (0: uniform weights); see `score_offset`.
    population: npt.NDArray[np.int64]
    entry_record: I32
    record_entries: I64
    sur_display: I32
    giv_display: I32
    year: npt.NDArray[np.int16]
    month: I8
    day: I8
    sex: I8
    nationality: npt.NDArray[np.int16]
    document: npt.NDArray[np.bytes_]
    visa: npt.NDArray[np.bytes_]
    block_keys: I64
    block_offsets: I64
    block_entries: I32
    document_order: I32
    visa_order: I32
    # The similar words of each word (see `Vocabulary.find_neighbours`); empty if not computed.
    neighbour_offsets: I64
    neighbour_ids: I32


# The columns of `_Facts.matrix`.
_RECORD, _YEAR, _MONTH_DAY, _SEX, _NATIONALITY, _SURNAME, _GIVEN = range(7)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What comparing a candidate reads, per entry: one gather for all of it."""

    # record, year, month and day packed, sex, nationality, surname and given display
    matrix: I32
    # Most evidence the names of an entry can give (full agreement on both).
    name_bound: F32

    @classmethod
    def of(cls, t: _Tables) -> _Facts:
        records = t.entry_record
        columns = (
            records,
            t.year[records],
            month_day(t.month[records].astype(np.int32), t.day[records].astype(np.int32)),
            t.sex[records],
            t.nationality[records],
            t.sur_display,
            t.giv_display,
        )
        weight = t.display_weight
        return cls(
            matrix=np.stack([c.astype(np.int32) for c in columns], axis=1),
            name_bound=weight[t.sur_display] + weight[t.giv_display],
        )


@dataclass(frozen=True, slots=True)
class _Whole:
    """Every entry of an index of a few, with their facts and their records' document and
    visa numbers as lists: what `_rows` reads when such an index is scored whole."""

    entries: I32
    entry_list: list[int]
    facts: list[list[int]]
    documents: list[bytes]
    visas: list[bytes]


class _Row(NamedTuple):
    """A candidate entry that may still reach the minimum score: its codes and their evidence.

    A tuple, not a dataclass: one is made per candidate, on the hot path.
    """

    entry: int
    record: int
    surname: int
    given: int
    date: int
    sex: int
    nationality: int
    document: int
    visa: int
    other: float


class _Scored(NamedTuple):
    row: _Row
    names: NameScores
    # The sex code, OTHER_FORM where the surname's form says another sex.
    sex: int
    score: float


class IdentityIndex:
    """Identity records held column-wise with fuzzy candidate search; see module doc."""

    def __init__(self, tables: _Tables, lent: NameWeights | None = None) -> None:
        """`lent`: the population whose frequencies weigh query tokens (`build_with_weights`)."""
        self._t = tables
        self._lent = lent
        self._lent_weights: dict[str, float] = {}
        self._vocab = Vocabulary(
            tables.tokens.tolist(),
            tables.words,
            (tables.neighbour_offsets, tables.neighbour_ids),
        )
        self._displays: list[str] = tables.displays.tolist()
        self._display_weight: list[float] = tables.display_weight.tolist()
        self._nationality_names: list[str] = tables.nationalities.tolist()
        self._nationality_ids = {n: i for i, n in enumerate(self._nationality_names) if n}
        self._nationality_cache: dict[int, tuple[F64, list[int], list[float]]] = {}
        self._facts = _Facts.of(tables)
        self._whole: _Whole | None = None
        self._display_tokens = np.concatenate(
            [tables.display_joined[:, None], tables.display_content], axis=1
        )
        population = int(tables.population)
        self._offset = score_offset(population)
        self._token_weight: list[float] = (
            token_weight(tables.token_frequency, population).tolist() if population else []
        )
        self._unknown_weight = (
            float(token_weight(np.zeros(1, np.int64), population)[0])
            if population
            else DEFAULT_TOKEN_WEIGHT
        )
        self._documents = tables.document[tables.document_order]
        self._visas = tables.visa[tables.visa_order]

    # ---- building -----------------------------------------------------------------

    @classmethod
    def build(
        cls, identities: Iterable[Identity] | IdentityColumns, population_weights: bool = True
    ) -> IdentityIndex:
        """Index identities; without `population_weights` every name token weighs the same.

        Term-frequency weights need a population: for a handful of records they
        would be noise (see `build_with_weights` for records of a known
        population). Such an index also skips finding the similar words of each
        word up front, which pays off over many searches, not over one.
        """
        tables = _build_tables(_columns(identities))
        if not population_weights:
            uniform = np.full(len(tables.tokens), DEFAULT_TOKEN_WEIGHT, dtype=np.float32)
            return cls(
                replace(
                    tables,
                    display_weight=_display_weights(tables, uniform),
                    population=np.array(0, dtype=np.int64),
                    nationality_weight=np.full_like(
                        tables.nationality_weight, _DEFAULT_NATIONALITY_WEIGHT
                    ),
                )
            )
        return cls(tables)._with_neighbours()

    @classmethod
    def build_with_weights(
        cls, identities: Iterable[Identity] | IdentityColumns, weights: NameWeights
    ) -> IdentityIndex:
        """Index records that belong to the population `weights` describe.

        A seeded test session holds records whose travellers come from the
        synthetic population: SMITH must weigh as little there as in the
        population index, and a rare name as much, so that a record scores the
        same in both. Only an index of many records finds the similar words of
        each word up front (see `build`).
        """
        tables = _build_tables(_columns(identities))
        frequency = np.array(
            [weights.frequency.get(t, 0) for t in tables.tokens.tolist()], dtype=np.int64
        )
        nationality = [weights.nationality.get(n, _DEFAULT_NATIONALITY_WEIGHT) for n in
                       tables.nationalities.tolist()]  # fmt: skip
        index = cls(
            replace(
                tables,
                token_frequency=frequency,
                population=np.array(weights.entries, dtype=np.int64),
                display_weight=_display_weights(tables, token_weight(frequency, weights.entries)),
                nationality_weight=np.array(nationality, dtype=np.float32),
            ),
            lent=weights,
        )
        return index._with_neighbours() if len(index) > SMALL_INDEX else index

    def _with_neighbours(self) -> IdentityIndex:
        offsets, ids = self._vocab.find_neighbours()
        self._t = replace(self._t, neighbour_offsets=offsets, neighbour_ids=ids)
        return self

    def name_weights(self) -> NameWeights:
        """This index's token frequencies and nationality weights, for `build_with_weights`."""
        t = self._t
        return NameWeights(
            entries=int(t.population),
            frequency=dict(zip(t.tokens.tolist(), t.token_frequency.tolist(), strict=True)),
            nationality=dict(
                zip(t.nationalities.tolist(), t.nationality_weight.tolist(), strict=True)
            ),
        )

    def __len__(self) -> int:
        return len(self._t.year)

    def clear_cache(self) -> None:
        """Forget the similar-token lookups of earlier queries (for cold measurements).

        Only tokens outside the vocabulary are looked up per query (mostly typos);
        the similar words of the index's own words are part of the index.
        """
        self._vocab.clear_cache()

    @property
    def vocabulary_size(self) -> int:
        return len(self._vocab)

    def save(self, path: str | Path) -> None:
        arrays = {f.name: getattr(self._t, f.name) for f in fields(_Tables)}
        with open(path, "wb") as out:
            np.savez(out, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> IdentityIndex:
        with np.load(path, allow_pickle=False) as data:
            return cls(_Tables(**{f.name: data[f.name] for f in fields(_Tables)}))

    def identity(self, position: int) -> Identity:
        """The record at `position` in its normalised form (aliases included)."""
        t = self._t
        first, last = int(t.record_entries[position]), int(t.record_entries[position + 1])
        names = [
            (self._displays[t.sur_display[e]], tuple(self._displays[t.giv_display[e]].split()))
            for e in range(first, last)
        ]
        y, m, d = int(t.year[position]), int(t.month[position]), int(t.day[position])
        return Identity(
            surname=names[0][0],
            given_names=names[0][1],
            date_of_birth=f"{y:04d}-{m:02d}-{d:02d}" if y else "",
            sex=SEX_LETTERS[int(t.sex[position])],
            nationality=str(t.nationalities[t.nationality[position]]),
            document_number=t.document[position].decode(),
            visa_sticker_number=t.visa[position].decode(),
            aliases=tuple(names[1:]),
        )

    # ---- searching ----------------------------------------------------------------

    def search(
        self, query: Identity, limit: int = 10, min_score: float = SIMILAR_THRESHOLD
    ) -> list[Match]:
        """Records like `query`, best first, at most `limit`, score >= `min_score`.

        An index of a few entries is scored whole: cheaper than finding candidates.
        """
        prepared = self._prepare(query)
        entries = (
            self._candidates(prepared)
            if len(self._t.entry_record) > FEW_CANDIDATES
            else self._every_entry()
        )
        return self._rank(prepared, self._score(prepared, entries, min_score), limit)

    def search_batch(
        self, queries: Sequence[Identity], limit: int = 10, min_score: float = SIMILAR_THRESHOLD
    ) -> list[list[Match]]:
        """Many queries in one call; they share the similar-token cache."""
        return [self.search(q, limit, min_score) for q in queries]

    def candidates(self, query: Identity) -> npt.NDArray[np.int32]:
        """Record positions proposed by candidate generation alone (to measure its recall)."""
        entries = self._candidates(self._prepare(query))
        return np.unique(self._t.entry_record[entries])

    def score_all(self, query: Identity) -> list[Match]:
        """Score every record without candidate generation (small indexes, tests)."""
        prepared = self._prepare(query)
        return self._rank(prepared, self._score(prepared, self._every_entry(), 0.0), len(self))

    def _prepare(self, query: Identity) -> Query:
        nationality = query.nationality.upper()
        known = self._nationality_ids.get(nationality, len(self._nationality_ids) + 1)
        return prepare(query, known if nationality else 0)

    def _candidates(self, query: Query) -> I32:
        t, names, vocab = self._t, query.names, self._vocab
        found = [self._by_code(query.document, self._documents, t.document_order)]
        found.append(self._by_code(query.visa, self._visas, t.visa_order))
        similar = [vocab.similar(token) for token in names.words]
        similar += [vocab.known_similar(token) for token in names.reading_words]
        searched = names.words | names.reading_words
        exact = [vocab.ids.get(token, -1) for token in names.tokens if token not in searched]
        similar.append(np.array([i for i in exact if i >= 0], dtype=np.int32))
        found.append(self._by_name(distinct(np.concatenate(similar)), query.date))
        return distinct(np.concatenate(found))

    def _by_name(self, token_ids: I32, date: tuple[int, int, int]) -> I32:
        """The entries in the blocks of these tokens that the date reaches (see `_block_keys`)."""
        t = self._t
        if not len(t.block_keys) or not len(token_ids):
            return EMPTY
        keys = (token_ids.astype(np.int64) << _TOKEN_SHIFT)[:, None] + _block_keys(*date[:2])
        at = t.block_offsets[t.block_keys.searchsorted(keys.ravel())].reshape(-1, 2)
        return gather(at[:, 0], at[:, 1], t.block_entries)

    def _by_code(self, code: bytes, sorted_values: npt.NDArray[np.bytes_], order: I32) -> I32:
        if not code or not len(order):
            return EMPTY
        lo = int(sorted_values.searchsorted(code))
        hi = lo
        while hi < len(sorted_values) and sorted_values[hi] == code:
            hi += 1
        if lo == hi:
            return EMPTY
        records = order[lo:hi]
        t = self._t
        return ranges(t.record_entries[records], t.record_entries[records + 1])

    def _score(self, query: Query, entries: I32, min_score: float) -> list[_Scored]:
        """Score entries; those that cannot reach `min_score` are dropped as soon as that shows.

        The fields other than the names are a few integer comparisons per entry,
        the names are the expensive part: scoring them only for entries whose
        date, sex, nationality and documents leave a chance keeps a search cheap
        when a common name proposes thousands of entries.
        """
        needed = required_evidence(min_score, self._offset)
        if needed is not None and len(entries) > FEW_CANDIDATES:
            entries = self._may_reach(query, entries, needed)
        rows = self._rows(query, entries, needed)
        if not rows:
            return []
        scorer = NameScorer(query.names.readings, self._query_weight, self._record_field)
        surname = query.names.surname_token
        scored = []
        for row in rows:
            found = with_names(scorer, surname, row.surname, row.given, row.sex, row.other, needed)
            if found is None:
                continue
            names, sex, total = found
            if needed is not None and total < needed:
                continue
            score = calibrate(total, self._offset)
            if score >= min_score:
                scored.append(_Scored(row, names, sex, score))
        return scored

    def _may_reach(self, query: Query, entries: I32, needed: float) -> I32:
        """The entries that may give `needed` evidence, by upper bounds over arrays.

        Every field but the names as it compares (documents at most one
        character off where one character differs), the names as full
        agreement; where many are left, the names bounded closer.
        """
        t = self._t
        facts = self._facts.matrix[entries]
        records, nationalities = facts[:, _RECORD], facts[:, _NATIONALITY]
        date = date_codes_packed(query.date, facts[:, _YEAR], facts[:, _MONTH_DAY])
        sex = sex_codes(query.sex, facts[:, _SEX])
        weights_of = self._nationality_tables(query.nationality)[0]
        most = (
            date_sex_evidence(date, sex, query.named)
            + weights_of[nationalities]
            + self._facts.name_bound[entries]
        )
        if query.document:
            most += document_evidence_bound(query.document, t.document[records])
        if query.visa:
            most += np.where(t.visa[records] == query.visa, VISA_WEIGHT[EXACT], 0.0)
        keep = (most >= needed).nonzero()[0]
        if len(keep) > _MANY_ROWS:
            names = most[keep] - self._facts.name_bound[entries[keep]]
            keep = keep[self._names_may_reach(query, facts[keep], needed - names)]
        return entries[keep]

    def _names_may_reach(self, query: Query, facts: I32, needed: F64) -> npt.NDArray[np.intp]:
        """The entries whose names may give `needed` evidence, bounded by token similarity.

        A field none of whose tokens is like any query token disagrees fully;
        any other may agree fully. Where many entries are left (a year of birth
        alone, a common name), this drops those that share one name but not the
        other before each is scored, and keeps the token pairs of the rest
        for scoring (see `similarity.token_similarity`).
        """
        surname, given = facts[:, _SURNAME], facts[:, _GIVEN]
        displays, inverse = np.unique(np.concatenate([surname, given]), return_inverse=True)
        slots = self._display_tokens[displays]
        ids = distinct(slots[slots >= 0])
        table = similarity_table(spell(query.names.tokens, query=True), self._vocab.spellings(ids))
        best = np.append(table.max(axis=0, initial=0.0), 0.0)
        at = np.where(slots >= 0, ids.searchsorted(slots), len(ids))
        alike = best[at].max(axis=1) > 0
        bound = np.where(alike, self._t.display_weight[displays], NAME_DISAGREE)
        bound[slots[:, 0] < 0] = 0.0
        n = len(surname)
        sur, giv = bound[inverse[:n]], bound[inverse[n:]]
        # A field of the query that some reading lacks adds nothing there (0).
        readings = query.names.readings
        if not all(r.surname for r in readings):
            sur_s, giv_s = np.maximum(sur, 0.0), np.maximum(giv, 0.0)
        else:
            sur_s, giv_s = sur, giv
        if not all(r.given for r in readings):
            sur_g, giv_g = np.maximum(sur, 0.0), np.maximum(giv, 0.0)
        else:
            sur_g, giv_g = sur, giv
        most = np.maximum(sur_s + giv_g, giv_s + sur_g - SWAP_PENALTY)
        keep: npt.NDArray[np.intp] = (most >= needed).nonzero()[0]
        kept = slots[distinct(np.concatenate([inverse[keep], inverse[keep + n]]))]
        columns = ids.searchsorted(distinct(kept[kept >= 0]))
        tokens = self._vocab.tokens
        keep_table(
            query.names.tokens, [tokens[i] for i in ids[columns].tolist()], table[:, columns]
        )
        return keep

    def _rows(self, query: Query, entries: I32, needed: float | None) -> list[_Row]:
        """Every field but the names of each entry, compared; those that may reach `needed`."""
        t, whole = self._t, self._whole
        if whole is not None and entries is whole.entries:
            # A few entries scored whole: their facts as lists, made once, not per search.
            entry_list, fact_list = whole.entry_list, whole.facts
            held_documents, held_visas = whole.documents, whole.visas
        else:
            facts = self._facts.matrix[entries]
            records = facts[:, _RECORD]
            entry_list, fact_list = entries.tolist(), facts.tolist()
            held_documents, held_visas = t.document[records].tolist(), t.visa[records].tolist()
        documents = held_documents if query.document else None
        visas = held_visas if query.visa else None
        _, codes_of, weights_of = self._nationality_tables(query.nationality)
        weight = self._display_weight
        named = query.named
        rows = []
        for i, (entry, fact) in enumerate(zip(entry_list, fact_list, strict=True)):
            record, year, packed, sex, nationality, surname, given = fact
            codes = (
                date_code(query.date, year, packed),
                sex_code(query.sex, sex),
                codes_of[nationality],
                code_of(query.document, documents[i], one_off=True) if documents else MISSING,
                code_of(query.visa, visas[i], one_off=False) if visas else MISSING,
            )
            other = other_evidence(
                codes[0], codes[1], weights_of[nationality], codes[3], codes[4], named
            )
            if needed is None or other + weight[surname] + weight[given] >= needed:
                rows.append(_Row(entry, record, surname, given, *codes, other))
        return rows

    def _every_entry(self) -> I32:
        """Every entry, to be scored whole. For an index of a few, `_rows` reads them from
        lists made with this array, once."""
        count = len(self._t.entry_record)
        if count > FEW_CANDIDATES:
            return np.arange(count, dtype=np.int32)
        if self._whole is None:
            facts = self._facts.matrix
            records = facts[:, _RECORD]
            self._whole = _Whole(
                np.arange(count, dtype=np.int32),
                list(range(count)),
                facts.tolist(),
                self._t.document[records].tolist(),
                self._t.visa[records].tolist(),
            )
        return self._whole.entries

    def _query_weight(self, token: str) -> float:
        """The weight of a query token as the index weighs its own (one it lacks: rare).

        An index of a few records of a population weighs it as the population does.
        """
        if not self._token_weight:
            return DEFAULT_TOKEN_WEIGHT
        if self._lent is not None:
            return self._lent_weight(self._lent, token)
        known = self._vocab.ids.get(token)
        return self._unknown_weight if known is None else self._token_weight[known]

    def _lent_weight(self, lent: NameWeights, token: str) -> float:
        weight = self._lent_weights.get(token)
        if weight is None:
            if len(self._lent_weights) >= _LENT_KEPT:
                self._lent_weights.clear()
            frequency = np.array([lent.frequency.get(token, 0)], dtype=np.int64)
            weight = self._lent_weights[token] = float(token_weight(frequency, lent.entries)[0])
        return weight

    def _record_field(self, display: int) -> tuple[NameField | None, float]:
        return name_field(self._displays[display]), self._display_weight[display]

    def _nationality_tables(self, code: int) -> tuple[F64, list[int], list[float]]:
        """Weight and code of each record nationality against the query's (`code`).

        The weight of agreeing on a nationality depends on how common it is. A
        query has one nationality, so both are one lookup per record, kept per
        nationality (the weights also as an array).
        """
        tables = self._nationality_cache.get(code)
        if tables is None:
            codes = [nationality_code(code, n) for n in range(len(self._nationality_names))]
            weights = [
                self._nationality_weight(code) if c == EXACT else float(NATIONALITY_WEIGHT[c])
                for c in codes
            ]
            tables = (np.array(weights), codes, weights)
            self._nationality_cache[code] = tables
        return tables

    def _nationality_weight(self, code: int) -> float:
        weights = self._t.nationality_weight
        return float(weights[code]) if 0 < code < len(weights) else _DEFAULT_NATIONALITY_WEIGHT

    def _rank(self, query: Query, scored: list[_Scored], limit: int) -> list[Match]:
        """The best entry of each record, best records first, with their explanation."""
        best: dict[int, _Scored] = {}
        for entry in sorted(scored, key=lambda s: -s.score):
            if len(best) == limit:
                break
            best.setdefault(entry.row.record, entry)
        return [self._match(query, s) for s in best.values()]

    def _match(self, query: Query, scored: _Scored) -> Match:
        t = self._t
        row, record = scored.row, scored.row.record
        held = Held(
            surname=self._displays[row.surname],
            given=self._displays[row.given],
            date=(int(t.year[record]), int(t.month[record]), int(t.day[record])),
            sex=SEX_LETTERS[int(t.sex[record])],
            nationality=self._nationality_names[t.nationality[record]],
            document=t.document[record].decode(),
            visa=t.visa[record].decode(),
        )
        compared = Compared(
            surname=scored.names.surname,
            given=scored.names.given,
            swapped=scored.names.swapped,
            date=row.date,
            sex=scored.sex,
            nationality=row.nationality,
            document=row.document,
            visa=row.visa,
        )
        return match(record, query, held, compared, scored.score)


def _name_table(raw: Objects) -> tuple[I32, list[str], list[NameField | None]]:
    """Per row its display id; the displays (normalised names) and their fields."""
    codes, values = _factorise(raw)
    displays = [normalise_name(value) for value in values]
    return codes, displays, [name_field(display) for display in displays]


def _display_weights(tables: _Tables, weight: F32) -> F32:
    """The evidence of full agreement on each display, its words weighing `weight`."""
    roles = np.full(len(tables.displays), GIVEN, dtype=np.int8)
    roles[: int(tables.surname_displays)] = SURNAME
    return field_weights(tables.display_content, roles, weight)


def _build_tables(columns: IdentityColumns) -> _Tables:
    n = len(columns)
    entry_record = np.concatenate([np.arange(n, dtype=np.int32), columns.alias_record])
    order = np.argsort(entry_record, kind="stable")
    entry_record = entry_record[order].astype(np.int32)
    sur_codes, sur_displays, sur_fields = _name_table(
        np.concatenate([columns.surname, columns.alias_surname])[order]
    )
    giv_codes, giv_displays, giv_fields = _name_table(
        np.concatenate([columns.given_names, columns.alias_given_names])[order]
    )
    name_fields = sur_fields + giv_fields
    tokens = Vocabulary.ordered(
        t for f in name_fields if f is not None for t in (f.joined, *f.words)
    )
    ids = {token: i for i, token in enumerate(tokens)}
    # Per display: the joined token, then the content words that are not it (-1 pads).
    slots = np.full((len(name_fields), 1 + CONTENT_SLOTS), -1, dtype=np.int32)
    content = np.full((len(name_fields), CONTENT_SLOTS), -1, dtype=np.int32)
    for i, f in enumerate(name_fields):
        if f is not None:
            slots[i, 0] = ids[f.joined]
            extra = [ids[w] for w in f.words if w != f.joined]
            slots[i, 1 : 1 + len(extra)] = extra
            content[i, : len(f.words)] = [ids[w] for w in f.words]
    giv_codes = giv_codes + len(sur_displays)
    stacked = np.concatenate([slots[sur_codes], slots[giv_codes]], axis=1)
    frequency = np.bincount(stacked[stacked >= 0], minlength=len(tokens)).astype(np.int64)
    words = np.zeros(len(tokens), dtype=np.bool_)
    words[content[content >= 0]] = True

    year = columns.birth_year.astype(np.int16)
    month = columns.birth_month.astype(np.int8)
    entry_year = _year_code(year[entry_record])
    date_key = (entry_year << _MONTH_BITS) | np.where(entry_year > 0, month[entry_record], 0)
    keys = (stacked.astype(np.int64) << _TOKEN_SHIFT) | date_key[:, None]
    rows = np.broadcast_to(np.arange(len(entry_record), dtype=np.int32)[:, None], stacked.shape)
    valid = stacked >= 0
    block_keys, block_offsets, block_entries = group(keys[valid], rows[valid])

    nationality_codes, nationalities = _factorise(columns.nationality)
    if "" not in nationalities:
        nationalities.append("")
    empty = nationalities.index("")
    # Code 0 means unknown: swap the empty string into slot 0.
    remap = np.arange(len(nationalities))
    remap[[0, empty]] = remap[[empty, 0]]
    nationalities[0], nationalities[empty] = nationalities[empty], nationalities[0]
    nationality = remap[nationality_codes].astype(np.int16)
    share = np.bincount(nationality, minlength=len(nationalities)) / max(n, 1)
    nationality_weight = np.clip(
        np.log(0.95 / np.maximum(share, 1e-9)), NATIONALITY_WEIGHT_MIN, NATIONALITY_WEIGHT_MAX
    )

    document, visa = _codes(columns.document_number), _codes(columns.visa_sticker_number)
    sexes = np.array([SEX_CODES.get((s or "").upper(), 0) for s in columns.sex], dtype=np.int8)
    tables = _Tables(
        tokens=np.array(tokens, dtype=np.str_),
        words=words,
        displays=np.array(sur_displays + giv_displays, dtype=np.str_),
        surname_displays=np.array(len(sur_displays), dtype=np.int64),
        display_joined=slots[:, 0].copy(),
        display_content=content,
        display_weight=np.zeros(len(name_fields), dtype=np.float32),
        nationalities=np.array(nationalities, dtype=np.str_),
        token_frequency=frequency,
        nationality_weight=nationality_weight.astype(np.float32),
        population=np.array(len(entry_record), dtype=np.int64),
        entry_record=entry_record,
        record_entries=np.searchsorted(entry_record, np.arange(n + 1)).astype(np.int64),
        sur_display=sur_codes,
        giv_display=giv_codes,
        year=year,
        month=month,
        day=columns.birth_day.astype(np.int8),
        sex=sexes,
        nationality=nationality,
        document=document,
        visa=visa,
        block_keys=block_keys,
        block_offsets=block_offsets,
        block_entries=block_entries,
        document_order=_sorted_nonempty(document),
        visa_order=_sorted_nonempty(visa),
        neighbour_offsets=np.zeros(0, dtype=np.int64),
        neighbour_ids=np.zeros(0, dtype=np.int32),
    )
    return replace(
        tables, display_weight=_display_weights(tables, token_weight(frequency, len(entry_record)))
    )


def _columns(identities: Iterable[Identity] | IdentityColumns) -> IdentityColumns:
    if isinstance(identities, IdentityColumns):
        return identities
    return IdentityColumns.from_identities(identities)


def _sorted_nonempty(values: npt.NDArray[np.bytes_]) -> I32:
    present = np.flatnonzero(values != b"")
    return present[np.argsort(values[present], kind="stable")].astype(np.int32)
