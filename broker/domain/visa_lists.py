"""Who needs a visa for a short stay, and who needs a travel authorisation instead.

Regulation (EU) 2018/1806, Annex I (visa required) and Annex II (visa-exempt, and so
subject to ETIAS, Reg. (EU) 2018/1240 Art. 2(1)), as consolidated by the EU Publications
Office on 2024-08-04 (CELEX 02018R1806-20240804: amended by Reg. 2019/592, Delegated
Reg. 2023/222, Reg. 2023/850 and Delegated Reg. 2024/2059). Later amendments are not in
these lists: update them, and AS_OF, from the next consolidated text.

Codes are those of machine readable zones (ICAO Doc 9303 Part 3). Footnotes of Annex II
that limit an exemption to biometric passports (Albania, Bosnia and Herzegovina,
Georgia, Moldova, Montenegro, North Macedonia, Serbia, Ukraine) or to a kind of passport
(Hong Kong, Macao, Taiwan) are not modelled: the guard sees the passport.
"""

from __future__ import annotations

import datetime as dt
import enum

from broker.domain.countries import FREE_MOVEMENT_STATES

AS_OF = dt.date(2024, 8, 4)
SOURCE = "Reg. (EU) 2018/1806, consolidated text of 2024-08-04 (CELEX 02018R1806-20240804)"

ANNEX_I: frozenset[str] = frozenset(
    # Part 1, States; part 2, entities not recognised as States by at least one Member
    # State (PSE, the Palestinian Authority).
    """
    AFG AGO ARM AZE BDI BEN BFA BGD BHR BLR BLZ BOL BTN BWA CAF CHN CIV CMR COD COG COM CPV
    CUB DJI DOM DZA ECU EGY ERI ETH FJI GAB GHA GIN GMB GNB GNQ GUY HTI IDN IND IRN IRQ JAM
    JOR KAZ KEN KGZ KHM KWT LAO LBN LBR LBY LKA LSO MAR MDG MDV MLI MMR MNG MOZ MRT MWI NAM
    NER NGA NPL OMN PAK PHL PNG PRK QAT RUS RWA SAU SDN SEN SLE SOM SSD STP SUR SWZ SYR TCD
    TGO THA TJK TKM TUN TUR TZA UGA UZB VNM YEM ZAF ZMB ZWE
    PSE
    """.split()
)

ANNEX_II: frozenset[str] = frozenset(
    # Part 1, States (the United Kingdom since Reg. 2019/592); part 2, the special
    # administrative regions of China; part 3, British nationals who are not British
    # citizens; part 4, entities not recognised as States by at least one Member State
    # (Kosovo, RKS on its documents, since Reg. 2023/850; Taiwan).
    """
    ALB AND ARE ARG ATG AUS BHS BIH BRA BRB BRN CAN CHL COL CRI DMA FSM GBR GEO GRD GTM HND
    ISR JPN KIR KNA KOR LCA MCO MDA MEX MHL MKD MNE MUS MYS NIC NRU NZL PAN PER PLW PRY SLB
    SLV SMR SRB SYC SGP TLS TON TTO TUV UKR URY USA VAT VCT VEN VUT WSM
    HKG MAC
    GBD GBN GBO GBP GBS
    RKS TWN
    """.split()
)

# Annex II nationals whose exemption is suspended (Art. 8): a visa is required.
SUSPENDED: dict[str, str] = {
    "VUT": "Delegated Reg. (EU) 2023/222, extended by Delegated Reg. (EU) 2024/2059",
}

# Stateless persons and refugees hold no nationality the annexes can list.
WITHOUT_NATIONALITY = frozenset({"XXA", "XXB", "XXC", "XXX"})


class Regime(enum.Enum):
    """What a traveller needs to cross an external border for a short stay."""

    FREE_MOVEMENT = "free movement"
    VISA = "visa"
    TRAVEL_AUTHORISATION = "travel authorisation"
    UNKNOWN = "unknown"


def regime(nationality: str, document_issuing_state: str = "") -> tuple[Regime, str]:
    """The regime for `nationality`, and why, citing the list.

    Stateless persons and refugees need a visa when the State that issued their travel
    document, where they reside, is in Annex I (Reg. 2018/1806 Art. 3(2)); otherwise the
    exemptions depend on where they reside and what they hold, which the guard verifies.
    """
    if nationality in FREE_MOVEMENT_STATES:
        return Regime.FREE_MOVEMENT, f"{nationality}: right of free movement"
    if nationality in SUSPENDED:
        return Regime.VISA, f"{nationality}: visa exemption suspended ({SUSPENDED[nationality]})"
    if nationality in ANNEX_I:
        return Regime.VISA, f"{nationality}: visa required (Annex I; {SOURCE})"
    if nationality in ANNEX_II:
        return Regime.TRAVEL_AUTHORISATION, f"{nationality}: visa-exempt (Annex II; {SOURCE})"
    if nationality in WITHOUT_NATIONALITY and document_issuing_state in ANNEX_I:
        return (
            Regime.VISA,
            f"{nationality} with a travel document of {document_issuing_state}: visa required "
            "(Art. 3(2))",
        )
    return Regime.UNKNOWN, f"{nationality or 'nationality not given'}: not in the lists of {SOURCE}"
