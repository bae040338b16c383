"""Country codes as machine readable zones and the EU's border systems use them.

An MRZ names states with ISO 3166-1 alpha-3 codes, plus the codes ICAO Doc 9303 Part 3
section 5 adds for what ISO does not cover: British nationality classes, stateless persons
and refugees, organisations that issue travel documents, and Germany, which writes itself
as a single ``D`` (``D<<`` in the zone). Everything past parsing compares nationalities
across systems that use ``DEU``, so ``normalise_country`` turns ``D`` into ``DEU`` and
``mrz_country_code`` turns it back when a zone is written.

Kosovo has no ISO code: its passports write ``RKS``, the EU's systems ``XKX``;
``normalise_country`` reads both as ``XKX``.

The ISO list is the 249 officially assigned codes (checked against pycountry 26.2.16
and ICU); neither is asked at run time because the list changes once in years.
"""

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

# The 249 officially assigned codes with their English short names as CLDR writes
# them (ICU's display names), for a border guard reading a code.
ISO_3166_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "ABW": "Aruba",
        "AFG": "Afghanistan",
        "AGO": "Angola",
        "AIA": "Anguilla",
        "ALA": "Åland Islands",
        "ALB": "Albania",
        "AND": "Andorra",
        "ARE": "United Arab Emirates",
        "ARG": "Argentina",
        "ARM": "Armenia",
        "ASM": "American Samoa",
        "ATA": "Antarctica",
        "ATF": "French Southern Territories",
        "ATG": "Antigua & Barbuda",
        "AUS": "Australia",
        "AUT": "Austria",
        "AZE": "Azerbaijan",
        "BDI": "Burundi",
        "BEL": "Belgium",
        "BEN": "Benin",
        "BES": "Caribbean Netherlands",
        "BFA": "Burkina Faso",
        "BGD": "Bangladesh",
        "BGR": "Bulgaria",
        "BHR": "Bahrain",
        "BHS": "Bahamas",
        "BIH": "Bosnia & Herzegovina",
        "BLM": "St. Barthélemy",
        "BLR": "Belarus",
        "BLZ": "Belize",
        "BMU": "Bermuda",
        "BOL": "Bolivia",
        "BRA": "Brazil",
        "BRB": "Barbados",
        "BRN": "Brunei",
        "BTN": "Bhutan",
        "BVT": "Bouvet Island",
        "BWA": "Botswana",
        "CAF": "Central African Republic",
        "CAN": "Canada",
        "CCK": "Cocos (Keeling) Islands",
        "CHE": "Switzerland",
        "CHL": "Chile",
        "CHN": "China",
        "CIV": "Côte d’Ivoire",
        "CMR": "Cameroon",
        "COD": "Congo - Kinshasa",
        "COG": "Congo - Brazzaville",
        "COK": "Cook Islands",
        "COL": "Colombia",
        "COM": "Comoros",
        "CPV": "Cape Verde",
        "CRI": "Costa Rica",
        "CUB": "Cuba",
        "CUW": "Curaçao",
        "CXR": "Christmas Island",
        "CYM": "Cayman Islands",
        "CYP": "Cyprus",
        "CZE": "Czechia",
        "DEU": "Germany",
        "DJI": "Djibouti",
        "DMA": "Dominica",
        "DNK": "Denmark",
        "DOM": "Dominican Republic",
        "DZA": "Algeria",
        "ECU": "Ecuador",
        "EGY": "Egypt",
        "ERI": "Eritrea",
        "ESH": "Western Sahara",
        "ESP": "Spain",
        "EST": "Estonia",
        "ETH": "Ethiopia",
        "FIN": "Finland",
        "FJI": "Fiji",
        "FLK": "Falkland Islands",
        "FRA": "France",
        "FRO": "Faroe Islands",
        "FSM": "Micronesia",
        "GAB": "Gabon",
        "GBR": "United Kingdom",
        "GEO": "Georgia",
        "GGY": "Guernsey",
        "GHA": "Ghana",
        "GIB": "Gibraltar",
        "GIN": "Guinea",
        "GLP": "Guadeloupe",
        "GMB": "Gambia",
        "GNB": "Guinea-Bissau",
        "GNQ": "Equatorial Guinea",
        "GRC": "Greece",
        "GRD": "Grenada",
        "GRL": "Greenland",
        "GTM": "Guatemala",
        "GUF": "French Guiana",
        "GUM": "Guam",
        "GUY": "Guyana",
        "HKG": "Hong Kong SAR China",
        "HMD": "Heard & McDonald Islands",
        "HND": "Honduras",
        "HRV": "Croatia",
        "HTI": "Haiti",
        "HUN": "Hungary",
        "IDN": "Indonesia",
        "IMN": "Isle of Man",
        "IND": "India",
        "IOT": "British Indian Ocean Territory",
        "IRL": "Ireland",
        "IRN": "Iran",
        "IRQ": "Iraq",
        "ISL": "Iceland",
        "ISR": "Israel",
        "ITA": "Italy",
        "JAM": "Jamaica",
        "JEY": "Jersey",
        "JOR": "Jordan",
        "JPN": "Japan",
        "KAZ": "Kazakhstan",
        "KEN": "Kenya",
        "KGZ": "Kyrgyzstan",
        "KHM": "Cambodia",
        "KIR": "Kiribati",
        "KNA": "St. Kitts & Nevis",
        "KOR": "South Korea",
        "KWT": "Kuwait",
        "LAO": "Laos",
        "LBN": "Lebanon",
        "LBR": "Liberia",
        "LBY": "Libya",
        "LCA": "St. Lucia",
        "LIE": "Liechtenstein",
        "LKA": "Sri Lanka",
        "LSO": "Lesotho",
        "LTU": "Lithuania",
        "LUX": "Luxembourg",
        "LVA": "Latvia",
        "MAC": "Macao SAR China",
        "MAF": "St. Martin",
        "MAR": "Morocco",
        "MCO": "Monaco",
        "MDA": "Moldova",
        "MDG": "Madagascar",
        "MDV": "Maldives",
        "MEX": "Mexico",
        "MHL": "Marshall Islands",
        "MKD": "North Macedonia",
        "MLI": "Mali",
        "MLT": "Malta",
        "MMR": "Myanmar (Burma)",
        "MNE": "Montenegro",
        "MNG": "Mongolia",
        "MNP": "Northern Mariana Islands",
        "MOZ": "Mozambique",
        "MRT": "Mauritania",
        "MSR": "Montserrat",
        "MTQ": "Martinique",
        "MUS": "Mauritius",
        "MWI": "Malawi",
        "MYS": "Malaysia",
        "MYT": "Mayotte",
        "NAM": "Namibia",
        "NCL": "New Caledonia",
        "NER": "Niger",
        "NFK": "Norfolk Island",
        "NGA": "Nigeria",
        "NIC": "Nicaragua",
        "NIU": "Niue",
        "NLD": "Netherlands",
        "NOR": "Norway",
        "NPL": "Nepal",
        "NRU": "Nauru",
        "NZL": "New Zealand",
        "OMN": "Oman",
        "PAK": "Pakistan",
        "PAN": "Panama",
        "PCN": "Pitcairn Islands",
        "PER": "Peru",
        "PHL": "Philippines",
        "PLW": "Palau",
        "PNG": "Papua New Guinea",
        "POL": "Poland",
        "PRI": "Puerto Rico",
        "PRK": "North Korea",
        "PRT": "Portugal",
        "PRY": "Paraguay",
        "PSE": "Palestinian Territories",
        "PYF": "French Polynesia",
        "QAT": "Qatar",
        "REU": "Réunion",
        "ROU": "Romania",
        "RUS": "Russia",
        "RWA": "Rwanda",
        "SAU": "Saudi Arabia",
        "SDN": "Sudan",
        "SEN": "Senegal",
        "SGP": "Singapore",
        "SGS": "South Georgia & South Sandwich Islands",
        "SHN": "St. Helena",
        "SJM": "Svalbard & Jan Mayen",
        "SLB": "Solomon Islands",
        "SLE": "Sierra Leone",
        "SLV": "El Salvador",
        "SMR": "San Marino",
        "SOM": "Somalia",
        "SPM": "St. Pierre & Miquelon",
        "SRB": "Serbia",
        "SSD": "South Sudan",
        "STP": "São Tomé & Príncipe",
        "SUR": "Suriname",
        "SVK": "Slovakia",
        "SVN": "Slovenia",
        "SWE": "Sweden",
        "SWZ": "Eswatini",
        "SXM": "Sint Maarten",
        "SYC": "Seychelles",
        "SYR": "Syria",
        "TCA": "Turks & Caicos Islands",
        "TCD": "Chad",
        "TGO": "Togo",
        "THA": "Thailand",
        "TJK": "Tajikistan",
        "TKL": "Tokelau",
        "TKM": "Turkmenistan",
        "TLS": "Timor-Leste",
        "TON": "Tonga",
        "TTO": "Trinidad & Tobago",
        "TUN": "Tunisia",
        "TUR": "Türkiye",
        "TUV": "Tuvalu",
        "TWN": "Taiwan",
        "TZA": "Tanzania",
        "UGA": "Uganda",
        "UKR": "Ukraine",
        "UMI": "U.S. Outlying Islands",
        "URY": "Uruguay",
        "USA": "United States",
        "UZB": "Uzbekistan",
        "VAT": "Vatican City",
        "VCT": "St. Vincent & Grenadines",
        "VEN": "Venezuela",
        "VGB": "British Virgin Islands",
        "VIR": "U.S. Virgin Islands",
        "VNM": "Vietnam",
        "VUT": "Vanuatu",
        "WLF": "Wallis & Futuna",
        "WSM": "Samoa",
        "YEM": "Yemen",
        "ZAF": "South Africa",
        "ZMB": "Zambia",
        "ZWE": "Zimbabwe",
    }
)
ISO_3166_ALPHA3: frozenset[str] = frozenset(ISO_3166_NAMES)

# Doc 9303 Part 3 section 5, in the order it prints them, and Kosovo's user-assigned
# XKX, which the EU's systems write. Names are kept because three letters here can
# mean "this person has no nationality", which nobody reads off "XXB". IAO (ICAO
# signing a master list) is left out: no travel document carries it.
ICAO_SPECIAL_CODES: Mapping[str, str] = MappingProxyType(
    {
        "GBD": "British Overseas Territories Citizen",
        "GBN": "British National (Overseas)",
        "GBO": "British Overseas Citizen",
        "GBP": "British Protected Person",
        "GBS": "British Subject",
        "D": "Germany (written D<< in an MRZ; normalised to DEU)",
        "RKS": "Kosovo (on its own documents; read as XKX)",
        "XKX": "Kosovo",
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
# Codes read as another: Germany's single letter, Kosovo's own code as the EU writes it.
_READ_AS: Mapping[str, str] = MappingProxyType({_GERMANY_IN_MRZ: "DEU", "RKS": "XKX"})


# Codes people type for a State that documents name otherwise.
_INSTEAD: Mapping[str, str] = MappingProxyType(
    {
        "XK": "Kosovo is XKX, or RKS as its documents write it (UNK: issued by UNMIK)",
        "KOS": "Kosovo is XKX, or RKS as its documents write it (UNK: issued by UNMIK)",
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
    """Return the canonical code: upper case, MRZ fillers dropped, Germany's ``D`` as ``DEU``,
    Kosovo's ``RKS`` as ``XKX``.

    Raises ``UnknownCountryError`` for anything not in ``MRZ_COUNTRY_CODES``.
    """
    cleaned = _clean(code)
    if cleaned not in MRZ_COUNTRY_CODES:
        raise UnknownCountryError(code)
    return _READ_AS.get(cleaned, cleaned)


def country_name(code: str) -> str:
    """The English name of a country code (ISO or ICAO 9303); "" for an unknown one."""
    cleaned = _clean(code)
    return ISO_3166_NAMES.get(cleaned) or ICAO_SPECIAL_CODES.get(cleaned, "")


@lru_cache(maxsize=4096)
def canonical_country(code: str) -> str:
    """`normalise_country` for a code that may not be valid: an unknown one is only cleaned,
    so that comparing two codes never fails. Kept per code: a few hundred codes are asked
    for on every search."""
    return normalise_country(code) if is_valid_country(code) else _clean(code)


def is_valid_country(code: str) -> bool:
    """Whether ``normalise_country`` accepts ``code``."""
    return _clean(code) in MRZ_COUNTRY_CODES


def mrz_country_code(code: str) -> str:
    """Return the code as an MRZ writes it (before filler padding): ``DEU`` becomes ``D``."""
    normalised = normalise_country(code)
    return _GERMANY_IN_MRZ if normalised == "DEU" else normalised
