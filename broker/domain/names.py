"""Names as the broker passes them on: upper case, Latin letters, ICAO 9303 primary form.

The transliteration itself is the matching core's (both ICAO forms are compared there);
here we only keep the hyphens and apostrophes of the written name, so the guard sees
MUELLER-LUEDENSCHEIDT as on the document rather than the matching key.
"""

from __future__ import annotations

import re

from broker.matching import normalise_name

_KEPT = re.compile(r"\s*([-'])\s*")


def canonical_name(raw: str) -> str:
    """`"Müller-Lüdenscheidt "` -> `"MUELLER-LUEDENSCHEIDT"`; other scripts are romanised."""
    parts = _KEPT.split(raw.replace("<", " ").strip())
    words = [part if part in "-'" else normalise_name(part) for part in parts]
    return "".join(words).strip("-' ")
