"""Readings of a name: the Latin spellings that different documents give one name.

A name held in its original script has no single Latin form: Гнатишин is
HNATYSHYN on a Ukrainian passport (KMU 2010: Г is H, И is Y) and GNATISHIN by
Russian rules; Παπαδόπουλος has an ICAO and an ELOT 743 form; 张伟 is ZHANG
WEI in pinyin. A query in such a script is compared in every reading its script
has, per language and standard (ICU's transliterators), and the best one
counts. Arabic and Persian script leave out short vowels, so their reading is a
consonant skeleton (see `normalise.skeleton`): محمد reads MHMD, which meets
MUHAMMAD, MOHAMED and MOHAMMAD alike.

A Latin name can be a reading of another standard too: Wade-Giles CHANG is
pinyin ZHANG (or CHANG, for an aspirated initial whose apostrophe was
dropped), TS'AI is CAI, HSU is XU.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache, lru_cache

import icu

from broker.matching.normalise import normalise_name

# Any Cyrillic name may be Ukrainian, Russian or Bulgarian: Гнатишин has no letter
# that only Ukrainian writes. The other languages are read where their own
# letters appear (ў, ђ ј љ њ ћ џ, ѓ ќ ѕ, ә ғ қ ң ө ұ ү һ).
_CYRILLIC = ("Ukrainian-Latin/BGN", "Russian-Latin/BGN", "Bulgarian-Latin/BGN")
_CYRILLIC_BY_LETTERS = (
    ("ўЎ", "Belarusian-Latin/BGN"),
    ("ђјљњћџЂЈЉЊЋЏ", "Serbian-Latin/BGN"),
    ("ѓќѕЃЌЅјљњџЈЉЊЏ", "Macedonian-Latin/BGN"),
    ("әғқңөұүһӘҒҚҢӨҰҮҺ", "Kazakh-Latin/BGN"),
)
_GREEK = ("Greek-Latin/UNGEGN", "Greek-Latin/BGN")
_HAN = ("Han-Latin/Names",)
_HANGUL = ("Hangul-Latin", "Korean-Latin/BGN")


@cache
def _transliterator(name: str) -> icu.Transliterator:
    return icu.Transliterator.createInstance(name)


def _icu(name: str) -> Callable[[str], str]:
    def read(text: str) -> str:
        return str(_transliterator(name).transliterate(unicodedata.normalize("NFD", text)))

    return read


def _syllables(name: str) -> Callable[[str], str]:
    """Hangul and Han a syllable at a time: MIN JUN, not MINJUN read as one word."""
    read = _icu(name)

    def each(text: str) -> str:
        return " ".join(read(c) if c.isalpha() else " " for c in text)

    return each


def _without_final_schwa(text: str) -> str:
    """Hindi and Bengali drop the inherent vowel at the end of a word: RAHULA is RAHUL."""
    return re.sub(r"(?<=[^AEIOU ])A\b", "", normalise_name(_icu("Any-Latin")(text)))


# Arabic and Persian letters as consonants; long vowels, ain, hamza and the
# feminine ending are left out, as the skeleton of a Latin spelling leaves
# out its vowels.
_ARABIC_CONSONANTS: dict[str, str] = {
    "ب": "B", "ت": "T", "ث": "TH", "ج": "J", "ح": "H", "خ": "KH", "د": "D", "ذ": "DH",
    "ر": "R", "ز": "Z", "س": "S", "ش": "SH", "ص": "S", "ض": "D", "ط": "T", "ظ": "Z",
    "غ": "GH", "ف": "F", "ق": "Q", "ك": "K", "ک": "K", "ل": "L", "م": "M", "ن": "N",
    "ه": "H", "پ": "P", "چ": "CH", "ژ": "ZH", "گ": "G",
}  # fmt: skip
_ARABIC_LETTER = "[\u0621-\u064a\u067e-\u06cc]"
_ARABIC_ARTICLE = re.compile(f"(?<!{_ARABIC_LETTER})(?:ال|ٱل)(?={_ARABIC_LETTER}{{2}})")
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")


# "Servant of" and "father of" make one name with the word after them: عبد الرحمن
# is ABDULRAHMAN, ABDEL RAHMAN or ABD AL-RAHMAN.
_ARABIC_COMPOUND = re.compile(r"\b(عبد|أبو|ابو)\s+")


def arabic_skeleton(text: str) -> str:
    """Arabic or Persian script as Latin consonants, the article ال as the particle AL."""
    bare = _ARABIC_MARKS.sub("", unicodedata.normalize("NFC", text))
    bare = _ARABIC_ARTICLE.sub("ال ", _ARABIC_COMPOUND.sub(r"\1", bare))
    words = []
    for word in bare.split():
        if word in ("ال", "ٱل"):
            words.append("AL")
            continue
        words.append("".join(_ARABIC_CONSONANTS.get(c, "") for c in word))
    return " ".join(w for w in words if w)


_SCRIPTS: tuple[tuple[str, tuple[Callable[[str], str], ...]], ...] = (
    ("\u0400-\u04ff", tuple(_icu(n) for n in _CYRILLIC)),
    *((letters, (_icu(name),)) for letters, name in _CYRILLIC_BY_LETTERS),
    ("\u0370-\u03ff\u1f00-\u1fff", tuple(_icu(n) for n in _GREEK)),
    ("\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff", (arabic_skeleton,)),
    ("\u3400-\u4dbf\u4e00-\u9fff", tuple(_syllables(n) for n in _HAN)),
    ("\uac00-\ud7af\u1100-\u11ff", tuple(_syllables(n) for n in _HANGUL)),
    ("\u0900-\u09ff", (_icu("Any-Latin"), _without_final_schwa)),
)
_DETECT = tuple((re.compile(f"[{chars}]"), readers) for chars, readers in _SCRIPTS)


@lru_cache(maxsize=1 << 15)
def readings(raw: str) -> tuple[str, ...]:
    """Every Latin reading of a name, normalised: the ICAO form first, then one per standard.

    Readings are listed by standard, repeats included, so that the readings of
    a surname and of given names in one script pair up by position. A name in
    Latin letters has its own form and, where its words read as Wade-Giles
    syllables, the pinyin those syllables stand for.
    """
    icao = normalise_name(raw)
    scripts = () if raw.isascii() else _DETECT
    readers = [reader for pattern, group in scripts if pattern.search(raw) for reader in group]
    if not readers:
        return (icao, *wade_giles_readings(icao))
    return (icao, *(normalise_name(read(raw)) for read in readers))


# ---- Wade-Giles --------------------------------------------------------------------

_WG_INITIALS = ("TS", "TZ", "CH", "HS", "SH", "SZ", "SS", "K", "P", "T", "J",
                "L", "M", "N", "F", "H", "S", "W", "Y", "")  # fmt: skip
_WG_FINALS = ("IUNG", "IANG", "UANG", "IEN", "IEH", "IAO", "UAI", "UAN", "UEI", "ERH",
              "ANG", "ENG", "ING", "UNG", "IH", "EH", "AI", "AN", "AO", "EI", "EN", "IA", "IN",
              "IU", "OU", "UA", "UI", "UN", "UO", "A", "E", "I", "O", "U")  # fmt: skip
_WG_SYLLABLE = re.compile(
    f"(?P<initial>{'|'.join(i for i in _WG_INITIALS if i)})?(?P<final>{'|'.join(_WG_FINALS)})"
)
# Pinyin of each Wade-Giles initial: (unaspirated, aspirated). The apostrophe
# that told them apart is dropped by most documents, so both are readings.
_WG_TO_PINYIN = {
    "CH": ("ZH", "CH"), "K": ("G", "K"), "P": ("B", "P"), "T": ("D", "T"),
    "TS": ("Z", "C"), "TZ": ("Z", "C"), "HS": ("X", "X"), "J": ("R", "R"),
    "SZ": ("S", "S"), "SS": ("S", "S"),
}  # fmt: skip
_WG_FINAL_TO_PINYIN = {"IEN": "IAN", "IEH": "IE", "UNG": "ONG", "IUNG": "IONG", "UEI": "UI",
                       "ERH": "ER", "IH": "I", "EH": "E"}  # fmt: skip
# Wade-Giles O is pinyin E after K and H (KO -> GE, HO -> HE), UO after L and N.
_WG_O_FINAL = {"K": "E", "H": "E", "L": "UO", "N": "UO"}


def _wade_giles_syllable(initial: str, final: str, aspirated: bool) -> str:
    pinyin_final = _WG_FINAL_TO_PINYIN.get(final, final)
    if initial in ("TS", "TZ", "SZ", "SS") and final == "U":
        pinyin_final = "I"
    if initial == "CH" and final.startswith("I") and final != "IH":
        return ("Q" if aspirated else "J") + pinyin_final
    pinyin = _WG_TO_PINYIN.get(initial, (initial, initial))[aspirated]
    if final == "O" and initial in _WG_O_FINAL:
        pinyin_final = _WG_O_FINAL[initial]
    return pinyin + pinyin_final


_WG_WORD = re.compile(f"(?:{_WG_SYLLABLE.pattern})+")


def _wade_giles_word(word: str, aspirated: bool) -> str:
    """The pinyin of a word made of Wade-Giles syllables (as far as they read)."""
    out, at = [], 0
    while at < len(word):
        match = _WG_SYLLABLE.match(word, at)
        if match is None or match.end() == at:
            return word
        out.append(_wade_giles_syllable(match["initial"] or "", match["final"], aspirated))
        at = match.end()
    return "".join(out)


def wade_giles_readings(normalised: str) -> list[str]:
    """Pinyin readings of a name whose words are all Wade-Giles syllables (CHOU -> ZHOU)."""
    words = normalised.split()
    if not all(_WG_WORD.fullmatch(w) for w in words):
        return []
    out = [" ".join(_wade_giles_word(w, aspirated) for w in words) for aspirated in (False, True)]
    return [r for r in out if r != normalised]
