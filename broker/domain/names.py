"""Names as the broker passes them on: upper case, ICAO 9303 primary form for Latin script.

The transliteration itself is the matching core's (both ICAO forms are compared there);
here we only keep the hyphens and apostrophes of the written name, so the guard sees
MUELLER-LUEDENSCHEIDT as on the document rather than the matching key.

A name in another script (Cyrillic, Greek, Arabic, Han...) is passed on as written:
the matching core reads it in every romanisation its language uses (Ukrainian Гнатишин
as HNATYSHYN, Arabic السيد as ELSAYED or SAYED, by its consonants), which one
romanisation here would lose.
"""

from __future__ import annotations

import re
import unicodedata

from broker.matching import normalise_name

_KEPT = re.compile(r"\s*([-'])\s*")


def canonical_name(raw: str) -> str:
    """`"Müller-Lüdenscheidt "` -> `"MUELLER-LUEDENSCHEIDT"`; other scripts as written."""
    text = raw.replace("<", " ").strip()
    if written_in_other_script(text):
        return " ".join(unicodedata.normalize("NFC", text).upper().split())
    parts = _KEPT.split(text)
    words = [part if part in "-'" else normalise_name(part) for part in parts]
    return "".join(words).strip("-' ")


def written_in_other_script(text: str) -> bool:
    """Whether a letter of `text` is of a script other than Latin."""
    return any(c.isalpha() and not _is_latin(c) for c in text)


def _is_latin(letter: str) -> bool:
    return ord(letter) < 0x250 or unicodedata.name(letter, "").startswith("LATIN")
