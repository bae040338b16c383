"""Each field similarity on its own, then the classes and explanations of `compare`."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
import pytest

from broker.matching import FieldMatch, Identity, MatchClass, compare, normalise_name
from broker.matching.normalise import name_tokens
from broker.matching.postings import distinct
from broker.matching.scoring import (
    DATE_HOW,
    DIFFERENT,
    DOCUMENT_WEIGHT,
    EXACT,
    MISSING,
    ONE_OFF,
    SIMILAR_THRESHOLD,
    code_of,
    date_code,
    date_codes,
    date_codes_packed,
    document_evidence_bound,
    month_day,
    nationality_code,
    sex_code,
    sex_codes,
)
from broker.matching.similarity import TWO_EDITS, similarity_table, spell, token_similarity
from mocks.population import Population

ANNA = Identity(
    surname="ERIKSSON",
    given_names=("ANNA", "MARIA"),
    date_of_birth="1974-08-12",
    sex="F",
    nationality="UTO",
    document_number="L898902C3",
)


def _date(query: tuple[int, int, int], record: tuple[int, int, int]) -> str:
    y, m, d = (np.array([v]) for v in record)
    return DATE_HOW[int(date_codes(query, y.astype(np.int32), m.astype(np.int8),
                                   d.astype(np.int8))[0])]  # fmt: skip


@pytest.mark.parametrize(
    ("record", "how"),
    [
        ((1974, 8, 12), "exact"),
        ((1974, 8, 0), "partial"),
        ((1974, 0, 0), "year_only"),
        ((1974, 12, 8), "day_month_swapped"),
        ((1975, 8, 12), "year_off_by_one"),
        ((1974, 8, 13), "one_digit_off"),
        ((1973, 0, 0), "near_year"),
        ((1974, 3, 25), "same_year"),
        ((1980, 1, 1), "different"),
        ((0, 0, 0), "missing"),
    ],
)
def test_date_similarity(record: tuple[int, int, int], how: str) -> None:
    assert _date((1974, 8, 12), record) == how


def test_token_similarity_is_floored_and_folds() -> None:
    assert 0.9 < token_similarity("SMITH", "SMIETH") < 1.0
    assert token_similarity("SMITH", "JOHNSSON") == 0.0
    assert token_similarity("MUELLER", "MULLER") == pytest.approx(1.0)
    assert token_similarity("YURIY", "IURII") == pytest.approx(0.97)


def test_a_slip_that_makes_an_icao_pair_still_compares_as_written() -> None:
    assert token_similarity("MAEK", "MAREK") > 0.9


def test_a_pair_scores_as_in_a_table_of_many(population: Population) -> None:
    names = [*population.columns().surname[:300].tolist(), "MHMD", "MAEK", "RSOE", "WNE"]
    tokens = sorted({t for n in names for t in name_tokens(normalise_name(n))})
    table = similarity_table(spell(tokens, query=True), spell(tokens, query=False))
    assert table.max() == 1.0 and 0.0 < table[table < 1.0].max()
    one = [[token_similarity(q, r) for r in tokens] for q in tokens]
    assert table.tolist() == one


def test_code_similarities() -> None:
    values = [b"L898902C3", b"L898902C4", b"X0000000", b"", b"L898902C"]
    codes = [EXACT, ONE_OFF, DIFFERENT, MISSING, DIFFERENT]
    assert [code_of(b"L898902C3", v, one_off=True) for v in values] == codes
    assert [code_of(b"", v, one_off=True) for v in values] == [MISSING] * 5
    assert code_of(b"L898902C3", b"L898902C4", one_off=False) == DIFFERENT
    assert sex_codes(2, np.array([2, 1, 0, 3], dtype=np.int8)).tolist() == [
        EXACT, DIFFERENT, MISSING, MISSING,
    ]  # fmt: skip
    assert [sex_code(2, v) for v in (2, 1, 0, 3)] == [EXACT, DIFFERENT, MISSING, MISSING]
    assert [nationality_code(1, v) for v in (1, 2, 0)] == [EXACT, DIFFERENT, MISSING]


def test_the_bound_of_many_documents_holds_for_each() -> None:
    rng = np.random.default_rng(1)
    numbers = ["".join(rng.choice(list("AB12"), 4)) for _ in range(300)] + ["", "AB1", "AB12X"]
    for query in ("AB12", "BA21", "AB1", "A"):
        bound = document_evidence_bound(query.encode(), np.array([n.encode() for n in numbers]))
        exact = [code_of(query.encode(), n.encode(), one_off=True) for n in numbers]
        assert (bound >= DOCUMENT_WEIGHT[exact]).all()
        assert bound.tolist().count(DOCUMENT_WEIGHT[ONE_OFF]) < len(numbers) / 2


def _field(match_explanation: tuple[FieldMatch, ...], name: str) -> FieldMatch:
    return next(f for f in match_explanation if f.field == name)


def test_identical_identity_is_same() -> None:
    match = compare(ANNA, ANNA)
    assert match.match_class is MatchClass.SAME
    assert match.score > 0.99
    assert all(f.how in ("exact", "missing") for f in match.explanation)


def test_transliterated_name_is_same() -> None:
    german = Identity("MÜLLER", ("JÖRG",), "1980-01-02", "M", "DEU")
    icao_short = Identity("MULLER", ("JORG",), "1980-01-02", "M", "DEU")
    match = compare(icao_short, german)
    assert match.match_class is MatchClass.SAME
    assert _field(match.explanation, "surname").how == "transliteration"


def test_original_script_is_same_as_icao_form() -> None:
    latin = Identity("GORBACHEV", ("MIKHAIL",), "1931-03-02", "M", "RUS")
    cyrillic = Identity("Горбачёв", ("Михаил",), "1931-03-02", "M", "RUS")
    match = compare(cyrillic, latin)
    assert match.match_class is MatchClass.SAME
    assert _field(match.explanation, "surname").how == "transliteration"


def test_smieth_is_similar_to_smith() -> None:
    smith = Identity("SMITH", ("JOHN",), "1970-05-06", "M", "GBR")
    match = compare(Identity("SMIETH", ("JOHN",), "1970-05-06", "M", "GBR"), smith)
    assert match.match_class is MatchClass.SIMILAR
    surname = _field(match.explanation, "surname")
    assert surname.how == "jaro_winkler"
    assert 0.9 < surname.similarity < 1.0


def test_johnsson_is_different_from_smith() -> None:
    smith = Identity("SMITH", ("JOHN",), "1970-05-06", "M", "GBR")
    match = compare(Identity("JOHNSSON", ("PETER",), "1970-05-06", "M", "GBR"), smith)
    assert match.match_class is MatchClass.DIFFERENT
    assert _field(match.explanation, "surname").how == "different"


def test_explanations_name_each_rule() -> None:
    query = Identity("ERIKSSON", ("ANNA", "MARIA"), "1974-12-08", "F", "UTO", "L898902C4")
    match = compare(query, ANNA)
    assert match.match_class is MatchClass.SIMILAR
    assert _field(match.explanation, "date_of_birth").how == "day_month_swapped"
    document = _field(match.explanation, "document_number")
    assert (document.how, document.query_value, document.record_value) == (
        "document_one_char_off", "L898902C4", "L898902C3",
    )  # fmt: skip
    assert _field(match.explanation, "visa_sticker_number").how == "missing"


def test_swapped_names_are_explained() -> None:
    query = Identity("ANNA MARIA", ("ERIKSSON",), "1974-08-12", "F", "UTO")
    match = compare(query, ANNA)
    assert match.match_class is MatchClass.SIMILAR
    assert _field(match.explanation, "surname").how == "swapped"


def test_different_birth_date_outweighs_same_name() -> None:
    match = compare(Identity("ERIKSSON", ("ANNA", "MARIA"), "1990-02-01", "F", "UTO"), ANNA)
    assert match.match_class is MatchClass.DIFFERENT


def test_score_grows_with_what_agrees_up_to_one_for_the_same_identity() -> None:
    agreeing = [
        Identity(surname="X"),
        Identity(surname="ERIKSSON"),
        Identity(surname="ERIKSSON", given_names=("ANNA", "MARIA")),
        Identity(surname="ERIKSSON", given_names=("ANNA", "MARIA"), date_of_birth="1974-08-12"),
        ANNA,
    ]
    scores = [compare(query, ANNA).score for query in agreeing]
    assert all(a < b for a, b in pairwise(scores)), scores
    assert scores[0] < 0.1 and scores[-1] == pytest.approx(1.0, abs=1e-4)
    assert 0.0 <= compare(Identity(), ANNA).score < scores[1]


def test_packed_date_codes_agree_with_date_codes() -> None:
    rng = np.random.default_rng(0)
    year = rng.integers(1970, 1976, 2000).astype(np.int16)
    year[::50] = 0
    month = rng.integers(0, 13, 2000).astype(np.int8)
    day = rng.integers(0, 32, 2000).astype(np.int8)
    packed = month_day(month.astype(np.int32), day.astype(np.int32))
    for query in [(1973, 4, 12), (1973, 12, 4), (1973, 0, 0), (1974, 4, 0), (0, 0, 0)]:
        expected = date_codes(query, year, month, day)
        assert date_codes_packed(query, year, packed).tolist() == expected.tolist()
        one = [date_code(query, y, p) for y, p in zip(year.tolist(), packed.tolist(), strict=True)]
        assert one == expected.tolist()


def test_swapped_letters_in_a_short_name_are_similar() -> None:
    wen = Identity("WEN", ("JUN",), "1996-02-13", "F", "CHN")
    match = compare(Identity("WNE", ("JUN",), "1996-02-13", "F", "CHN"), wen)
    assert match.match_class is MatchClass.SIMILAR
    assert _field(match.explanation, "surname").similarity == pytest.approx(0.9)


def test_distinct_is_sorted_unique() -> None:
    values = np.array([5, -1, 3, 5, 3, 0], dtype=np.int32)
    assert distinct(values).tolist() == [-1, 0, 3, 5]
    assert distinct(values[:1]).tolist() == [5]


def _person(surname: str, given: tuple[str, ...], born: str, sex: str = "M") -> Identity:
    return Identity(surname, given, born, sex, "GBR")


@pytest.mark.parametrize(("typed", "held"), [("RSOE", "ROSS"), ("KVOAK", "KOVAC")])
def test_two_slips_in_a_short_name_cost_less_than_a_different_name(typed: str, held: str) -> None:
    record = _person(held, ("JOHN",), "1980-01-02")
    slipped = compare(_person(typed, ("JOHN",), "1980-01-02"), record)
    other = compare(_person("BAKER", ("JOHN",), "1980-01-02"), record)
    assert slipped.match_class is MatchClass.SIMILAR
    assert other.score < slipped.score


def test_a_name_read_without_its_article_meets_the_name_alone() -> None:
    fassi = Identity("FASSI", ("NABIL",), "1997-01-08", "M", "SAU")
    match = compare(Identity("الفاسي", ("نبيل",), "1997-01-08", "M", "SAU"), fassi)
    assert match.match_class is MatchClass.SIMILAR
    assert _field(match.explanation, "surname").how == "transliteration"


def test_two_letter_names_stay_apart_and_a_slip_in_one_is_doubtful() -> None:
    assert token_similarity("LI", "WU") == token_similarity("LI", "LU") == 0.0
    assert token_similarity("XDU", "XU") == token_similarity("RH", "RUTH") == TWO_EDITS
    assert token_similarity("IRNENC", "IRENE") == TWO_EDITS


def test_opposite_sex_with_same_surname_and_birth_is_another_person() -> None:
    sister = _person("IVANOVA", ("OLGA",), "1980-01-02", "F")
    assert compare(_person("IVANOV", (), "1980-01-02", "M"), sister).match_class is (
        MatchClass.DIFFERENT
    )
    brother = _person("IVANOV", ("PETR",), "1980-01-02", "M")
    assert compare(_person("IVANOV", (), "1980-01-02", "M"), brother).match_class is (
        MatchClass.SIMILAR
    )


def test_gendered_surname_form_counts_as_sex_where_sex_is_missing() -> None:
    sister = _person("KOWALSKA", ("ANNA",), "1980-01-02", "F")
    match = compare(_person("KOWALSKI", ("ANNA",), "1980-01-02", ""), sister)
    assert match.match_class is MatchClass.DIFFERENT
    assert _field(match.explanation, "sex").how == "gendered_surname"
    # The same sex on both sides: a foreign record wrote the other form.
    assert compare(_person("KOWALSKI", ("ANNA",), "1980-01-02", "F"), sister).match_class is (
        MatchClass.SIMILAR
    )


def test_year_only_birth_date_with_both_names_reaches_similar() -> None:
    record = _person("ABERNATHY", ("JOHN",), "1980-05-17")
    match = compare(_person("ABERNATHY", ("JOHN",), "1980-00-00"), record)
    assert match.match_class is MatchClass.SIMILAR
    assert _field(match.explanation, "date_of_birth").how == "year_only"


@pytest.mark.parametrize(
    ("query", "record", "how"),
    [
        ((1980, 5, 0), (1980, 2, 17), "same_year"),
        ((1980, 5, 17), (1980, 2, 17), "one_digit_off"),
        ((1980, 5, 17), (1980, 5, 27), "one_digit_off"),
        ((1980, 5, 17), (1980, 5, 28), "same_year"),
        ((1980, 5, 17), (1980, 2, 18), "same_year"),
        ((1980, 12, 17), (1980, 11, 17), "one_digit_off"),
    ],
)
def test_one_digit_off_only_where_exactly_one_digit_differs(
    query: tuple[int, int, int], record: tuple[int, int, int], how: str
) -> None:
    assert _date(query, record) == how


@pytest.mark.parametrize("date", ["1975-08-12", "1974-12-08"])
def test_a_near_date_without_given_names_may_be_a_relative(date: str) -> None:
    named = replace(ANNA, date_of_birth=date, document_number="")
    nameless = replace(named, given_names=())
    assert compare(named, ANNA).score >= SIMILAR_THRESHOLD
    assert compare(replace(nameless, date_of_birth=ANNA.date_of_birth), ANNA).score >= 0.9
    assert compare(nameless, ANNA).score < SIMILAR_THRESHOLD
