"""Names as the broker passes them on: upper case, Latin letters, ICAO 9303 primary form.

The matching core compares both transliteration forms; here we only need one canonical
spelling to show the guard and to send to the systems.
"""

from __future__ import annotations

import re

from unidecode import unidecode

# ICAO 9303 Part 3 recommended transliterations that differ from a plain accent strip.
_ICAO = str.maketrans(
    {
        "Ä": "AE",
        "Ö": "OE",
        "Ü": "UE",
        "Å": "AA",
        "ß": "SS",
        "Ø": "OE",
        "Æ": "AE",
        "Þ": "TH",
        "Œ": "OE",
        "Ĳ": "IJ",
    }
)
_NOT_NAME = re.compile(r"[^A-Z' -]+")
_SPACES = re.compile(r"\s+")


def canonical_name(raw: str) -> str:
    """`"Müller-Lüdenscheidt "` -> `"MUELLER-LUEDENSCHEIDT"`; other scripts are romanised."""
    upper = raw.strip().upper().translate(_ICAO)
    latin = unidecode(upper).upper()
    return _SPACES.sub(" ", _NOT_NAME.sub(" ", latin.replace("<", " "))).strip()
