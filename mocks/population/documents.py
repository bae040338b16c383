"""Travel document and visa sticker numbers, and ICAO 9303 TD3 machine readable zones
(written by the broker's own MRZ builder)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from broker.domain.mrz import MrzFields, build_td3
from broker.matching.normalise import normalise_name

_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_LETTERS = _ALPHABET[10:]
_DIGITS = _ALPHABET[:10]


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
    fields = MrzFields(
        document_code="P",
        issuing_state=nationality,
        surname=normalise_name(surname),
        given_names=tuple(normalise_name(given_names).split()),
        document_number=document_number,
        nationality=nationality,
        date_of_birth=date_of_birth,
        sex=sex if sex in ("M", "F") else "X",
        expiry_date=expiry,
        optional_data=personal_number,
    )
    line1, line2 = build_td3(fields).split("\n")
    return line1, line2
