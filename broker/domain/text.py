"""Every string of a request as the rules may read it: NFC, printable, one line.

A value that looks right but is not (a trailing newline, a right-to-left override, a
zero-width space, a name spelt with combining accents where the records hold precomposed
ones) would otherwise pass a pattern, miss a record or fail far away in a system. So each
string field of a request is normalised to NFC and refused when it holds a character that
is not printable (control, format, separator other than the space, private use,
unassigned) before any other rule reads it; names may hold Persian's zero-width
non-joiner between two Arabic-script letters.
"""

from __future__ import annotations

import re
import unicodedata

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from broker.domain.errors import FieldViolation

# Fields that hold several lines by design (the MRZ is its lines joined by "\n").
MULTILINE = frozenset({"traveller.mrz"})
# Persian writes a zero-width non-joiner inside names (حسین‌زاده, Hosseinzadeh): in a
# name it is accepted between two letters of the Arabic script, and nowhere else.
_NAMES = re.compile(r"traveller\.(surname|given_names\[\d+\])$")
_NON_JOINER = "\u200c"


def normalise_strings(message: Message, problems: list[FieldViolation], path: str = "") -> None:
    """Normalise every string field of `message` (and of the messages in it) in place;
    add a violation for each one holding a character that is not printable."""
    for field, value in message.ListFields():
        where = f"{path}{field.name}"
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for index, item in enumerate(items):
                suffix = f"[{index}]" if field.is_repeated else ""
                normalise_strings(item, problems, f"{where}{suffix}.")
        elif field.type == FieldDescriptor.TYPE_STRING and field.is_repeated:
            for index, text in enumerate(value):
                value[index] = _checked(f"{where}[{index}]", text, problems)
        elif field.type == FieldDescriptor.TYPE_STRING:
            setattr(message, field.name, _checked(where, value, problems))


def _checked(field: str, text: str, problems: list[FieldViolation]) -> str:
    lines = text.split("\n") if field in MULTILINE else [text]
    if _NON_JOINER in text and _NAMES.match(field):
        lines = [_without_joiners(text)]
    if not all(line.isprintable() for line in lines):
        problems.append(
            FieldViolation(
                field,
                "holds a control, format or invisible character"
                + (" (lines are separated by \\n only)" if field in MULTILINE else ""),
            )
        )
        return text
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def _without_joiners(text: str) -> str:
    """`text` without the non-joiners that stand between two Arabic-script letters."""
    kept = [
        c
        for i, c in enumerate(text)
        if c != _NON_JOINER
        or not (0 < i < len(text) - 1 and _arabic(text[i - 1]) and _arabic(text[i + 1]))
    ]
    return "".join(kept)


def _arabic(c: str) -> bool:
    return c.isalpha() and unicodedata.name(c, "").startswith("ARABIC")
