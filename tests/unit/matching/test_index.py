"""IdentityIndex over a small population: search, batch, candidates, persistence."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from broker.matching import Identity, IdentityIndex, MatchClass, compare
from broker.matching import index as index_module
from broker.matching.vocabulary import Vocabulary
from mocks.population import VARIANTS, Population, labelled_queries


def test_every_record_finds_itself(population: Population, index: IdentityIndex) -> None:
    for position in range(0, len(population), 97):
        matches = index.search(population.identity(position), limit=3)
        assert matches[0].position == position
        assert matches[0].match_class is MatchClass.SAME


def test_labelled_variants_are_found(population: Population, index: IdentityIndex) -> None:
    queries = [q for q in labelled_queries(population, 20, seed=5) if q.truth >= 0]
    found = sum(any(m.position == q.truth for m in index.search(q.query)) for q in queries)
    assert found / len(queries) > 0.9
    assert {q.variant for q in queries} == set(VARIANTS)


def test_document_number_alone_finds_the_record(
    population: Population, index: IdentityIndex
) -> None:
    number = population.identity(42).document_number
    matches = index.search(Identity(document_number=number))
    assert [m.position for m in matches] == [42]


def test_search_scores_as_compare(population: Population) -> None:
    people = [population.identity(p) for p in range(50)]
    small = IdentityIndex.build(people, population_weights=False)
    query = replace(people[7], date_of_birth=people[7].date_of_birth[:4] + "-00-00")
    best = small.search(query, limit=1, min_score=0.0)[0]
    direct = compare(query, people[7])
    assert best.position == 7
    assert best.score == direct.score
    assert best.explanation == direct.explanation


def test_batch_equals_single(population: Population, index: IdentityIndex) -> None:
    queries = [population.identity(p) for p in (1, 2, 3)]
    assert index.search_batch(queries) == [index.search(q) for q in queries]


def test_candidates_include_truth(population: Population, index: IdentityIndex) -> None:
    person = population.identity(11)
    query = replace(person, surname=person.surname[:-1], document_number="")
    assert 11 in index.candidates(query)


def test_save_and_load(tmp_path: Path, population: Population, index: IdentityIndex) -> None:
    path = tmp_path / "identities.npz"
    index.save(path)
    loaded = IdentityIndex.load(path)
    query = population.identity(5)
    assert loaded.search(query) == index.search(query)
    assert loaded.identity(5) == index.identity(5)


def test_empty_query_and_limits(population: Population, index: IdentityIndex) -> None:
    assert index.search(Identity()) == []
    # The commonest surname alone: more candidates than any limit below.
    [(surname, _)] = Counter(population.columns().surname).most_common(1)
    ten = index.search(Identity(surname=surname), limit=10, min_score=0.0)
    assert len(ten) == 10
    assert index.search(Identity(surname=surname), limit=2, min_score=0.0) == ten[:2]


def test_aliases_are_searched() -> None:
    person = Identity(
        "NOVAK", ("JANA",), "1990-01-01", "F", "CZE", aliases=(("DVORAK", ("JANA",)),)
    )
    other = Identity("SVOBODA", ("PETR",), "1985-05-05", "M", "CZE")
    index = IdentityIndex.build([other, person])
    matches = index.search(Identity("DVORAK", ("JANA",), "1990-01-01", "F", "CZE"))
    assert matches[0].position == 1
    assert index.identity(1).aliases == (("DVORAK", ("JANA",)),)
    assert matches[0].match_class is MatchClass.SAME


def test_search_returns_what_scoring_everything_returns(population: Population) -> None:
    people = [population.identity(p) for p in range(0, 3000, 3)]
    index = IdentityIndex.build(people)
    for labelled in labelled_queries(population, 3, seed=9):
        expected = [m for m in index.score_all(labelled.query) if m.score >= 0.5][:10]
        assert index.search(labelled.query) == expected


def test_joined_names_match_exactly_but_are_not_searched_fuzzily() -> None:
    tokens = Vocabulary.ordered(["GARCIALOPEZ", "GARCIA", "LOPEZ", "GARCIALOPES"])
    words = np.array([t != "GARCIALOPEZ" for t in tokens])
    vocabulary = Vocabulary(tokens, words)
    assert [tokens[i] for i in vocabulary.similar("GARCIALOPEZ")] == ["GARCIALOPES", "GARCIALOPEZ"]
    assert [tokens[i] for i in vocabulary.similar("GARCIALOPEX")] == ["GARCIALOPES"]
    person = Identity("GARCIA LOPEZ", ("ANA",), "1990-01-01", "F", "ESP")
    index = IdentityIndex.build([person])
    for surname in ("GARCIALOPEZ", "GARCIA LOPES", "LOPEZ"):
        query = Identity(surname, ("ANA",), "1990-01-01", "F", "ESP")
        assert [m.position for m in index.search(query)] == [0]


def test_a_year_off_is_a_candidate_only_in_the_same_or_an_unknown_month() -> None:
    born = ("1990-04-10", "1989-04-22", "1991-00-00", "1989-05-10", "1992-04-10", "1990-11-03")
    people = [Identity("KOWALSKA", ("ANNA",), d, "F", "POL", f"D{i}") for i, d in enumerate(born)]
    index = IdentityIndex.build(people)
    query = Identity("KOWALSKA", ("ANNA",), "1990-04-10", "F", "POL")
    assert index.candidates(query).tolist() == [0, 1, 2, 5]
    # Another month a year off scores a date conflict; its document still finds it.
    assert 3 in index.candidates(replace(query, document_number="D3"))


def test_similar_words_found_at_build_equal_the_lookup_at_search() -> None:
    tokens = Vocabulary.ordered(["NOWAK", "NOVAK", "NOWACKI", "MEIER", "MAIER", "MEYER", "ANNA"])
    words = np.ones(len(tokens), dtype=np.bool_)
    prepared = Vocabulary(tokens, words)
    offsets, ids = prepared.find_neighbours()
    assert len(offsets) == len(tokens) + 1
    fresh = Vocabulary(tokens, words)
    for token in tokens:
        assert prepared.similar(token).tolist() == fresh.similar(token).tolist()
    assert Vocabulary(tokens, words, (offsets, ids)).similar("NOWAK").tolist() == (
        fresh.similar("NOWAK").tolist()
    )


def test_compare_agrees_with_an_index_of_the_record_on_many_pairs(population: Population) -> None:
    labelled = labelled_queries(population, 12, seed=13)
    pairs = [(q.query, population.identity(q.truth if q.truth >= 0 else i)) for i, q in
             enumerate(labelled)]  # fmt: skip
    pairs += [(population.identity(i), population.identity(i + 1)) for i in range(0, 400, 4)]
    with_alias = int(population.alias_record[0])
    pairs.append((population.identity(with_alias), population.identity(with_alias)))
    for a, b in pairs:
        indexed = IdentityIndex.build([b], population_weights=False).score_all(a)[0]
        direct = compare(a, b)
        assert direct.score == pytest.approx(indexed.score, abs=1e-6)
        assert (direct.position, direct.match_class, direct.explanation) == (
            indexed.position, indexed.match_class, indexed.explanation,
        )  # fmt: skip


def test_a_small_index_borrows_the_population_weights(
    population: Population, index: IdentityIndex
) -> None:
    chosen = list(range(100, 3000, 97))
    seeded = IdentityIndex.build_with_weights(
        [population.identity(p) for p in chosen], index.name_weights()
    )
    for slot, position in enumerate(chosen):
        query = replace(population.identity(position), document_number="", given_names=())
        there = next(m for m in index.search(query, 50, 0.0) if m.position == position)
        here = next(m for m in seeded.score_all(query) if m.position == slot)
        assert here.score == pytest.approx(there.score, abs=1e-6)
        assert here.explanation == there.explanation


def test_the_passes_over_arrays_drop_only_entries_that_cannot_reach(
    population: Population, index: IdentityIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries = [q.query for q in labelled_queries(population, 6, seed=21)]
    monkeypatch.setattr(index_module, "FEW_CANDIDATES", 1 << 30)
    expected = [index.search(q, min_score=0.2) for q in queries]
    assert sum(map(len, expected)) > len(queries) // 2
    monkeypatch.setattr(index_module, "FEW_CANDIDATES", 0)
    assert [index.search(q, min_score=0.2) for q in queries] == expected
    monkeypatch.setattr(index_module, "_MANY_ROWS", 0)
    assert [index.search(q, min_score=0.2) for q in queries] == expected


def test_a_few_entries_scored_whole_read_as_the_arrays_do(
    population: Population, index: IdentityIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = list(range(7, 7 + 12 * 131, 131))
    few = IdentityIndex.build_with_weights(
        [population.identity(p) for p in chosen], index.name_weights()
    )
    assert len(few._t.entry_record) <= index_module.FEW_CANDIDATES, "scored whole"
    queries = [population.identity(p) for p in chosen[::3]]
    queries += [replace(q, document_number="", sex="") for q in queries]
    queries += [q.query for q in labelled_queries(population, 4, seed=5)]
    whole = [few.score_all(q) for q in queries]
    found = [few.search(q, 10, 0.5) for q in queries]
    assert sum(1 for f in found if f) >= len(chosen[::3]), "the seeded people are found"
    # The same entries through the arrays (the path of a larger index), with and
    # without a score to reach (which drops rows before the names are scored).
    monkeypatch.setattr(index_module, "FEW_CANDIDATES", 0)
    assert [few.score_all(q) for q in queries] == whole
    every = np.arange(len(few), dtype=np.int32)
    for query, expected in zip(queries, found, strict=True):
        prepared = few._prepare(query)
        assert few._rank(prepared, few._score(prepared, every, 0.5), 10) == expected
