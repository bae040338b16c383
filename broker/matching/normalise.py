"""Name and date normalisation by the ICAO Doc 9303 Part 3 rules.

A name is reduced to upper-case A-Z tokens. National characters have two
permitted forms (Ä -> AE or A), and a State may have used either, so every name
has a *primary* form (the expanded one, AE/OE/UE/AA) and a *secondary* form; a
match must hold in both. Cyrillic, Greek and Arabic letters are transliterated
with the ICAO tables; any other script falls back to `unidecode`.

`fold` goes further than ICAO: it collapses the spelling choices that differ
between transliteration schemes (KH/H, IU/YU, Y/I, double letters...) so that two
spellings of one name written by different authorities compare equal. It is a
similarity aid and a blocking key, never a displayed value.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from unidecode import unidecode

_TWO_FORMS: dict[str, tuple[str, str]] = {
    "Ä": ("AE", "A"),
    "Å": ("AA", "A"),
    "Ö": ("OE", "O"),
    "Ü": ("UE", "U"),
    "Ø": ("OE", "O"),
}

_ONE_FORM_LATIN: dict[str, str] = {
    "Æ": "AE",
    "Œ": "OE",
    "ß": "SS",
    "ẞ": "SS",
    "Þ": "TH",
    "Ð": "D",
    "Đ": "D",
    "Ł": "L",
    "Ŀ": "L",
    "Ñ": "N",
    "Ĳ": "IJ",
    "İ": "I",
}

_CYRILLIC: dict[str, str] = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Ѓ": "G", "Ђ": "D",
    "Е": "E", "Ё": "E", "Є": "IE", "Ж": "ZH", "З": "Z", "Ѕ": "DZ", "И": "I", "І": "I",
    "Ї": "I", "Й": "I", "Ј": "J", "К": "K", "Л": "L", "Љ": "LJ", "М": "M", "Н": "N",
    "Њ": "NJ", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T", "Ћ": "C", "Ќ": "K",
    "У": "U", "Ў": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Џ": "DZ", "Ш": "SH",
    "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
}  # fmt: skip

_GREEK: dict[str, str] = {
    "Α": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Ζ": "Z", "Η": "I", "Θ": "TH",
    "Ι": "I", "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O", "Π": "P",
    "Ρ": "R", "Σ": "S", "Τ": "T", "Υ": "Y", "Φ": "F", "Χ": "CH", "Ψ": "PS", "Ω": "O",
}  # fmt: skip
_GREEK_DIGRAPHS = (("ΟΥ", "OU"), ("ΑΥ", "AV"), ("ΕΥ", "EV"))

_ARABIC: dict[str, str] = {
    "ا": "A", "أ": "A", "إ": "I", "آ": "AA", "ٱ": "A", "ب": "B", "ت": "T", "ث": "TH",
    "ج": "J", "ح": "H", "خ": "KH", "د": "D", "ذ": "DH", "ر": "R", "ز": "Z", "س": "S",
    "ش": "SH", "ص": "S", "ض": "D", "ط": "T", "ظ": "Z", "ع": "", "غ": "GH", "ف": "F",
    "ق": "Q", "ك": "K", "ک": "K", "ل": "L", "م": "M", "ن": "N", "ه": "H", "ة": "A",
    "و": "W", "ي": "Y", "ی": "Y", "ى": "A", "ء": "", "ؤ": "", "ئ": "", "پ": "P",
    "چ": "CH", "ژ": "ZH", "گ": "G", "ـ": "",
}  # fmt: skip

_SEPARATORS = " -<,./_\t\n()"
_DROPPED = "'’‘`´\""

# Particles carry little identifying weight: they stay in the joined form of a
# name but are not tokens of their own, so "VAN DER BERG" blocks on BERG.
PARTICLES = frozenset(
    "ABOU ABU AL BEN BENT BIN BINT DA DAS DE DEL DEN DER DI DO DOS DU EL IBN LA LE TER TEN UL "
    "VAN VON Y ZU".split()
)


class _Table(dict[int, str]):
    """A `str.translate` table that learns unknown characters through unidecode."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        if unicodedata.category(char).startswith("M"):
            out = ""
        else:
            # Georgian upper case (Mtavruli) is unknown to unidecode; its lower case is not.
            latin = unidecode(char) or unidecode(char.lower())
            out = "".join(c for c in latin.upper() if "A" <= c <= "Z" or c == " ")
        self[codepoint] = out
        return out


def _build_table(form: int) -> _Table:
    table = _Table()
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[ord(c)] = c
    for sep in _SEPARATORS:
        table[ord(sep)] = " "
    for drop in _DROPPED:
        table[ord(drop)] = ""
    for c, forms in _TWO_FORMS.items():
        table[ord(c)] = forms[form]
    for mapping in (_ONE_FORM_LATIN, _CYRILLIC, _GREEK, _ARABIC):
        for c, latin in mapping.items():
            table[ord(c)] = latin
    return table


_PRIMARY = _build_table(0)
_SECONDARY = _build_table(1)
_GREEK_ACCENTS = re.compile("[\u0300-\u036f]")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670]")


def _prepare(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).upper()
    if any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in text):
        text = _GREEK_ACCENTS.sub("", unicodedata.normalize("NFD", text))
        for greek, latin in _GREEK_DIGRAPHS:
            text = text.replace(greek, latin)
    return _ARABIC_MARKS.sub("", text)


@lru_cache(maxsize=1 << 17)
def normalise_name(raw: str) -> str:
    """The primary ICAO form: upper-case A-Z words separated by single spaces."""
    return " ".join(_prepare(raw).translate(_PRIMARY).split())


@lru_cache(maxsize=1 << 16)
def name_variants(raw: str) -> frozenset[str]:
    """Both ICAO forms of a name, e.g. MÜLLER -> {MUELLER, MULLER}."""
    text = _prepare(raw)
    return frozenset(
        " ".join(text.translate(table).split()) for table in (_PRIMARY, _SECONDARY)
    ) - {""}


def name_tokens(normalised: str) -> tuple[str, ...]:
    """The joined name first, then its content words if it has several.

    "VAN DER BERG" -> ("VANDERBERG", "BERG"); "SMITH" -> ("SMITH",). The joined
    form matches a compound written without spaces, the words match a compound
    of which one part is missing.
    """
    words = normalised.split()
    if not words:
        return ()
    joined = "".join(words)
    if len(words) == 1:
        return (joined,)
    content = [w for w in words if w not in PARTICLES] or words
    if content == [joined]:
        return (joined,)
    return (joined, *content)


# French-style romanisation (of Arabic in particular) writes OU for W, DJ for J
# and CH for SH: ABOU / ABW, DJAMEL / JAMAL, CHARIF / SHARIF.
_FOLDS = (
    ("SHCH", "SC"),
    ("SCH", "SC"),
    ("SH", "CH"),
    ("OU", "W"),
    ("DJ", "J"),
    ("KH", "H"),
    ("TS", "C"),
    ("TZ", "C"),
    ("CH", "C"),
    ("PH", "F"),
    ("TH", "T"),
    ("DH", "D"),
    ("GH", "G"),
    ("ZH", "J"),
    ("AE", "A"),
    ("OE", "O"),
    ("UE", "U"),
    ("Y", "I"),
    ("IU", "U"),
    ("IA", "A"),
    ("IE", "E"),
    ("IO", "O"),
    ("W", "V"),
    ("K", "C"),
    ("Q", "C"),
)
_DOUBLE = re.compile(r"([A-Z])\1+")
# The Arabic article glued to a name: ALHASHIMI is AL-HASHIMI and HASHIMI.
_GLUED_ARTICLE = re.compile(r"^(?:AL|EL|UL)(?=[^AEIOUY][A-Z]{4})")


def _undouble(text: str) -> str:
    """Doubled letters as one (a function replaces: a template is expanded at every call)."""
    return _DOUBLE.sub(_first_group, text)


def _first_group(match: re.Match[str]) -> str:
    return match[1]


@lru_cache(maxsize=1 << 17)
def fold(token: str) -> str:
    """Collapse transliteration choices: YURIY, IURII and JURIJ fold alike."""
    folded = _GLUED_ARTICLE.sub("", token)
    for a, b in _FOLDS:
        folded = folded.replace(a, b)
    return _undouble(folded)


_ARTICLE = re.compile(r"^(?:AL|EL|UL)(?=[^AEIOUY])")
# Back consonants as one (ق is Q, K or, in Persian, GH; ج is J or, in Egypt, G).
_VELARS = re.compile(r"KH|GH|Q|K(?!H)|J")
# Vowels, the glides written for long vowels, and D/Z (Arabic ض and ذ are D in
# Arabic, Z in Persian and Turkish spellings).
_NOT_IN_SKELETON = str.maketrans({"A": "", "E": "", "I": "", "O": "", "U": "", "V": "", "Z": "D"})


@lru_cache(maxsize=1 << 17)
def skeleton(token: str) -> str:
    """The consonants of a folded token without the article: MUHAMMAD, MOHAMED -> MHMD.

    What Arabic and Persian script write of a name; a final H (ALLAH, FATIMAH)
    is left out since the script's feminine ending is.
    """
    velars = _VELARS.sub(lambda m: "KH" if m[0] == "KH" else "G", _ARTICLE.sub("", token))
    bare = fold(velars).translate(_NOT_IN_SKELETON)
    return _undouble(bare).rstrip("H")


@lru_cache(maxsize=1 << 17)
def phonetic_key(token: str) -> str:
    """First letter and consonant skeleton of the folded token: MUELLER -> MLR."""
    folded = fold(token)
    if not folded:
        return ""
    rest = "".join(c for c in folded[1:] if c not in "AEIOUH")
    return _undouble(folded[0] + rest)


# Surname endings that follow the bearer's sex, (masculine, feminine), in Slavic
# languages and Greek; the longest ending that fits is the one read.
_GENDERED_ENDINGS = (
    ("OPOULOS", "OPOULOU"), ("SKIY", "SKAYA"), ("SKII", "SKAIA"), ("SKYI", "SKA"), ("SKI", "SKA"),
    ("CKI", "CKA"), ("ZKI", "ZKA"), ("OV", "OVA"), ("EV", "EVA"), ("IN", "INA"), ("YN", "YNA"),
    ("OS", "OU"), ("IS", "I"), ("AS", "A"),
)  # fmt: skip
_ENDINGS = sorted(
    {(ending, sex) for pair in _GENDERED_ENDINGS for sex, ending in enumerate(pair, start=1)},
    key=lambda item: -len(item[0]),
)
_MIN_STEM = 3


@lru_cache(maxsize=1 << 16)
def surname_form(token: str) -> tuple[str, int]:
    """The stem of a gendered surname and the sex its form is for (1 male, 2 female).

    KOWALSKI -> ("KOWAL", 1), KOWALSKA -> ("KOWAL", 2), SMITH -> ("", 0).
    """
    for ending, sex in _ENDINGS:
        if token.endswith(ending) and len(token) - len(ending) >= _MIN_STEM:
            return token[: -len(ending)], sex
    return "", 0


def other_form(a: str, b: str) -> bool:
    """Two forms of one family name for different sexes (KOWALSKI / KOWALSKA)."""
    (stem_a, sex_a), (stem_b, sex_b) = surname_form(a), surname_form(b)
    return sex_a > 0 and sex_b > 0 and sex_a != sex_b and stem_a == stem_b


def parse_date(value: str) -> tuple[int, int, int]:
    """'YYYY-MM-DD' with '00' (or missing parts) for unknown -> (year, month, day), 0 unknown."""
    value = value or ""
    if len(value) == 10 and value[4] == value[7] == "-" and value.isascii():
        # The usual form, read without a regular expression: `compare` reads two a pair.
        year, month, day = value[:4], value[5:7], value[8:]
        if year.isdigit() and month.isdigit() and day.isdigit():
            return _date(int(year), int(month), int(day))
    parts = [p for p in re.split(r"[^0-9]", value) if p]
    numbers = [int(p) for p in parts[:3]] + [0, 0, 0]
    return _date(*numbers[:3])


def _date(year: int, month: int, day: int) -> tuple[int, int, int]:
    if not 1 <= month <= 12:
        month = 0
    if not 1 <= day <= 31:
        day = 0
    return year, month, day


@lru_cache(maxsize=1 << 16)
def normalise_document(value: str) -> str:
    """Document numbers compare on A-Z0-9 only (MRZ filler and spaces removed)."""
    if value.isascii() and value.isalnum():
        # Most are clean already, and each new identity brings its own.
        return value.upper()
    return "".join(c for c in value.upper() if c.isascii() and c.isalnum())
