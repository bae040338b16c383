"""Check a CheckRequest field by field and produce the traveller the broker will search for.

Every problem is collected (not only the first) so a terminal can show them all at
once; each names the field by its path in the request, as google.rpc.BadRequest wants.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from broker.domain.countries import (
    SCHENGEN_STATES,
    is_valid_country,
    normalise_country,
    unknown_country,
)
from broker.domain.errors import FieldViolation, InvalidRequest, excerpt
from broker.domain.mrz import Mrz, MrzError, parse_mrz
from broker.domain.names import canonical_name
from broker.domain.systems import System, SystemCatalog
from broker.domain.text import normalise_strings
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2

FACE_DIMENSIONS = 512
MAX_FINGERPRINTS = 10
MAX_TEMPLATE_FLOATS = 2048
MAX_NAME_CHARS = 120
MAX_GIVEN_NAMES = 10
MAX_MRZ_CHARS = 200
MAX_CROSSING_POINT_CHARS = 64
# A stay a traveller may state: a long stay is possible, a decade is not a plan.
MAX_STAY_DAYS = 3650
MAX_REQUEST_ID_CHARS = 128

# ASCII digits only (\d would take any script's digits, which int() then reads), and
# always fullmatch: `$` would let a trailing newline through.
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ALNUM = re.compile(r"[A-Z0-9]{1,20}")
_CROSSING_POINT = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")
_NAME_FORBIDDEN = re.compile(r"[\d\x00-\x1f\x7f<>{}\[\]|\\/@#$%^&*=+_~`\";:!?]")
# What a name may hold besides letters and marks: spaces, dashes, spacing accents (an
# acute accent typed as an apostrophe); in ASCII what `_NAME_FORBIDDEN` leaves; beyond it
# typographic apostrophes, the Catalan middle dot, the Armenian apostrophe, Hebrew geresh
# and gershayim.
_NAME_CATEGORIES = frozenset({"Zs", "Pd", "Sk"})
_NAME_PUNCTUATION = frozenset("'.,()\u2018\u2019\u00b7\u055a\u05f3\u05f4")
_MRZ_SEX = {"M": pb.SEX_MALE, "F": pb.SEX_FEMALE, "X": pb.SEX_OTHER}
_MRZ_DOCUMENT = {
    "P": pb.DOCUMENT_TYPE_PASSPORT,
    "I": pb.DOCUMENT_TYPE_ID_CARD,
    "A": pb.DOCUMENT_TYPE_ID_CARD,
    "C": pb.DOCUMENT_TYPE_ID_CARD,
    "V": pb.DOCUMENT_TYPE_VISA,
}


@dataclass(frozen=True)
class Limits:
    """What the broker accepts: request size and how long a caller may make it wait."""

    # Whole-request limit (gRPC's own hard cap is set above it).
    max_request_bytes: int = 256 * 1024
    default_deadline_ms: int = 2000
    max_deadline_ms: int = 30000


@dataclass(frozen=True)
class ValidCheck:
    """A request that passed validation, with the traveller normalised."""

    request_id: str
    purpose: pb.Purpose.ValueType
    traveller: pb.Traveller
    systems: tuple[System, ...]
    deadline_ms: int | None
    checking_state: str = ""
    border_crossing_point: str = ""
    # The last day of the intended stay, from an exit date or a number of days.
    intended_exit: dt.date | None = None


def validate_check(
    request: pb.CheckRequest,
    limits: Limits,
    catalog: SystemCatalog,
    today: dt.date | None = None,
) -> ValidCheck:
    """Return the normalised check or raise InvalidRequest listing every wrong field."""
    problems: list[FieldViolation] = []
    size = request.ByteSize()
    if size > limits.max_request_bytes:
        problems.append(
            FieldViolation(
                _largest_field(request),
                f"request is {size} bytes; the limit is {limits.max_request_bytes}",
            )
        )
        raise InvalidRequest(problems)
    request = _normalised(request, problems)
    _request_id(request.request_id, problems)
    if request.purpose == pb.PURPOSE_UNSPECIFIED or request.purpose not in pb.Purpose.values():
        problems.append(
            FieldViolation(
                "purpose",
                "required: one of "
                + ", ".join(n for n in pb.Purpose.keys() if n != "PURPOSE_UNSPECIFIED"),
            )
        )
    systems = _systems(request.systems, catalog, problems)
    deadline = _deadline(request, limits.max_deadline_ms, problems)
    today = today or dt.date.today()
    traveller = normalise_traveller(
        request.traveller, problems, today, present=request.HasField("traveller")
    )
    checking_state = _checking_state(request.checking_state, problems)
    crossing_point = _crossing_point(request.border_crossing_point, problems)
    intended_exit = _intended_exit(request, today, problems)
    _raise_if_any(problems)
    return ValidCheck(
        request.request_id,
        request.purpose,
        traveller,
        systems,
        deadline,
        checking_state,
        crossing_point,
        intended_exit,
    )


def _checking_state(code: str, problems: list[FieldViolation]) -> str:
    state = _country("checking_state", code, problems)
    if state and state not in SCHENGEN_STATES and is_valid_country(state):
        problems.append(
            FieldViolation("checking_state", f"{state} is not a State applying the Schengen rules")
        )
    return state


def _crossing_point(name: str, problems: list[FieldViolation]) -> str:
    if name and not _CROSSING_POINT.fullmatch(name):
        problems.append(
            FieldViolation(
                "border_crossing_point",
                f"letters, digits, spaces, '.', '_' and '-', at most {MAX_CROSSING_POINT_CHARS}",
            )
        )
    return name


def _intended_exit(
    request: pb.CheckRequest, today: dt.date, problems: list[FieldViolation]
) -> dt.date | None:
    which = request.WhichOneof("intended_stay")
    if which == "intended_stay_days":
        days = request.intended_stay_days
        if not 1 <= days <= MAX_STAY_DAYS:
            problems.append(
                FieldViolation("intended_stay_days", f"1 to {MAX_STAY_DAYS} days, got {days}")
            )
            return None
        return today + dt.timedelta(days=days - 1)
    if which == "intended_exit_date":
        before = len(problems)
        value = request.intended_exit_date
        _date("intended_exit_date", value, problems, today, allow_unknown=False)
        if len(problems) > before:
            return None
        day = dt.date.fromisoformat(value)
        if day < today:
            problems.append(FieldViolation("intended_exit_date", f"{value} is in the past"))
            return None
        return day
    return None


Request = TypeVar("Request", pb.CheckRequest, pb.RecordCrossingRequest)


def _normalised(request: Request, problems: list[FieldViolation]) -> Request:
    """A copy of `request` with every string in NFC; unprintable characters are refused."""
    copy = type(request)()
    copy.CopyFrom(request)
    normalise_strings(copy, problems)
    return copy


def _request_id(request_id: str, problems: list[FieldViolation]) -> None:
    if len(request_id) > MAX_REQUEST_ID_CHARS:
        problems.append(FieldViolation("request_id", f"at most {MAX_REQUEST_ID_CHARS} characters"))


def _raise_if_any(problems: list[FieldViolation]) -> None:
    """Raise InvalidRequest naming each wrong field once (its first violation)."""
    if problems:
        first: dict[str, FieldViolation] = {}
        for problem in problems:
            first.setdefault(problem.field, problem)
        raise InvalidRequest(list(first.values()))


def _deadline(
    request: pb.CheckRequest | pb.RecordCrossingRequest,
    max_deadline_ms: int,
    problems: list[FieldViolation],
) -> int | None:
    if not request.HasField("deadline_ms"):
        return None
    deadline = request.deadline_ms
    if not 0 < deadline <= max_deadline_ms:
        problems.append(
            FieldViolation(
                "deadline_ms", f"must be between 1 and {max_deadline_ms} ms, got {deadline}"
            )
        )
    return deadline


def _largest_field(request: pb.CheckRequest) -> str:
    sizes = {
        f"traveller.{d.name}": v.ByteSize() if hasattr(v, "ByteSize") else len(str(v))
        for d, v in request.traveller.ListFields()
    }
    biometrics = request.traveller.biometrics
    sizes["traveller.biometrics.face_embedding"] = 4 * len(biometrics.face_embedding)
    sizes["traveller.biometrics.fingerprints"] = sum(f.ByteSize() for f in biometrics.fingerprints)
    return max(sizes, key=lambda k: sizes[k]) if sizes else "request"


def _systems(
    requested: Sequence[System], catalog: SystemCatalog, problems: list[FieldViolation]
) -> tuple[System, ...]:
    chosen: list[System] = []
    for i, value in enumerate(requested):
        if value not in catalog:
            problems.append(FieldViolation(f"systems[{i}]", f"unknown system {value}"))
        elif value not in chosen:
            chosen.append(value)
    return tuple(sorted(chosen))


def normalise_traveller(
    raw: pb.Traveller, problems: list[FieldViolation], today: dt.date, present: bool = True
) -> pb.Traveller:
    """Validate `raw`, fill it from its MRZ, and return it with canonical names and codes."""
    out = pb.Traveller()
    out.CopyFrom(raw)
    before = len(problems)
    mrz = _mrz(raw.mrz, problems)
    if mrz is not None:
        _merge_mrz(out, mrz, problems)
    _names(out, problems)
    _date(
        "traveller.date_of_birth",
        out.date_of_birth,
        problems,
        today,
        allow_unknown=True,
        not_after=today,
    )
    if out.sex not in pb.Sex.values():
        problems.append(FieldViolation("traveller.sex", f"unknown value {out.sex}"))
    out.nationality = _country("traveller.nationality", out.nationality, problems)
    _document(out, problems, today)
    sticker = out.visa_sticker_number.strip().upper()
    if sticker and not _ALNUM.fullmatch(sticker):
        problems.append(
            FieldViolation("traveller.visa_sticker_number", "1 to 20 letters A-Z or digits")
        )
    out.visa_sticker_number = sticker
    _biometrics(out.biometrics, problems)
    if len(problems) == before and not _searchable(out):
        problems.append(
            FieldViolation(
                "traveller",
                ("required: " if not present else "")
                + "give at least a surname, a document number, a visa sticker number, an MRZ "
                "or biometrics",
            )
        )
    return out


def _searchable(t: pb.Traveller) -> bool:
    return bool(
        t.surname
        or t.document.number
        or t.visa_sticker_number
        or t.biometrics.face_embedding
        or t.biometrics.fingerprints
    )


def _mrz(text: str, problems: list[FieldViolation]) -> Mrz | None:
    if not text.strip():
        return None
    if len(text) > MAX_MRZ_CHARS:
        problems.append(FieldViolation("traveller.mrz", f"at most {MAX_MRZ_CHARS} characters"))
        return None
    try:
        return parse_mrz(text)
    except MrzError as error:
        problems.append(FieldViolation("traveller.mrz", f"{error.field}: {error.message}"))
        return None


def _merge_mrz(out: pb.Traveller, mrz: Mrz, problems: list[FieldViolation]) -> None:
    """Fill empty fields from the MRZ; a given field that contradicts the MRZ is an error."""
    pairs: list[tuple[str, str, str]] = [
        ("traveller.surname", out.surname, mrz.surname),
        ("traveller.date_of_birth", out.date_of_birth, mrz.date_of_birth),
        ("traveller.nationality", out.nationality, mrz.nationality),
        ("traveller.document.number", out.document.number, mrz.document_number),
        ("traveller.document.issuing_state", out.document.issuing_state, mrz.issuing_state),
    ]
    for field, given, read in pairs:
        if (
            given
            and read
            and canonical_name(given) != canonical_name(read)
            and given.strip().upper() != read
        ):
            problems.append(
                FieldViolation(field, f"{excerpt(given)} does not match the MRZ ({read!r})")
            )
    out.surname = out.surname or mrz.surname
    if not out.given_names:
        out.given_names.extend(mrz.given_names)
    out.date_of_birth = out.date_of_birth or mrz.date_of_birth
    out.nationality = out.nationality or mrz.nationality
    if out.sex == pb.SEX_UNSPECIFIED:
        out.sex = _MRZ_SEX.get(mrz.sex, pb.SEX_UNSPECIFIED)
    document = out.document
    document.number = document.number or mrz.document_number
    document.issuing_state = document.issuing_state or mrz.issuing_state
    document.expiry_date = document.expiry_date or mrz.expiry_date
    if document.type == pb.DOCUMENT_TYPE_UNSPECIFIED:
        document.type = _MRZ_DOCUMENT.get(mrz.document_code[:1], pb.DOCUMENT_TYPE_OTHER)


def _not_a_name_character(name: str) -> str | None:
    """The first character of `name` that no name is written with, shown by its code point
    and Unicode name; None when there is none. Letters of any script and their marks,
    spaces, dashes, spacing accents and the punctuation of names (apostrophes, '.', ',',
    '(', ')', the Catalan middle dot) are name characters, and Persian's zero-width
    non-joiner (the strict-input pass lets it through between two Arabic-script letters
    only); digits and other symbols, emoji among them, are not."""
    for char in name:
        if char == "\u200c":
            continue
        category = unicodedata.category(char)
        if category[0] in "LM" or category in _NAME_CATEGORIES or char in _NAME_PUNCTUATION:
            continue
        return f"U+{ord(char):04X} {unicodedata.name(char, 'character')}"
    return None


def _name_problem(name: str, limit: str) -> str | None:
    allowed = f"letters, spaces, hyphens and apostrophes only{limit}"
    if _NAME_FORBIDDEN.search(name):
        return allowed
    odd = _not_a_name_character(name)
    if odd is not None:
        return f"{odd} is not a letter: {allowed}"
    if len(name) > MAX_NAME_CHARS:
        return allowed
    return None


def _names(out: pb.Traveller, problems: list[FieldViolation]) -> None:
    problem = _name_problem(out.surname, f", at most {MAX_NAME_CHARS} characters")
    if problem:
        problems.append(FieldViolation("traveller.surname", problem))
    if len(out.given_names) > MAX_GIVEN_NAMES:
        problems.append(FieldViolation("traveller.given_names", f"at most {MAX_GIVEN_NAMES} names"))
    for i, name in enumerate(out.given_names):
        problem = _name_problem(name, "")
        if problem:
            problems.append(FieldViolation(f"traveller.given_names[{i}]", problem))
    out.surname = canonical_name(out.surname)
    given = [canonical_name(part) for name in out.given_names for part in name.split()]
    del out.given_names[:]
    out.given_names.extend(g for g in given if g)


def _date(
    field: str,
    value: str,
    problems: list[FieldViolation],
    today: dt.date,
    allow_unknown: bool,
    not_after: dt.date | None = None,
) -> None:
    if not value:
        return
    match = _DATE.fullmatch(value)
    if not match:
        problems.append(FieldViolation(field, f"{excerpt(value)} is not YYYY-MM-DD"))
        return
    year, month, day = (int(g) for g in match.groups())
    if allow_unknown and (month == 0 or day == 0):
        if day and not month:
            problems.append(FieldViolation(field, "a day without a month is not a date"))
        elif not 1 <= month <= 12 and month:
            problems.append(FieldViolation(field, f"month {month:02d} does not exist"))
        elif year < 1900 or year > today.year:
            problems.append(FieldViolation(field, f"year {year} is out of range"))
        return
    try:
        date = dt.date(year, month, day)
    except ValueError as error:
        problems.append(FieldViolation(field, f"{excerpt(value)}: {error}"))
        return
    if year < 1900 or (not_after is not None and date > not_after):
        problems.append(FieldViolation(field, f"{value} is out of range"))


def _country(field: str, code: str, problems: list[FieldViolation]) -> str:
    if not code:
        return ""
    if not is_valid_country(code.strip().upper()):
        problems.append(FieldViolation(field, unknown_country(excerpt(code), code)))
        return code
    return normalise_country(code.strip().upper())


def _document(out: pb.Traveller, problems: list[FieldViolation], today: dt.date) -> None:
    document = out.document
    number = document.number.replace(" ", "").replace("<", "").upper()
    if number and not _ALNUM.fullmatch(number):
        problems.append(
            FieldViolation("traveller.document.number", "1 to 20 letters A-Z or digits")
        )
    document.number = number
    if document.type not in pb.DocumentType.values():
        problems.append(FieldViolation("traveller.document.type", f"unknown value {document.type}"))
    document.issuing_state = _country(
        "traveller.document.issuing_state", document.issuing_state, problems
    )
    _date(
        "traveller.document.expiry_date", document.expiry_date, problems, today, allow_unknown=False
    )
    _date(
        "traveller.document.issue_date",
        document.issue_date,
        problems,
        today,
        allow_unknown=False,
        not_after=today,
    )


def _biometrics(biometrics: pb.Biometrics, problems: list[FieldViolation]) -> None:
    face = biometrics.face_embedding
    if face and len(face) != FACE_DIMENSIONS:
        problems.append(
            FieldViolation(
                "traveller.biometrics.face_embedding", f"{FACE_DIMENSIONS} floats, got {len(face)}"
            )
        )
    elif face and not _all_finite(face):
        problems.append(
            FieldViolation("traveller.biometrics.face_embedding", "contains NaN or infinity")
        )
    prints = biometrics.fingerprints
    if len(prints) > MAX_FINGERPRINTS:
        problems.append(
            FieldViolation("traveller.biometrics.fingerprints", f"at most {MAX_FINGERPRINTS}")
        )
    seen: set[int] = set()
    for i, finger in enumerate(prints):
        field = f"traveller.biometrics.fingerprints[{i}]"
        if not 1 <= finger.position <= 10 or finger.position in seen:
            problems.append(FieldViolation(f"{field}.position", "1 to 10, each finger once"))
        seen.add(finger.position)
        if not 0 < len(finger.template) <= MAX_TEMPLATE_FLOATS:
            problems.append(
                FieldViolation(f"{field}.template", f"1 to {MAX_TEMPLATE_FLOATS} floats")
            )
        elif not _all_finite(finger.template):
            problems.append(FieldViolation(f"{field}.template", "contains NaN or infinity"))


def _all_finite(values: Sequence[float]) -> bool:
    """Whether none of at most MAX_TEMPLATE_FLOATS float32 values is NaN or infinite.

    Their sum in double precision is finite exactly when every value is (2,048 of the
    largest float32 add up to about 7e41, far below the double's 1.8e308; a NaN or an
    infinity makes the sum NaN or infinite), and costs one pass in C instead of a
    Python call per value."""
    assert len(values) <= MAX_TEMPLATE_FLOATS
    return math.isfinite(sum(values))


@dataclass(frozen=True)
class ValidCrossing:
    request_id: str
    traveller: pb.Traveller
    direction: pb.CrossingDirection.ValueType
    crossing: bus_pb2.Crossing
    deadline_ms: int | None


def validate_crossing(
    request: pb.RecordCrossingRequest, limits: Limits, today: dt.date | None = None
) -> ValidCrossing:
    """Like validate_check, for a crossing to record in EES."""
    today = today or dt.date.today()
    problems: list[FieldViolation] = []
    if request.ByteSize() > limits.max_request_bytes:
        raise InvalidRequest(
            [FieldViolation("traveller", f"request over {limits.max_request_bytes} bytes")]
        )
    request = _normalised(request, problems)
    _request_id(request.request_id, problems)
    if request.direction not in (pb.CROSSING_DIRECTION_ENTRY, pb.CROSSING_DIRECTION_EXIT):
        problems.append(FieldViolation("direction", "CROSSING_DIRECTION_ENTRY or _EXIT"))
    date = request.date or today.isoformat()
    _date("date", date, problems, today, allow_unknown=False)
    point = request.border_crossing_point
    if point and not _CROSSING_POINT.fullmatch(point):
        problems.append(
            FieldViolation(
                "border_crossing_point",
                "1 to 64 letters, digits, spaces, dots, hyphens or underscores",
            )
        )
    deadline = _deadline(request, limits.max_deadline_ms, problems)
    traveller = normalise_traveller(
        request.traveller, problems, today, present=request.HasField("traveller")
    )
    if (
        not problems
        and not (traveller.surname and traveller.date_of_birth)
        and not traveller.document.number
    ):
        problems.append(
            FieldViolation(
                "traveller", "EES needs a document number, or a surname with a date of birth"
            )
        )
    _raise_if_any(problems)
    crossing = bus_pb2.Crossing(direction=request.direction, date=date, border_crossing_point=point)
    return ValidCrossing(request.request_id, traveller, request.direction, crossing, deadline)
