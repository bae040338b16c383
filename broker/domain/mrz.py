"""ICAO Doc 9303 machine readable zones: parse and validate them, and write them.

Formats (Parts 4 to 7): TD1 (3x30, ID cards), TD2 (2x36), TD3 (2x44, passports) and the
visas MRV-A (2x44) and MRV-B (2x36), told apart from TD3 and TD2 by the document code
``V``. Each format is one layout table below; parsing and building both walk it, so a
field sits at the same place for both and the composite check digit is computed from the
same cells.

Choices the standard leaves open, made here:

- Input is the lines joined by ``\\n``; surrounding whitespace and ``\\r`` are dropped. One
  line of 90, 72 or 88 characters (an eMRTD's DG1 holds the zone that way) is split.
- Lower case is rejected, not upper-cased: a reader never emits it, so it means a retyped
  zone, and the caller should decide to trust a transcription, not this module.
- A date of birth has two year digits; its century is the latest that does not put the
  birth after ``today`` (a holder over 100 is dated a century late: the MRZ cannot tell).
  A part written ``<<`` (unknown) comes out as ``00``, an unknown year as ``0000``.
- An expiry date is 20YY unless that is more than 50 years after ``today``'s year, then
  19YY: documents run 10 years at most, so only a long-expired one reaches that far.
- Germany's ``D<<`` comes out as ``DEU`` (see ``broker.domain.countries``); builders write ``D``.
- A TD1 or TD2 document number longer than 9 characters puts ``<`` in the check digit
  position and continues, with its check digit, at the start of the optional data.
  ICAO computes that digit over the whole number; some Belgian cards (PRADO BEL-BO-03003)
  include the ``<`` of position 15, and both are accepted. Builders write ICAO's form.
- Error messages never repeat names, numbers or dates from the zone: they end up in logs.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from broker.domain.countries import UnknownCountryError, mrz_country_code, normalise_country

_CHARACTER_VALUES: Mapping[str, int] = {
    character: value for value, character in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
} | {"<": 0}
_WEIGHTS = (7, 3, 1)


class MrzError(ValueError):
    """An MRZ (or the fields for one) that is not valid, naming the part that is wrong.

    ``field`` is a dotted path such as ``mrz.line2.date_of_birth_check_digit`` when parsing,
    or the ``MrzFields`` attribute when building, so an INVALID_ARGUMENT can point at it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class MrzFormat(StrEnum):
    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"
    MRV_A = "MRV-A"
    MRV_B = "MRV-B"


@dataclass(frozen=True, kw_only=True)
class MrzFields:
    """What an MRZ says about a document and its holder, decoded; the input of the builders.

    Dates are ``YYYY-MM-DD``; sex is ``M``, ``F`` or ``X`` (``<`` in the zone). Countries
    are ISO 3166-1 alpha-3 or ICAO 9303 codes, Germany as ``DEU``. Optional data keeps its
    inner ``<`` and loses trailing ones; ``optional_data_2`` is TD1's second line only.
    """

    document_code: str
    issuing_state: str
    surname: str
    given_names: tuple[str, ...]
    document_number: str
    nationality: str
    date_of_birth: str
    sex: str
    expiry_date: str
    optional_data: str = ""
    optional_data_2: str = ""


@dataclass(frozen=True, kw_only=True)
class Mrz(MrzFields):
    """A parsed MRZ whose check digits all hold.

    ``name_possibly_truncated`` is true when the name field has no filler left: Doc 9303
    cuts names that do not fit, so matching should treat the last name part as a prefix.
    """

    format: MrzFormat
    name_possibly_truncated: bool


_Line = tuple[tuple[str, int], ...]

_CODE_AND_STATE: _Line = (("document_code", 2), ("issuing_state", 3))
_HOLDER: _Line = (
    ("document_number", 9),
    ("document_number_check_digit", 1),
    ("nationality", 3),
    ("date_of_birth", 6),
    ("date_of_birth_check_digit", 1),
    ("sex", 1),
    ("expiry_date", 6),
    ("expiry_date_check_digit", 1),
)

_LAYOUTS: Mapping[MrzFormat, tuple[_Line, ...]] = {
    MrzFormat.TD1: (
        (
            *_CODE_AND_STATE,
            ("document_number", 9),
            ("document_number_check_digit", 1),
            ("optional_data", 15),
        ),
        (
            ("date_of_birth", 6),
            ("date_of_birth_check_digit", 1),
            ("sex", 1),
            ("expiry_date", 6),
            ("expiry_date_check_digit", 1),
            ("nationality", 3),
            ("optional_data_2", 11),
            ("composite_check_digit", 1),
        ),
        (("name", 30),),
    ),
    MrzFormat.TD2: (
        (*_CODE_AND_STATE, ("name", 31)),
        (*_HOLDER, ("optional_data", 7), ("composite_check_digit", 1)),
    ),
    MrzFormat.TD3: (
        (*_CODE_AND_STATE, ("name", 39)),
        (
            *_HOLDER,
            ("optional_data", 14),
            ("optional_data_check_digit", 1),
            ("composite_check_digit", 1),
        ),
    ),
    MrzFormat.MRV_A: ((*_CODE_AND_STATE, ("name", 39)), (*_HOLDER, ("optional_data", 16))),
    MrzFormat.MRV_B: ((*_CODE_AND_STATE, ("name", 31)), (*_HOLDER, ("optional_data", 8))),
}

# The composite digit guards these cells, in reading order (Doc 9303 Parts 4, 5 and 6):
# TD1 line 1 6-30 and line 2 1-7, 9-15, 19-29; TD2 line 2 1-10, 14-20,
# 22-35; TD3 line 2 1-10, 14-20, 22-43. Visas have no composite digit (Part 7).
_COMPOSITE_COVERAGE = frozenset(
    {
        "document_number",
        "document_number_check_digit",
        "date_of_birth",
        "date_of_birth_check_digit",
        "expiry_date",
        "expiry_date_check_digit",
        "optional_data",
        "optional_data_check_digit",
        "optional_data_2",
    }
)
_DATE_CHECKS = (
    ("date_of_birth", "date_of_birth_check_digit"),
    ("expiry_date", "expiry_date_check_digit"),
)
_LONG_NUMBER_FORMATS = frozenset({MrzFormat.TD1, MrzFormat.TD2})
_VISA_FORMATS = frozenset({MrzFormat.MRV_A, MrzFormat.MRV_B})
_ONE_LINE_SHAPES = {90: (3, 30), 72: (2, 36), 88: (2, 44)}
_EXPIRY_HORIZON_YEARS = 50
_SEX_IN_MRZ = {"M": "M", "F": "F", "X": "<"}
_SEX_FROM_MRZ = {"M": "M", "F": "F", "<": "X", "X": "X"}
_NAME_PART = re.compile(r"[A-Z]+(?:[ -]+[A-Z]+)*")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def check_digit(s: str) -> str:
    """Doc 9303 Part 3 check digit: weights 7, 3, 1; 0-9 as is, A-Z as 10-35, ``<`` as 0; mod 10."""
    total = 0
    for index, character in enumerate(s):
        value = _CHARACTER_VALUES.get(character)
        if value is None:
            raise MrzError("mrz.characters", f"{character!r} is not A-Z, 0-9 or '<'")
        total += value * _WEIGHTS[index % 3]
    return str(total % 10)


def parse_mrz(text: str, *, today: date | None = None) -> Mrz:
    """Parse and validate an MRZ, raising ``MrzError`` for the first part that is wrong.

    ``today`` anchors the century of two-digit years (the system date if not given).
    """
    anchor = today or date.today()
    lines = _split_lines(text)
    fmt = _detect_format(lines)
    cells = _slice(fmt, lines)
    document_number, optional_data = _decode_document_number(fmt, cells)
    _verify_check_digits(fmt, cells)
    surname, given_names = _decode_name(fmt, cells["name"])
    return Mrz(
        format=fmt,
        document_code=cells["document_code"].rstrip("<"),
        issuing_state=_decode_country(fmt, cells, "issuing_state"),
        surname=surname,
        given_names=given_names,
        document_number=document_number,
        nationality=_decode_country(fmt, cells, "nationality"),
        date_of_birth=_decode_date_of_birth(
            cells["date_of_birth"], _path(fmt, "date_of_birth"), anchor
        ),
        sex=_decode_sex(fmt, cells["sex"]),
        expiry_date=_decode_expiry_date(cells["expiry_date"], _path(fmt, "expiry_date"), anchor),
        optional_data=optional_data.rstrip("<"),
        optional_data_2=cells.get("optional_data_2", "").rstrip("<"),
        name_possibly_truncated=not cells["name"].endswith("<"),
    )


def build_mrz(fmt: MrzFormat, fields: MrzFields) -> str:
    """Write a valid MRZ of format ``fmt``, lines joined by ``\\n``.

    Names must already be transliterated (A-Z, spaces, hyphens); a name longer than its
    field is cut at the field's end, a simplification of Doc 9303 Part 3's truncation
    rules, which prefer shortening given names first. Anything else that does not fit
    raises ``MrzError`` naming the ``MrzFields`` attribute.
    """
    layout = _LAYOUTS[fmt]
    widths = {slot: width for line in layout for slot, width in line}
    cells = _encode_fields(fmt, fields, widths)
    for data, digit in (*_DATE_CHECKS, ("optional_data", "optional_data_check_digit")):
        cells[digit] = check_digit(cells[data])
    cells["composite_check_digit"] = check_digit(_composite_source(fmt, cells))
    return "\n".join("".join(cells[slot] for slot, _ in line) for line in layout)


def build_td1(fields: MrzFields) -> str:
    """A TD1 (ID card, 3x30) MRZ; see ``build_mrz``."""
    return build_mrz(MrzFormat.TD1, fields)


def build_td2(fields: MrzFields) -> str:
    """A TD2 (2x36) MRZ; see ``build_mrz``."""
    return build_mrz(MrzFormat.TD2, fields)


def build_td3(fields: MrzFields) -> str:
    """A TD3 (passport, 2x44) MRZ; see ``build_mrz``."""
    return build_mrz(MrzFormat.TD3, fields)


def build_mrv_a(fields: MrzFields) -> str:
    """An MRV-A (visa, 2x44) MRZ; see ``build_mrz``."""
    return build_mrz(MrzFormat.MRV_A, fields)


def build_mrv_b(fields: MrzFields) -> str:
    """An MRV-B (visa, 2x36) MRZ; see ``build_mrz``."""
    return build_mrz(MrzFormat.MRV_B, fields)


def _path(fmt: MrzFormat, slot: str) -> str:
    if slot == "composite_check_digit":
        return "mrz.composite_check_digit"
    line = next(n for n, slots in enumerate(_LAYOUTS[fmt], 1) if slot in dict(slots))
    return f"mrz.line{line}.{slot}"


def _split_lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.strip().split("\n")]
    if len(lines) == 1 and len(lines[0]) in _ONE_LINE_SHAPES:
        count, width = _ONE_LINE_SHAPES[len(lines[0])]
        lines = [lines[0][n * width : (n + 1) * width] for n in range(count)]
    for number, line in enumerate(lines, 1):
        for position, character in enumerate(line, 1):
            if character not in _CHARACTER_VALUES:
                hint = " (an MRZ is upper case only)" if character.islower() else ""
                raise MrzError(
                    "mrz.characters",
                    f"line {number} position {position}: {character!r} is not A-Z, 0-9 or '<'"
                    + hint,
                )
    return lines


def _detect_format(lines: list[str]) -> MrzFormat:
    lengths = [len(line) for line in lines]
    if len(lines) == 3:
        if lengths != [30, 30, 30]:
            raise MrzError("mrz.line_length", f"TD1 lines have 30 characters, got {lengths}")
        fmt = MrzFormat.TD1
    elif len(lines) == 2:
        if lengths not in ([36, 36], [44, 44]):
            raise MrzError(
                "mrz.line_length", f"two-line MRZ lines have 36 or 44 characters, got {lengths}"
            )
        visa = lines[0].startswith("V")
        if lengths[0] == 44:
            fmt = MrzFormat.MRV_A if visa else MrzFormat.TD3
        else:
            fmt = MrzFormat.MRV_B if visa else MrzFormat.TD2
    else:
        raise MrzError("mrz.format", f"an MRZ has 2 or 3 lines, got {len(lines)}")
    first = lines[0][0]
    if not first.isalpha() or (fmt is MrzFormat.TD1 and first == "V"):
        raise MrzError("mrz.line1.document_code", f"{first!r} cannot start a {fmt} document code")
    return fmt


def _slice(fmt: MrzFormat, lines: list[str]) -> dict[str, str]:
    cells: dict[str, str] = {}
    for line, slots in zip(lines, _LAYOUTS[fmt], strict=True):
        start = 0
        for slot, width in slots:
            cells[slot] = line[start : start + width]
            start += width
    return cells


def _composite_source(fmt: MrzFormat, cells: Mapping[str, str]) -> str:
    return "".join(
        cells[slot] for line in _LAYOUTS[fmt] for slot, _ in line if slot in _COMPOSITE_COVERAGE
    )


def _verify(data: str, digit: str, path: str) -> None:
    expected = check_digit(data)
    if digit != expected:
        raise MrzError(path, f"is {digit!r}, computed {expected}")


def _decode_document_number(fmt: MrzFormat, cells: Mapping[str, str]) -> tuple[str, str]:
    """Return the document number and the optional data that follows any overflow of it."""
    principal = cells["document_number"]
    digit = cells["document_number_check_digit"]
    optional_data = cells["optional_data"]
    path = _path(fmt, "document_number_check_digit")
    if digit == "<" and fmt in _LONG_NUMBER_FORMATS:
        overflow, _, rest = optional_data.partition("<")
        if not overflow:
            raise MrzError(path, "'<' announces a long document number the optional data lacks")
        tail, digit = overflow[:-1], overflow[-1]
        expected = check_digit(principal + tail)
        if digit not in (expected, check_digit(f"{principal}<{tail}")):
            raise MrzError(path, f"is {digit!r} after the overflow, computed {expected}")
        return principal + tail, rest
    _verify(principal, digit, path)
    number = principal.rstrip("<")
    if not number:
        raise MrzError(_path(fmt, "document_number"), "is empty")
    return number, optional_data


def _verify_check_digits(fmt: MrzFormat, cells: Mapping[str, str]) -> None:
    for data, digit in _DATE_CHECKS:
        _verify(cells[data], cells[digit], _path(fmt, digit))
    if "optional_data_check_digit" in cells:
        data, digit = cells["optional_data"], cells["optional_data_check_digit"]
        # Part 4: an unused personal number field may carry 0 or < as its check digit.
        if data.strip("<") or digit not in ("<", "0"):
            _verify(data, digit, _path(fmt, "optional_data_check_digit"))
    if "composite_check_digit" in cells:
        _verify(
            _composite_source(fmt, cells),
            cells["composite_check_digit"],
            _path(fmt, "composite_check_digit"),
        )


def _decode_name(fmt: MrzFormat, field: str) -> tuple[str, tuple[str, ...]]:
    name = field.rstrip("<")
    if not name:
        raise MrzError(_path(fmt, "name"), "is empty")
    primary, _, secondary = name.partition("<<")
    return primary.replace("<", " "), tuple(part for part in secondary.split("<") if part)


def _decode_country(fmt: MrzFormat, cells: Mapping[str, str], slot: str) -> str:
    try:
        return normalise_country(cells[slot])
    except UnknownCountryError as error:
        raise MrzError(_path(fmt, slot), str(error)) from None


def _decode_sex(fmt: MrzFormat, cell: str) -> str:
    sex = _SEX_FROM_MRZ.get(cell)
    if sex is None:
        raise MrzError(_path(fmt, "sex"), f"{cell!r} is not M, F or <")
    return sex


def _date_part(pair: str, path: str) -> int | None:
    if pair == "<<":
        return None
    if not pair.isdigit():
        raise MrzError(path, "is not YYMMDD (with << for an unknown part)")
    return int(pair)


def _iso_date(year: int, month: int | None, day: int | None, path: str) -> str:
    if month is not None and not 1 <= month <= 12:
        raise MrzError(path, "month is not 01-12")
    if day is not None and not 1 <= day <= 31:
        raise MrzError(path, "day is not 01-31")
    if year and month and day:
        try:
            date(year, month, day)
        except ValueError:
            raise MrzError(path, "is not a calendar date") from None
    return f"{year:04d}-{month or 0:02d}-{day or 0:02d}"


def _decode_date_of_birth(cell: str, path: str, today: date) -> str:
    yy, month, day = (_date_part(cell[n : n + 2], path) for n in (0, 2, 4))
    year = 0
    if yy is not None:
        year = 2000 + yy
        if (year, month or 1, day or 1) > (today.year, today.month, today.day):
            year -= 100
    return _iso_date(year, month, day, path)


def _decode_expiry_date(cell: str, path: str, today: date) -> str:
    if not cell.isdigit():
        raise MrzError(path, "is not YYMMDD")
    year = 2000 + int(cell[:2])
    if year > today.year + _EXPIRY_HORIZON_YEARS:
        year -= 100
    return _iso_date(year, int(cell[2:4]), int(cell[4:]), path)


def _encode_fields(fmt: MrzFormat, fields: MrzFields, widths: Mapping[str, int]) -> dict[str, str]:
    number, number_digit, overflow = _encode_document_number(fmt, fields.document_number)
    optional_data = _encode_text(fields.optional_data, "optional_data")
    if overflow and optional_data:
        optional_data = f"{overflow}<{optional_data}"
    elif overflow:
        optional_data = overflow
    return {
        "document_code": _encode_document_code(fmt, fields.document_code),
        "issuing_state": _encode_country(fields.issuing_state, "issuing_state"),
        "name": _encode_name(fields.surname, fields.given_names, widths["name"]),
        "document_number": number,
        "document_number_check_digit": number_digit,
        "nationality": _encode_country(fields.nationality, "nationality"),
        "date_of_birth": _encode_date(fields.date_of_birth, "date_of_birth", unknown_allowed=True),
        "sex": _encode_sex(fields.sex),
        "expiry_date": _encode_date(fields.expiry_date, "expiry_date", unknown_allowed=False),
        "optional_data": _pad(optional_data, widths["optional_data"], "optional_data"),
        "optional_data_2": _pad(
            _encode_text(fields.optional_data_2, "optional_data_2"),
            widths.get("optional_data_2", 0),
            "optional_data_2",
        ),
    }


def _pad(value: str, width: int, field: str) -> str:
    if len(value) > width:
        raise MrzError(field, f"needs {len(value)} characters, the field has {width}")
    return value.ljust(width, "<")


def _encode_text(value: str, field: str) -> str:
    if any(character not in _CHARACTER_VALUES for character in value):
        raise MrzError(field, "may hold A-Z, 0-9 and '<' only")
    return value


def _encode_document_code(fmt: MrzFormat, code: str) -> str:
    if not re.fullmatch(r"[A-Z][A-Z<]?", code):
        raise MrzError("document_code", "is one letter, optionally followed by a letter")
    if (code[0] == "V") != (fmt in _VISA_FORMATS):
        raise MrzError("document_code", f"visas, and only visas, start with V; this is {fmt}")
    return code.ljust(2, "<")


def _encode_document_number(fmt: MrzFormat, number: str) -> tuple[str, str, str]:
    """Return the number cell, its check digit cell and the overflow for the optional data."""
    if not re.fullmatch(r"[A-Z0-9]+", number):
        raise MrzError("document_number", "is one or more of A-Z and 0-9")
    if len(number) <= 9:
        return number.ljust(9, "<"), check_digit(number), ""
    if fmt not in _LONG_NUMBER_FORMATS:
        raise MrzError("document_number", f"{fmt} has room for 9 characters only")
    return number[:9], "<", number[9:] + check_digit(number)


def _encode_country(code: str, field: str) -> str:
    try:
        return mrz_country_code(code).ljust(3, "<")
    except UnknownCountryError as error:
        raise MrzError(field, str(error)) from None


def _encode_name(surname: str, given_names: tuple[str, ...], width: int) -> str:
    primary = _encode_name_part(surname, "surname")
    secondary = "<".join(_encode_name_part(name, "given_names") for name in given_names)
    name = f"{primary}<<{secondary}" if secondary else primary
    return name[:width].ljust(width, "<")


def _encode_name_part(value: str, field: str) -> str:
    if not _NAME_PART.fullmatch(value):
        raise MrzError(field, "must be transliterated to A-Z, spaces and hyphens first")
    return re.sub(r"[ -]+", "<", value)


def _encode_date(value: str, field: str, *, unknown_allowed: bool) -> str:
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        raise MrzError(field, "is not YYYY-MM-DD")
    year, month, day = (int(part) for part in match.groups())
    if not unknown_allowed and not (year and month and day):
        raise MrzError(field, "must be a complete date")
    _iso_date(year, month or None, day or None, field)
    return "".join(f"{part % 100:02d}" if part else "<<" for part in (year, month, day))


def _encode_sex(sex: str) -> str:
    encoded = _SEX_IN_MRZ.get(sex)
    if encoded is None:
        raise MrzError("sex", "is M, F or X")
    return encoded
