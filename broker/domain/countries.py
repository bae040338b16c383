"""Country codes as machine readable zones and the EU's border systems use them.

An MRZ names states with ISO 3166-1 alpha-3 codes, plus the codes ICAO Doc 9303 Part 3
section 5 adds for what ISO does not cover: British nationality classes, stateless persons
and refugees, organisations that issue travel documents, and Germany, which writes itself
as a single ``D`` (``D<<`` in the zone). Everything past parsing compares nationalities
across systems that use ``DEU``, so ``normalise_country`` turns ``D`` into ``DEU`` and
``mrz_country_code`` turns it back when a zone is written.

The ISO list is the 249 officially assigned codes (checked against pycountry 26.2.16);
pycountry is not a runtime dependency because the list changes once in years.
"""

from collections.abc import Mapping
from types import MappingProxyType

ISO_3166_ALPHA3: frozenset[str] = frozenset(
    """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA
    BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN
    CIV CMR COD COG COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU
    EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB
    GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL
    ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE LKA LSO
    LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR
    MTQ MUS MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER
    PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM
    SLB SLE SLV SMR SOM SPM SRB SSD STP SUR SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK
    TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB VIR VNM
    VUT WLF WSM YEM ZAF ZMB ZWE
    """.split()
)

# Doc 9303 Part 3 section 5, in the order it prints them. Names are kept because three
# letters here can mean "this person has no nationality", which nobody reads off "XXB".
# IAO (ICAO signing a master list) is left out: no travel document carries it.
ICAO_SPECIAL_CODES: Mapping[str, str] = MappingProxyType(
    {
        "GBD": "British Overseas Territories Citizen",
        "GBN": "British National (Overseas)",
        "GBO": "British Overseas Citizen",
        "GBP": "British Protected Person",
        "GBS": "British Subject",
        "D": "Germany (written D<< in an MRZ; normalised to DEU)",
        "RKS": "Kosovo",
        "EUE": "European Union",
        "UNO": "United Nations Organization or one of its officials",
        "UNA": "United Nations specialized agency or one of its officials",
        "UNK": "Resident of Kosovo with a travel document issued by UNMIK",
        "XBA": "African Development Bank",
        "XIM": "African Export-Import Bank",
        "XCC": "Caribbean Community (CARICOM)",
        "XCE": "Council of Europe",
        "XCO": "Common Market for Eastern and Southern Africa (COMESA)",
        "XEC": "Economic Community of West African States (ECOWAS)",
        "XPO": "International Criminal Police Organization (INTERPOL)",
        "XES": "Organization of Eastern Caribbean States",
        "XMP": "Parliamentary Assembly of the Mediterranean",
        "XOM": "Sovereign Military Order of Malta",
        "XDC": "Southern African Development Community",
        "XXA": "Stateless person (1954 Convention)",
        "XXB": "Refugee (1951 Convention)",
        "XXC": "Refugee other than under XXB",
        "XXX": "Person of unspecified nationality",
        "ANT": "Netherlands Antilles (withdrawn from ISO 3166; on documents issued before)",
        "NTZ": "Neutral Zone (withdrawn from ISO 3166; on documents issued before)",
        "UTO": "Utopia (ICAO specimen documents only)",
    }
)

MRZ_COUNTRY_CODES: frozenset[str] = ISO_3166_ALPHA3 | ICAO_SPECIAL_CODES.keys()

EU_MEMBER_STATES: frozenset[str] = frozenset(
    """
    AUT BEL BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN IRL ITA LVA LTU LUX MLT NLD POL PRT
    ROU SVK SVN ESP SWE
    """.split()
)

SCHENGEN_ASSOCIATED_STATES: frozenset[str] = frozenset({"ISL", "NOR", "CHE", "LIE"})

# Full Schengen members as of 2025-01-01 (Bulgaria and Romania since then): Ireland has an
# opt-out and Cyprus does not yet apply the Schengen acquis in full.
SCHENGEN_STATES: frozenset[str] = (EU_MEMBER_STATES - {"IRL", "CYP"}) | SCHENGEN_ASSOCIATED_STATES

# Nationals of these states enjoy free movement, so they are not third-country nationals
# for EES and ETIAS (Reg. 2017/2226 Art. 2, Reg. 2018/1240 Art. 2).
FREE_MOVEMENT_STATES: frozenset[str] = EU_MEMBER_STATES | SCHENGEN_ASSOCIATED_STATES

_GERMANY_IN_MRZ = "D"


# Codes people type for a State that documents name otherwise.
_INSTEAD: Mapping[str, str] = MappingProxyType(
    {
        "XKX": "Kosovo is RKS in ICAO 9303 (UNK: a travel document issued by UNMIK)",
        "XK": "Kosovo is RKS in ICAO 9303 (UNK: a travel document issued by UNMIK)",
        "KOS": "Kosovo is RKS in ICAO 9303 (UNK: a travel document issued by UNMIK)",
        "DE": "Germany is DEU, or D as its MRZ writes it",
        "GER": "Germany is DEU, or D as its MRZ writes it",
        "UK": "the United Kingdom is GBR",
    }
)


def unknown_country(shown: str, code: str) -> str:
    """Why `code` (quoted as `shown`) is refused, with the code meant when it is a known slip."""
    text = f"{shown} is not an ISO 3166-1 alpha-3 or ICAO 9303 country code"
    instead = _INSTEAD.get(_clean(code))
    if instead is None and len(_clean(code)) == 2:
        instead = "give the three-letter code"
    return f"{text}: {instead}" if instead else text


class UnknownCountryError(ValueError):
    """A code that is neither ISO 3166-1 alpha-3 nor an ICAO 9303 code."""

    def __init__(self, code: str) -> None:
        super().__init__(unknown_country(repr(code), code))
        self.code = code


def _clean(code: str) -> str:
    return code.strip().rstrip("<").upper()


def normalise_country(code: str) -> str:
    """Return the canonical code: upper case, MRZ fillers dropped, Germany's ``D`` as ``DEU``.

    Raises ``UnknownCountryError`` for anything not in ``MRZ_COUNTRY_CODES``.
    """
    cleaned = _clean(code)
    if cleaned not in MRZ_COUNTRY_CODES:
        raise UnknownCountryError(code)
    return "DEU" if cleaned == _GERMANY_IN_MRZ else cleaned


def canonical_country(code: str) -> str:
    """`normalise_country` for a code that may not be valid: an unknown one is only cleaned,
    so that comparing two codes never fails."""
    return normalise_country(code) if is_valid_country(code) else _clean(code)


def is_valid_country(code: str) -> bool:
    """Whether ``normalise_country`` accepts ``code``."""
    return _clean(code) in MRZ_COUNTRY_CODES


def mrz_country_code(code: str) -> str:
    """Return the code as an MRZ writes it (before filler padding): ``DEU`` becomes ``D``."""
    normalised = normalise_country(code)
    return _GERMANY_IN_MRZ if normalised == "DEU" else normalised
