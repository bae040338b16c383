"""Travel document and visa sticker numbers, and ICAO 9303 TD3 machine readable zones."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from broker.matching.normalise import normalise_name

_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_LETTERS = _ALPHABET[10:]
_DIGITS = _ALPHABET[:10]
_WEIGHTS = (7, 3, 1)


def check_digit(field: str) -> str:
    """ICAO 9303 check digit: weights 7, 3, 1; digits as value, A-Z as 10-35, '<' as 0."""
    total = 0
    for i, char in enumerate(field):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - 55
        else:
            value = 0
        total += value * _WEIGHTS[i % 3]
    return str(total % 10)


def _random_codes(
    rng: np.random.Generator, n: int, pattern: list[npt.NDArray[np.uint8]]
) -> npt.NDArray[np.bytes_]:
    chars = np.stack([alphabet[rng.integers(0, len(alphabet), n)] for alphabet in pattern], axis=1)
    return np.ascontiguousarray(chars).view(f"S{len(pattern)}").ravel()


def document_numbers(rng: np.random.Generator, n: int) -> npt.NDArray[np.bytes_]:
    """Nine-character passport numbers: two letters then seven letters or digits."""
    return _random_codes(rng, n, [_LETTERS, _LETTERS] + [_ALPHABET] * 7)


def visa_sticker_numbers(rng: np.random.Generator, n: int) -> npt.NDArray[np.bytes_]:
    """Visa sticker numbers: three letters (issuing State) and nine digits."""
    return _random_codes(rng, n, [_LETTERS] * 3 + [_DIGITS] * 9)


def td3(
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    date_of_birth: str,
    sex: str,
    expiry: str,
    personal_number: str = "",
) -> tuple[str, str]:
    """The two 44-character lines of a passport MRZ with valid check digits.

    Dates are 'YYYY-MM-DD'; unknown parts ('00') are written as '<' in the MRZ.
    """
    primary, secondary = (normalise_name(n).replace(" ", "<") for n in (surname, given_names))
    name = f"{primary}<<{secondary}"
    line1 = f"P<{nationality}{name}".ljust(44, "<")[:44]
    number = document_number.ljust(9, "<")[:9]
    birth = _mrz_date(date_of_birth)
    expires = _mrz_date(expiry)
    personal = personal_number.ljust(14, "<")[:14]
    parts = [
        number + check_digit(number),
        nationality,
        birth + check_digit(birth),
        sex if sex in ("M", "F") else "<",
        expires + check_digit(expires),
        personal + check_digit(personal),
    ]
    composite = parts[0] + parts[2] + parts[4] + parts[5]
    line2 = "".join(parts) + check_digit(composite)
    return line1, line2


def _mrz_date(value: str) -> str:
    year, month, day = [*value.split("-"), "00", "00"][:3]
    return "".join(p[-2:] if p.strip("0") else "<<" for p in (year, month, day))
