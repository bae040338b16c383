"""The synthetic population: reproducible, valid MRZs, planted namesakes."""

from __future__ import annotations

import numpy as np

from mocks.population import Population, check_digit, generate, td3
from mocks.population.romanisation import kmu_2010, russian_styles, wade_giles


def test_icao_specimen_mrz() -> None:
    lines = td3("ERIKSSON", "ANNA MARIA", "L898902C3", "UTO", "1974-08-12", "F",
                "2012-04-15", "ZE184226B")  # fmt: skip
    assert lines == (
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    )
    assert check_digit("L898902C3") == "6"


def test_generation_is_seeded(population: Population) -> None:
    again = generate(len(population), seed=3)
    assert again.identity(123) == population.identity(123)
    assert generate(100, seed=4).identity(5) != population.identity(5)


def test_mrz_check_digits_are_valid(population: Population) -> None:
    for position in range(0, len(population), 501):
        line2 = population.mrz(position)[1]
        assert len(line2) == 44
        assert check_digit(line2[:9]) == line2[9]
        assert check_digit(line2[13:19]) == line2[19] or "<" in line2[13:19]


def test_population_has_scripts_namesakes_and_aliases(population: Population) -> None:
    originals = population.pool.original[population.surname]
    assert any(any("\u0400" <= c <= "\u04ff" for c in name) for name in originals)
    assert (population.namesake_of >= 0).sum() > 50
    assert len(population.alias_record) > 100
    assert (population.birth_day == 0).any()
    columns = population.columns()
    assert len(columns) == len(population)
    assert np.all(columns.surname != "")


def test_documents_romanise_as_their_states_do() -> None:
    assert kmu_2010("Гнатишин") == "HNATYSHYN"
    assert kmu_2010("Юлія") == "YULIIA"
    assert kmu_2010("Згурський") == "ZGHURSKYI"
    assert wade_giles("Zhang") == "CHANG"
    assert wade_giles("Xiaoming") == "HSIAO-MING"
    assert wade_giles("Cai") == "TS'AI"
    assert dict(russian_styles("Щербаков"))["german"] == "SCHTSCHERBAKOW"


def test_other_sex_twins_share_family_and_birth_date(population: Population) -> None:
    twins = np.flatnonzero(population.twin_of >= 0)
    assert len(twins) > 10
    for twin in twins[:50].tolist():
        original = int(population.twin_of[twin])
        assert population.sex[twin] == 3 - population.sex[original]
        assert population.date_of_birth(twin) == population.date_of_birth(original)
        form = population.pool.other_sex_form(
            int(population.surname[original]), int(population.country[original]),
            int(population.sex[twin]),
        )  # fmt: skip
        assert form == population.surname[twin]


def test_arabic_names_carry_attested_spellings(population: Population) -> None:
    egyptians = np.flatnonzero(population.nationality_codes[population.country] == "EGY")
    spellings = {population.identity(int(p)).surname for p in egyptians}
    assert spellings & {"AL-HASHIMI", "ALHASHIMI", "AL HASHEMI", "EL HACHEMI", "HASHIMI"}
    script = {str(population.pool.original[population.surname[p]]) for p in egyptians}
    assert any("\u0600" <= c <= "\u06ff" for name in script for c in name)


def test_nobody_is_born_after_the_reference_year() -> None:
    years = generate(200_000, seed=3).birth_year
    assert int(years.max()) == 2025
