"""`IdentityIndex`: candidate generation and vectorised scoring over column-wise records.

A search is three steps, each a handful of numpy calls whatever the index size:
1. the query's name tokens are looked up *in the vocabulary* (exact, trigram,
   phonetic; for the index's own words found once at build time), giving the
   similar tokens;
2. blocking keys (token id, birth year, birth month) for the similar tokens, the
   birth year, and years +-1 in the same month (plus the exact document and visa
   sticker number) give candidate entries;
3. every candidate is scored field by field at once (see `scoring`), the best
   entry per record wins (an entry is a record's name or one of its aliases).
   Entries whose date, sex, nationality and documents leave no chance are dropped
   first; for the rest the name similarities are computed exactly, pair by pair,
   so a search scores as `compare` does whatever the vocabulary lookup proposed.

Only the top results are turned into Python objects, with their explanation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from broker.matching.columns import IdentityColumns, Objects
from broker.matching.explain import Compared, Held, match
from broker.matching.identity import Identity, Match
from broker.matching.normalise import (
    name_tokens,
    normalise_document,
    normalise_name,
    other_form,
    surname_form,
)
from broker.matching.postings import EMPTY, I64, distinct, gather, group, ranges
from broker.matching.query import CONTENT_SLOTS, SEX_CODES, SEX_LETTERS, Query, prepare
from broker.matching.scoring import (
    DATE_WEIGHT,
    DEFAULT_TOKEN_WEIGHT,
    DOCUMENT_WEIGHT,
    EXACT,
    F32,
    GIVEN_WEIGHT_MAX,
    I8,
    I32,
    MISSING,
    NATIONALITY_WEIGHT,
    NATIONALITY_WEIGHT_MAX,
    NATIONALITY_WEIGHT_MIN,
    SEX_WEIGHT,
    SIMILAR_THRESHOLD,
    SURNAME_WEIGHT_MAX,
    VISA_WEIGHT,
    NameScores,
    calibrate,
    code_compare,
    date_codes_packed,
    field_weight,
    month_day,
    name_scores,
    nationality_codes,
    required_evidence,
    score_offset,
    sex_codes,
    token_similarity,
    token_weight,
    uniform_weight,
    with_surname_forms,
)
from broker.matching.vocabulary import Vocabulary

_YEAR_BASE = 1880
_DEFAULT_NATIONALITY_WEIGHT = 1.0
_WEIGHT_MAX = np.array([SURNAME_WEIGHT_MAX, GIVEN_WEIGHT_MAX], dtype=np.float32)


# Blocking keys: token, then year code (0 unknown), then month (0 unknown).
_MONTH_BITS = 4
_TOKEN_SHIFT = 8 + _MONTH_BITS


def _year_code(year: npt.NDArray[np.integer] | int) -> npt.NDArray[np.int64]:
    y = np.asarray(year, dtype=np.int64)
    return np.where(y > 0, np.clip(y - _YEAR_BASE, 1, 255), 0)


@cache
def _block_keys(year: int, month: int) -> tuple[I64, I64]:
    """The blocks a query date reaches, as keys relative to a token's first key.

    Returns [start, end) pairs of key ranges, and single keys (one block each).
    An unknown year reaches every block. Otherwise: the unknown year (whose
    blocks ignore the month), the same year (any month), and years +-1 only in
    the same or an unknown month, since a year off by one *and* another month
    scores a date conflict that no name agreement outweighs (the document keys
    still find such a record).
    """
    if year <= 0:
        return _frozen([0, 1 << _TOKEN_SHIFT]), _frozen([])
    code = int(_year_code(year))
    before, after = max(code - 1, 1), min(code + 1, 255)
    if month <= 0:
        return _frozen([before << _MONTH_BITS, (after + 1) << _MONTH_BITS]), _frozen([0])
    singles = [0, (code - 1) << _MONTH_BITS, ((code - 1) << _MONTH_BITS) + month]
    singles = singles[:1] if before == code else singles
    # The same year's blocks run straight into the next year's unknown month.
    end = (code + 1) << _MONTH_BITS
    if after > code:
        singles.append(end + month)
        end += 1
    return _frozen([code << _MONTH_BITS, end]), _frozen(singles)


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
    small indexes of records of the same population (`build_with_weights`).
    """

    entries: int
    frequency: Mapping[str, int]
    nationality: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class _Tables:
    """Every array of an index; saved and loaded as one .npz file."""

    tokens: npt.NDArray[np.str_]
    words: npt.NDArray[np.bool_]
    displays: npt.NDArray[np.str_]
    nationalities: npt.NDArray[np.str_]
    token_frequency: npt.NDArray[np.int64]
    nationality_weight: F32
    # The entries the weights were counted over (0: uniform weights); see `score_offset`.
    population: npt.NDArray[np.int64]
    entry_record: I32
    record_entries: I64
    # Per entry, [surname, given names]: joined token, content tokens (-1 pads), weight.
    name_joined: I32
    name_content: I32
    name_weight: F32
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


@dataclass(frozen=True, slots=True)
class _Scored:
    entries: I32
    records: I32
    score: F32
    surname: F32
    given: F32
    swapped: npt.NDArray[np.bool_]
    date: I8
    sex: I8
    nationality: I8
    document: I8
    visa: I8


@dataclass(frozen=True, slots=True)
class _EntryFacts:
    """What the first scoring stage reads, per entry (not per record): one gather less."""

    record: I32
    name_bound: F32
    # Content words per name field (at least 1): the denominator of `name_similarity`.
    name_words: npt.NDArray[np.int8]
    year: npt.NDArray[np.int16]
    month_day: npt.NDArray[np.int16]
    nationality: npt.NDArray[np.int16]
    sex: I8

    @classmethod
    def of(cls, t: _Tables) -> _EntryFacts:
        records = t.entry_record
        return cls(
            record=records,
            # Most evidence the names of an entry can give (full agreement on both).
            name_bound=t.name_weight.sum(axis=1, dtype=np.float32),
            name_words=np.maximum((t.name_content >= 0).sum(axis=2), 1).astype(np.int8),
            year=t.year[records],
            month_day=month_day(t.month[records], t.day[records]),
            nationality=t.nationality[records],
            sex=t.sex[records],
        )


class IdentityIndex:
    """Identity records held column-wise with fuzzy candidate search; see module doc."""

    def __init__(self, tables: _Tables) -> None:
        self._t = tables
        self._vocab = Vocabulary(
            tables.tokens.tolist(),
            tables.words,
            (tables.neighbour_offsets, tables.neighbour_ids),
        )
        self._displays: list[str] = tables.displays.tolist()
        self._nationality_names: list[str] = tables.nationalities.tolist()
        self._nationality_ids = {n: i for i, n in enumerate(self._nationality_names) if n}
        self._nationality_cache: dict[int, tuple[I8, F32]] = {}
        self._facts = _EntryFacts.of(tables)
        self._offset = score_offset(int(tables.population))
        self._documents = tables.document[tables.document_order]
        self._visas = tables.visa[tables.visa_order]

    # ---- building -----------------------------------------------------------------

    @classmethod
    def build(
        cls, identities: Iterable[Identity] | IdentityColumns, population_weights: bool = True
    ) -> IdentityIndex:
        """Index identities; without `population_weights` every name token weighs the same.

        Term-frequency weights need a population: for a handful of records they
        would be noise (see `build_with_weights` for a few records of a known
        population). Such an index also skips finding the similar words of each
        word up front, which pays off over many searches, not over one.
        """
        tables = _build_tables(_columns(identities))
        if not population_weights:
            tables = replace(
                tables,
                name_weight=uniform_weight(tables.name_content),
                population=np.array(0, dtype=np.int64),
                nationality_weight=np.full_like(
                    tables.nationality_weight, _DEFAULT_NATIONALITY_WEIGHT
                ),
            )
            return cls(tables)
        index = cls(tables)
        offsets, ids = index._vocab.find_neighbours()
        index._t = replace(tables, neighbour_offsets=offsets, neighbour_ids=ids)
        return index

    @classmethod
    def build_with_weights(
        cls, identities: Iterable[Identity] | IdentityColumns, weights: NameWeights
    ) -> IdentityIndex:
        """Index a few records that belong to the population `weights` describe.

        A seeded test session holds a handful of records, but its travellers come
        from the synthetic population: SMITH must weigh as little there as in the
        population index, and a rare name as much. Like an index without
        population weights, it skips the similar-word search.
        """
        tables = _build_tables(_columns(identities))
        tokens = tables.tokens.tolist()
        frequency = np.array([weights.frequency.get(t, 0) for t in tokens], dtype=np.int64)
        nationality = [weights.nationality.get(n, _DEFAULT_NATIONALITY_WEIGHT) for n in
                       tables.nationalities.tolist()]  # fmt: skip
        return cls(
            replace(
                tables,
                token_frequency=frequency,
                population=np.array(weights.entries, dtype=np.int64),
                name_weight=field_weight(
                    tables.name_content, token_weight(frequency, weights.entries)
                ),
                nationality_weight=np.array(nationality, dtype=np.float32),
            )
        )

    def name_weights(self) -> NameWeights:
        """This index's token frequencies and nationality weights, for `build_with_weights`."""
        t = self._t
        return NameWeights(
            entries=len(t.entry_record),
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
        """Records like `query`, best first, at most `limit`, score >= `min_score`."""
        prepared = self._prepare(query)
        entries = self._candidates(prepared)
        return self._rank(prepared, self._score(prepared, entries, min_score), limit, min_score)

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
        """Score every record without candidate generation (small indexes, `compare`)."""
        prepared = self._prepare(query)
        entries = np.arange(len(self._t.entry_record), dtype=np.int32)
        return self._rank(prepared, self._score(prepared, entries, 0.0), len(self), 0.0)

    def _prepare(self, query: Identity) -> Query:
        nationality = query.nationality.upper()
        known = self._nationality_ids.get(nationality, len(self._nationality_ids) + 1)
        return prepare(query, known if nationality else 0)

    def _candidates(self, query: Query) -> I32:
        t = self._t
        found = [self._by_code(query.document, self._documents, t.document_order)]
        found.append(self._by_code(query.visa, self._visas, t.visa_order))
        similar = [self._vocab.similar(token) for token in query.words]
        similar += [self._vocab.known_similar(token) for token in query.reading_words]
        searched = query.words | query.reading_words
        similar += [self._vocab.exact(token) for token in query.tokens if token not in searched]
        if similar:
            token_ids = distinct(np.concatenate(similar))
            found.append(self._by_name(token_ids, query.date))
        return distinct(np.concatenate(found))

    def _by_name(self, token_ids: I32, date: tuple[int, int, int]) -> I32:
        t = self._t
        if not len(t.block_keys):
            return EMPTY
        spans, singles = _block_keys(date[0], date[1])
        base = (token_ids.astype(np.int64) << _TOKEN_SHIFT)[:, None]
        span_keys, single_keys = (base + spans).ravel(), (base + singles).ravel()
        at = np.searchsorted(t.block_keys, np.concatenate([span_keys, single_keys]))
        span_at, single_at = at[: len(span_keys)], at[len(span_keys) :]
        # A single key is one block or none: there if it sits where it would go.
        found = t.block_keys[np.minimum(single_at, len(t.block_keys) - 1)] == single_keys
        single_at = single_at[found]
        first = np.concatenate([span_at[0::2], single_at])
        last = np.concatenate([span_at[1::2], single_at + 1])
        return gather(t.block_offsets[first], t.block_offsets[last], t.block_entries)

    def _by_code(self, code: bytes, sorted_values: npt.NDArray[np.bytes_], order: I32) -> I32:
        if not code or not len(order):
            return EMPTY
        lo = int(np.searchsorted(sorted_values, code, side="left"))
        hi = int(np.searchsorted(sorted_values, code, side="right"))
        records = order[lo:hi]
        t = self._t
        return ranges(t.record_entries[records], t.record_entries[records + 1])

    def _score(self, query: Query, entries: I32, min_score: float) -> _Scored:
        """Score entries; those that cannot reach `min_score` even with perfect names are dropped.

        The fields other than the names are a few integer comparisons per row, the
        names are the expensive part: scoring them only for rows whose date, sex,
        nationality and documents leave a chance keeps a search cheap when a common
        name proposes thousands of entries.
        """
        t = self._t
        facts = self._facts
        records = facts.record[entries]
        date = date_codes_packed(query.date, facts.year[entries], facts.month_day[entries])
        sex = sex_codes(query.sex, facts.sex[entries])
        record_nationality = facts.nationality[entries]
        code_of, weight_of = self._nationality_tables(query.nationality)
        nationality = code_of[record_nationality]
        document = code_compare(query.document, t.document[records], one_off=True)
        visa = code_compare(query.visa, t.visa[records], one_off=False)
        other = (
            DATE_WEIGHT[date]
            + SEX_WEIGHT[sex]
            + weight_of[record_nationality]
            + DOCUMENT_WEIGHT[document]
            + VISA_WEIGHT[visa]
        )
        needed = required_evidence(min_score, self._offset)
        if needed is not None:
            keep = np.flatnonzero(other + facts.name_bound[entries] >= needed)
            if len(keep) < len(entries):
                entries, records, other = entries[keep], records[keep], other[keep]
                date, sex, nationality = date[keep], sex[keep], nationality[keep]
                document, visa = document[keep], visa[keep]
        names = self._names(query, entries)
        sex, other = self._surname_forms(query, entries, names, sex, other)
        total = names.evidence + other
        return _Scored(
            entries=entries,
            records=records,
            score=calibrate(total, self._offset),
            surname=names.surname,
            given=names.given,
            swapped=names.swapped,
            date=date,
            sex=sex,
            nationality=nationality,
            document=document,
            visa=visa,
        )

    def _surname_forms(
        self, query: Query, entries: I32, names: NameScores, sex: I8, other: F32
    ) -> tuple[I8, F32]:
        """Sex codes and other evidence, with the other sex's surname form as a sex conflict.

        KOWALSKA is KOWALSKI's sister, wife or daughter: the same family name,
        but another person unless both sides give the same sex. Where one side
        leaves the sex empty, the form of the surname says it.
        """
        undecided = np.flatnonzero((sex == MISSING) & ~names.swapped)
        if not len(undecided) or not surname_form(query.surname_token)[1]:
            return sex, other
        tokens = self._vocab.tokens
        surnames = self._t.name_joined[entries[undecided], 0].tolist()
        forms = [i >= 0 and other_form(query.surname_token, tokens[i]) for i in surnames]
        return with_surname_forms(undecided[forms], sex, other)

    def _names(self, query: Query, entries: I32) -> NameScores:
        """The names in the query's best reading for each entry (see `name_scores`)."""
        table, joined, content = self._token_table(query, entries)
        words = self._facts.name_words[entries]
        weight = self._t.name_weight[entries]
        return name_scores(
            query.names, table, joined, content, words, weight, self._query_weights(query)
        )

    def _query_weights(self, query: Query) -> F32:
        """The weight of each query token as the index weighs its own (one it lacks: rare)."""
        population = int(self._t.population)
        if not population:
            return np.full(len(query.tokens), DEFAULT_TOKEN_WEIGHT, dtype=np.float32)
        ids = np.array([self._vocab.ids.get(t, -1) for t in query.tokens], dtype=np.int64)
        frequency = np.where(ids >= 0, self._t.token_frequency[np.maximum(ids, 0)], 0)
        return token_weight(frequency, population)

    def _token_table(self, query: Query, entries: I32) -> tuple[F32, I32, I32]:
        """Similarity of every token of these entries with every query token.

        Returns the table and the entries' joined and content tokens renumbered
        into its rows; padding stays -1, and the last row and column are zeros.
        """
        t = self._t
        joined, content = t.name_joined[entries], t.name_content[entries]
        every = np.concatenate([joined.ravel(), content.ravel()])
        ids = distinct(every)
        local = np.searchsorted(ids, every)
        if len(ids) and ids[0] < 0:
            ids, local = ids[1:], local - 1
        table = np.zeros((len(ids) + 1, len(query.tokens) + 1), dtype=np.float32)
        if len(ids) and query.tokens:
            table[:-1, :-1] = token_similarity(query.spellings, self._vocab.spellings(ids)).T
        rows = local.astype(np.int32)
        split = joined.size
        return table, rows[:split].reshape(joined.shape), rows[split:].reshape(content.shape)

    def _nationality_tables(self, code: int) -> tuple[I8, F32]:
        """Code and weight of each record nationality against the query's (`code`).

        The weight of agreeing on a nationality depends on how common it is. A
        query has one nationality, so both are one lookup per record, kept per
        nationality.
        """
        tables = self._nationality_cache.get(code)
        if tables is None:
            codes = nationality_codes(code, np.arange(len(self._nationality_names), dtype=np.int16))
            weights = NATIONALITY_WEIGHT[codes]
            weights[codes == EXACT] = self._nationality_weight(code)
            tables = self._nationality_cache[code] = (codes, weights)
        return tables

    def _nationality_weight(self, code: int) -> float:
        weights = self._t.nationality_weight
        return float(weights[code]) if 0 < code < len(weights) else _DEFAULT_NATIONALITY_WEIGHT

    def _rank(self, query: Query, scored: _Scored, limit: int, min_score: float) -> list[Match]:
        keep = np.flatnonzero(scored.score >= min_score)
        order = keep[np.argsort(-scored.score[keep], kind="stable")]
        # The best entry of each record; a handful of rows, so plain Python.
        best: dict[int, int] = {}
        for i, record in zip(order.tolist(), scored.records[order].tolist(), strict=True):
            if len(best) == limit:
                break
            best.setdefault(record, i)
        return [self._match(query, scored, i) for i in best.values()]

    def _match(self, query: Query, scored: _Scored, i: int) -> Match:
        t = self._t
        entry, record = int(scored.entries[i]), int(scored.records[i])
        held = Held(
            surname=self._displays[t.sur_display[entry]],
            given=self._displays[t.giv_display[entry]],
            date=(int(t.year[record]), int(t.month[record]), int(t.day[record])),
            sex=SEX_LETTERS[int(t.sex[record])],
            nationality=self._nationality_names[t.nationality[record]],
            document=t.document[record].decode(),
            visa=t.visa[record].decode(),
        )
        compared = Compared(
            surname=float(scored.surname[i]),
            given=float(scored.given[i]),
            swapped=bool(scored.swapped[i]),
            date=int(scored.date[i]),
            sex=int(scored.sex[i]),
            nationality=int(scored.nationality[i]),
            document=int(scored.document[i]),
            visa=int(scored.visa[i]),
        )
        return match(record, query, held, compared, float(scored.score[i]))


def _name_table(raw: Objects, vocabulary: dict[str, int]) -> tuple[I32, I32, I32, list[str]]:
    """Per row: joined token id, content token ids, display id; and the display strings."""
    codes, distinct = _factorise(raw)
    joined = np.full(len(distinct), -1, dtype=np.int32)
    content = np.full((len(distinct), CONTENT_SLOTS), -1, dtype=np.int32)
    displays = [normalise_name(value) for value in distinct]
    for i, display in enumerate(displays):
        parts = name_tokens(display)
        if not parts:
            continue
        joined[i] = vocabulary[parts[0]]
        words = parts[1 : 1 + CONTENT_SLOTS] or parts[:1]
        content[i, : len(words)] = [vocabulary[w] for w in words]
    return joined[codes], content[codes], codes, displays


def _all_tokens(values: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for value in values:
        parts = name_tokens(normalise_name(value))
        found.update(parts[: 1 + CONTENT_SLOTS])
    return found


def _build_tables(columns: IdentityColumns) -> _Tables:
    n = len(columns)
    entry_record = np.concatenate([np.arange(n, dtype=np.int32), columns.alias_record])
    order = np.argsort(entry_record, kind="stable")
    entry_record = entry_record[order].astype(np.int32)
    surnames = np.concatenate([columns.surname, columns.alias_surname])[order]
    givens = np.concatenate([columns.given_names, columns.alias_given_names])[order]
    tokens = Vocabulary.ordered(
        _all_tokens(set(surnames.tolist())) | _all_tokens(set(givens.tolist()))
    )
    ids = {token: i for i, token in enumerate(tokens)}
    sur_joined, sur_content, sur_codes, sur_displays = _name_table(surnames, ids)
    giv_joined, giv_content, giv_codes, giv_displays = _name_table(givens, ids)
    name_content = np.stack([sur_content, giv_content], axis=1)
    displays = sur_displays + giv_displays
    giv_codes = giv_codes + len(sur_displays)

    slots = [sur_joined, *_extra_words(sur_joined, sur_content)]
    slots += [giv_joined, *_extra_words(giv_joined, giv_content)]
    stacked = np.stack(slots, axis=1)
    frequency = np.bincount(stacked[stacked >= 0], minlength=len(tokens)).astype(np.int64)
    words = np.zeros(len(tokens), dtype=np.bool_)
    for content in (sur_content, giv_content):
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
    return _Tables(
        tokens=np.array(tokens, dtype=np.str_),
        words=words,
        displays=np.array(displays, dtype=np.str_),
        nationalities=np.array(nationalities, dtype=np.str_),
        token_frequency=frequency,
        nationality_weight=nationality_weight.astype(np.float32),
        population=np.array(len(entry_record), dtype=np.int64),
        entry_record=entry_record,
        record_entries=np.searchsorted(entry_record, np.arange(n + 1)).astype(np.int64),
        name_joined=np.stack([sur_joined, giv_joined], axis=1),
        name_content=name_content,
        name_weight=field_weight(name_content, token_weight(frequency, len(entry_record))),
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


def _columns(identities: Iterable[Identity] | IdentityColumns) -> IdentityColumns:
    if isinstance(identities, IdentityColumns):
        return identities
    return IdentityColumns.from_identities(identities)


def _extra_words(joined: I32, content: I32) -> list[I32]:
    """Content words that are not the joined token itself (-1 otherwise)."""
    return [np.where(content[:, k] != joined, content[:, k], -1) for k in range(CONTENT_SLOTS)]


def _sorted_nonempty(values: npt.NDArray[np.bytes_]) -> I32:
    present = np.flatnonzero(values != b"")
    return present[np.argsort(values[present], kind="stable")].astype(np.int32)
