"""How the documents of other States romanise a name, written for the generator alone.

These rules follow the published standards letter by letter and share nothing
with the matching core (which reads names through ICU and its own folds), so
that a labelled query tests the matcher instead of repeating it:

* Ukrainian passports: the national system of 2010 (KMU resolution 55), with
  its word-initial forms (YE, YI, Y, YU, YA) and ZGH for ЗГ;
* Russian names in the spellings other authorities use: GOST/BGN style (Y, YU,
  YA, KH), German (SCH, TSCH, W, J) and Polish (SZ, CZ, W, J);
* Chinese names in Wade-Giles, from pinyin syllable by syllable.
"""

from __future__ import annotations

import re

_KMU_2010 = {
    "А": "A", "Б": "B", "В": "V", "Г": "H", "Ґ": "G", "Д": "D", "Е": "E", "Є": "IE",
    "Ж": "ZH", "З": "Z", "И": "Y", "І": "I", "Ї": "I", "Й": "I", "К": "K", "Л": "L",
    "М": "M", "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T", "У": "U",
    "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Ь": "", "Ю": "IU",
    "Я": "IA", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
_KMU_2010_INITIAL = {"Є": "YE", "Ї": "YI", "Й": "Y", "Ю": "YU", "Я": "YA"}


def kmu_2010(name: str) -> str:
    """A Ukrainian name as a Ukrainian passport prints it: Гнатишин -> HNATYSHYN."""
    words = []
    for word in re.split(r"[\s-]+", name.upper().replace("ЗГ", "ZGH")):
        letters = [
            _KMU_2010_INITIAL.get(c, _KMU_2010.get(c, c)) if i == 0 else _KMU_2010.get(c, c)
            for i, c in enumerate(word)
        ]
        words.append("".join(letters))
    return " ".join(w for w in words if w)


_RUSSIAN_STYLES: dict[str, dict[str, str]] = {
    "bgn": {"Й": "Y", "Ю": "YU", "Я": "YA", "Ё": "YO", "Х": "KH", "Ц": "TS", "Ъ": "", "Ы": "Y",
            "Ж": "ZH", "Ч": "CH", "Ш": "SH", "Щ": "SHCH", "Е": "E", "Э": "E", "И": "I"},
    "german": {"Й": "J", "Ю": "JU", "Я": "JA", "Ё": "JO", "Х": "CH", "Ц": "Z", "Ъ": "", "Ы": "Y",
               "Ж": "SCH", "Ч": "TSCH", "Ш": "SCH", "Щ": "SCHTSCH", "В": "W", "З": "S",
               "С": "SS", "Е": "E", "Э": "E", "И": "I"},
    "polish": {"Й": "J", "Ю": "JU", "Я": "JA", "Ё": "JO", "Х": "CH", "Ц": "C", "Ъ": "", "Ы": "Y",
               "Ж": "Z", "Ч": "CZ", "Ш": "SZ", "Щ": "SZCZ", "В": "W", "Е": "E", "Э": "E",
               "И": "I", "Л": "L"},
}  # fmt: skip
_RUSSIAN_COMMON = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "З": "Z", "К": "K", "Л": "L", "М": "M",
    "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T", "У": "U", "Ф": "F", "Ь": "",
}  # fmt: skip


def russian_styles(name: str) -> tuple[tuple[str, str], ...]:
    """A Russian or Bulgarian name in the BGN, German and Polish styles."""
    out = []
    for style, table in _RUSSIAN_STYLES.items():
        letters = (table.get(c, _RUSSIAN_COMMON.get(c, c)) for c in name.upper())
        out.append((style, "".join(letters)))
    return tuple(out)


_PINYIN_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
                    "j", "q", "x", "r", "z", "c", "s", "y", "w", "")  # fmt: skip
_WADE_GILES_INITIALS = {
    "b": "P", "p": "P'", "d": "T", "t": "T'", "g": "K", "k": "K'", "z": "TS", "c": "TS'",
    "zh": "CH", "ch": "CH'", "j": "CH", "q": "CH'", "x": "HS", "r": "J",
}  # fmt: skip
_WADE_GILES_FINALS = {
    "ian": "IEN", "ie": "IEH", "ong": "UNG", "iong": "IUNG", "ui": "UEI", "er": "ERH",
    "ye": "YEH", "yan": "YEN", "you": "YU", "yong": "YUNG",
}  # fmt: skip
_PINYIN_FINALS = ("iang", "iong", "uang", "ang", "eng", "ing", "ong", "ian", "iao", "uai",
                  "uan", "ai", "an", "ao", "ei", "en", "er", "ia", "ie", "in", "iu", "ou",
                  "ua", "ue", "ui", "un", "uo", "a", "e", "i", "o", "u", "ü", "v")  # fmt: skip
_PINYIN_SYLLABLE = re.compile(
    f"({'|'.join(i for i in _PINYIN_INITIALS if i)})?({'|'.join(_PINYIN_FINALS)})"
)


def _wade_giles_syllable(initial: str, final: str) -> str:
    whole = initial + final
    if whole in _WADE_GILES_FINALS:
        return _WADE_GILES_FINALS[whole]
    if final == "i" and initial in ("z", "c", "s"):
        return {"z": "TZU", "c": "TZ'U", "s": "SSU"}[initial]
    if final == "i" and initial in ("zh", "ch", "sh", "r"):
        return {"zh": "CHIH", "ch": "CH'IH", "sh": "SHIH", "r": "JIH"}[initial]
    if final == "e" and initial in ("g", "k", "h"):
        final = "o"
    if final == "uo" and initial in ("b", "p", "m", "f", "l", "n", "d", "t", "z", "c", "s", "r"):
        final = "o"
    if final == "ue":
        final = "üeh"
    elif initial in ("j", "q", "x") and final.startswith("u"):
        final = "ü" + final[1:]
    return _WADE_GILES_INITIALS.get(initial, initial.upper()) + _WADE_GILES_FINALS.get(
        final, final
    ).upper().replace("Ü", "U").replace("V", "U")


def wade_giles(pinyin: str) -> str:
    """A pinyin name in Wade-Giles: ZHANG -> CHANG, XIAOMING -> HSIAO-MING ("" if unparsed).

    Syllables are read left to right, the longest final first; documents
    often leave out the apostrophe of aspirated initials, so the caller may drop it.
    """
    words = []
    for word in pinyin.lower().split():
        syllables, at = [], 0
        while at < len(word):
            match = _PINYIN_SYLLABLE.match(word, at)
            if match is None:
                return ""
            syllables.append(_wade_giles_syllable(match[1] or "", match[2]))
            at = match.end()
        words.append("-".join(syllables))
    return " ".join(words)
