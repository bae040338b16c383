import icu
import pytest

from broker.domain.countries import (
    EU_MEMBER_STATES,
    FREE_MOVEMENT_STATES,
    ICAO_SPECIAL_CODES,
    ISO_3166_ALPHA3,
    ISO_3166_NAMES,
    MRZ_COUNTRY_CODES,
    SCHENGEN_ASSOCIATED_STATES,
    SCHENGEN_STATES,
    UnknownCountryError,
    country_name,
    is_valid_country,
    mrz_country_code,
    normalise_country,
)


def test_iso_list_is_the_249_assigned_codes() -> None:
    assert len(ISO_3166_ALPHA3) == 249
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in ISO_3166_ALPHA3)
    assert {"AFG", "ALA", "BES", "CUW", "SSD", "SXM", "TWN", "PSE", "ZWE"} <= ISO_3166_ALPHA3
    # Withdrawn or user-assigned codes are not ISO 3166-1 alpha-3.
    assert not {"ANT", "SCG", "YUG", "XKX", "EUE"} & ISO_3166_ALPHA3


@pytest.mark.parametrize(
    "code",
    """
    UTO XXA XXB XXC XXX GBD GBN GBO GBP GBS EUE UNO UNA UNK XOM XPO XCC XES XIM XDC XBA XCE XCO
    XEC XMP XKX
    """.split(),
)
def test_icao_special_codes_are_valid(code: str) -> None:
    assert code in ICAO_SPECIAL_CODES
    assert is_valid_country(code)
    assert normalise_country(code) == code
    assert country_name(code)


@pytest.mark.parametrize("code", ["RKS", "rks", "XKX", "xkx<"])
def test_kosovo_reads_as_the_eu_writes_it(code: str) -> None:
    assert normalise_country(code) == "XKX"
    assert country_name(code).startswith("Kosovo")


def test_every_code_has_its_name() -> None:
    assert country_name("DEU") == "Germany"
    assert country_name("D") == ICAO_SPECIAL_CODES["D"]
    assert country_name("XXB") == "Refugee (1951 Convention)"
    assert country_name("ZZZ") == ""
    assert all(country_name(code) for code in MRZ_COUNTRY_CODES)


def test_iso_names_are_icu_display_names() -> None:
    english = icu.Locale("en")
    for alpha2 in icu.Locale.getISOCountries():
        region = icu.Locale("", alpha2)
        if region.getISO3Country() in ISO_3166_NAMES:
            assert ISO_3166_NAMES[region.getISO3Country()] == region.getDisplayCountry(english)


def test_special_codes_do_not_shadow_iso_codes() -> None:
    assert not ICAO_SPECIAL_CODES.keys() & ISO_3166_ALPHA3
    assert MRZ_COUNTRY_CODES == ISO_3166_ALPHA3 | ICAO_SPECIAL_CODES.keys()


@pytest.mark.parametrize("code", ["D", "D<<", "d", " D< ", "DEU", "deu"])
def test_germany_normalises_to_deu(code: str) -> None:
    assert is_valid_country(code)
    assert normalise_country(code) == "DEU"


def test_germany_is_written_d_in_an_mrz() -> None:
    assert mrz_country_code("DEU") == "D"
    assert mrz_country_code("D<<") == "D"
    assert mrz_country_code("FRA") == "FRA"


@pytest.mark.parametrize("code", ["ZZZ", "XKK", "DE", "GB", "", "<<<", "U.S", "IAO"])
def test_unknown_country_is_rejected(code: str) -> None:
    assert not is_valid_country(code)
    with pytest.raises(UnknownCountryError) as error:
        normalise_country(code)
    assert error.value.code == code
    with pytest.raises(UnknownCountryError):
        mrz_country_code(code)


def test_eu_and_schengen_sets() -> None:
    assert len(EU_MEMBER_STATES) == 27
    assert {"DEU", "FRA", "HRV", "IRL", "CYP", "BGR", "ROU"} <= EU_MEMBER_STATES
    assert not {"GBR", "CHE", "NOR", "ISL", "LIE"} & EU_MEMBER_STATES
    assert SCHENGEN_ASSOCIATED_STATES == {"ISL", "NOR", "CHE", "LIE"}
    assert len(SCHENGEN_STATES) == 29
    assert not {"IRL", "CYP"} & SCHENGEN_STATES
    assert {"BGR", "ROU", "HRV", "CHE"} <= SCHENGEN_STATES
    assert FREE_MOVEMENT_STATES == EU_MEMBER_STATES | SCHENGEN_ASSOCIATED_STATES
    assert len(FREE_MOVEMENT_STATES) == 31
    assert FREE_MOVEMENT_STATES <= ISO_3166_ALPHA3
